# Test registration: every tests/<group>/test_<name>.c is one Check executable and one CTest test
# named <group>.<name>, labelled <group>; a file whose name ends in _slow.c also gets the `slow`
# label (full-size models: they still run in CI). Every test runs with the Khronos validation layer
# on (HEMOVK_VALIDATE=1) and fails on any message (tests/common/hvtest.c checks the counter).
pkg_check_modules(CHECK REQUIRED IMPORTED_TARGET check)

file(GLOB HVTEST_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/common/*.c)
add_library(hvtest STATIC ${HVTEST_SOURCES})
target_include_directories(hvtest PUBLIC ${CMAKE_SOURCE_DIR}/tests/common ${CMAKE_SOURCE_DIR}/core)
# White-box tests call core internals, so they link core statically (hemovk-internal) and export its SDK
# functions (ENABLE_EXPORTS, below): a plugin a test loads binds to the test's copy of core, the one the
# test set up, not to the libhemovk.so it was linked against. WHOLE_ARCHIVE: every SDK function must be
# in the test, not only those the test calls — a plugin's call to one the test left out would bind to
# libhemovk.so's second copy of core, with its own state (its error buffers were reported as leaks when
# the last plugin unloaded it). tools.abi checks a test exports the whole SDK.
target_link_libraries(hvtest PUBLIC "$<LINK_LIBRARY:WHOLE_ARCHIVE,hemovk-internal>" PkgConfig::CHECK m)
target_compile_definitions(hvtest PUBLIC
  HEMOVK_SOURCE_DIR="${CMAKE_SOURCE_DIR}"
  HEMOVK_BINARY_DIR="${CMAKE_BINARY_DIR}"
  HEMOVK_SHARED_DIR="${CMAKE_SOURCE_DIR}/../shared"
  HEMOVK_PYTHON="${HEMOVK_PYTHON}"
  HEMOVK_CLI="$<TARGET_FILE:hemovk-cli>")

# Under HEMOVK_VALGRIND every test runs in memcheck, unforked (Check's fork would hide the child's
# errors), failing on any error or definite leak not in tests/valgrind.supp (the suppressions are for
# glibc's loader and the Vulkan driver stack, never for hemovk). Child processes (the CLI, Python
# reference generators) run natively.
set(HEMOVK_TEST_LAUNCHER "")
set(HEMOVK_TEST_FORK yes)
set(HEMOVK_TEST_TIMEOUT_SCALE 1)
if(HEMOVK_VALGRIND)
  find_program(VALGRIND_EXECUTABLE valgrind REQUIRED)
  set(HEMOVK_TEST_LAUNCHER ${VALGRIND_EXECUTABLE} --tool=memcheck --error-exitcode=99 --leak-check=full
      --errors-for-leak-kinds=definite --show-leak-kinds=definite --num-callers=40
      --suppressions=${CMAKE_SOURCE_DIR}/tests/valgrind.supp -q)
  set(HEMOVK_TEST_FORK no)
  set(HEMOVK_TEST_TIMEOUT_SCALE 10)
endif()

# XDG_CACHE_HOME of the tests: hemovk's pipeline cache and Mesa's compiled-shader cache. The sanitizer
# and valgrind builds point it at the plain build's (scripts/test.sh, scripts/valgrind.sh): the shaders
# are the same SPIR-V, and lavapipe compiling them with LLVM under ASan's allocator is ~7x slower (a cold
# classify.parity: 10 min under ASan, 14 s with the plain run's cache).
set(HEMOVK_TEST_CACHE_DIR "${CMAKE_BINARY_DIR}/test-cache" CACHE PATH "XDG_CACHE_HOME for tests (shader caches)")

file(GLOB HEMOVK_TEST_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/*/test_*.c)
foreach(src ${HEMOVK_TEST_SOURCES})
  get_filename_component(name ${src} NAME_WE)
  get_filename_component(dir ${src} DIRECTORY)
  get_filename_component(group ${dir} NAME)
  string(REGEX REPLACE "^test_" "" short ${name})
  set(target test-${group}-${short})
  add_executable(${target} ${src})
  target_include_directories(${target} PRIVATE ${STB_INCLUDE_DIR} ${CMAKE_BINARY_DIR}/generated)
  target_link_libraries(${target} PRIVATE hvtest Vulkan::Vulkan PkgConfig::YAML PkgConfig::CJSON ${CMAKE_DL_LIBS})
  set_target_properties(${target} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests ENABLE_EXPORTS ON)
  add_dependencies(${target} hemovk-cli)
  # A long test file may split into one CTest test per Check tcase, declared in a line of its own:
  #   /* CTEST_SPLIT_BY_TCASE cpu vulkan_a vulkan_b */
  # registers <group>.<name>.cpu, ... each running only that tcase (Check's CK_RUN_CASE), so no single
  # test runs long and -j spreads them; hvtest fails a run that ran no case, so a misspelt name cannot pass.
  file(STRINGS ${src} split_line REGEX "^/\\* CTEST_SPLIT_BY_TCASE .* \\*/$" LIMIT_COUNT 1)
  set(file_tests)
  set(file_cases)
  if(split_line)
    string(REGEX REPLACE "^/\\* CTEST_SPLIT_BY_TCASE (.*) \\*/$" "\\1" file_cases "${split_line}")
    separate_arguments(file_cases)
    foreach(c ${file_cases})
      add_test(NAME ${group}.${short}.${c} COMMAND ${HEMOVK_TEST_LAUNCHER} $<TARGET_FILE:${target}>)
      list(APPEND file_tests ${group}.${short}.${c})
    endforeach()
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${src})
  else()
    add_test(NAME ${group}.${short} COMMAND ${HEMOVK_TEST_LAUNCHER} $<TARGET_FILE:${target}>)
    list(APPEND file_tests ${group}.${short})
  endif()
  set(labels ${group})
  set(timeout 600)
  if(short MATCHES "_slow$")
    list(APPEND labels slow)
    set(timeout 3000)
  endif()
  math(EXPR timeout "${timeout} * ${HEMOVK_TEST_TIMEOUT_SCALE}")
  math(EXPR ck_timeout "3000 * ${HEMOVK_TEST_TIMEOUT_SCALE}")
  # SKIP_RETURN_CODE 77: a test that cannot run (a missing optional module, dataset or device feature)
  # exits 77 and CTest reports it as skipped, never as passed; .ci/run fails on any skip.
  # The device: HEMOVK_DEVICE=vulkan, the best Vulkan device (lavapipe in CI: the shaders under the
  # validation layer), since the default on a machine without a GPU is the CPU backend. A test file
  # that also checks the CPU backend says so in a line of its own:
  #   /* CTEST_ALSO_ON_CPU */
  # and each of its tests is registered a second time as <test>.on_cpu with HEMOVK_DEVICE=cpu (label
  # cpu_backend), the same checks and tolerances.
  file(STRINGS ${src} cpu_line REGEX "^/\\* CTEST_ALSO_ON_CPU \\*/$" LIMIT_COUNT 1)
  set(cpu_tests)
  if(cpu_line)
    foreach(t ${file_tests})
      add_test(NAME ${t}.on_cpu COMMAND ${HEMOVK_TEST_LAUNCHER} $<TARGET_FILE:${target}>)
      list(APPEND cpu_tests ${t}.on_cpu)
    endforeach()
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${src})
  endif()
  foreach(t ${file_tests} ${cpu_tests})
    set(case_env "")
    set(device vulkan)
    set(test_labels ${labels})
    set(case_name ${t})
    if(t MATCHES "\\.on_cpu$")
      set(device cpu)
      list(APPEND test_labels cpu_backend)
      string(REGEX REPLACE "\\.on_cpu$" "" case_name ${t})
    endif()
    if(file_cases)
      string(REGEX REPLACE "^.*\\." "" c ${case_name})
      set(case_env ";CK_RUN_CASE=${c}")
    endif()
    set_tests_properties(${t} PROPERTIES
      LABELS "${test_labels}"
      SKIP_RETURN_CODE 77
      TIMEOUT ${timeout}
      WORKING_DIRECTORY ${CMAKE_BINARY_DIR}
      ENVIRONMENT "HEMOVK_VALIDATE=1;HEMOVK_DEVICE=${device};HEMOVK_PLUGIN_PATH=${HEMOVK_PLUGIN_BUILD_DIR};XDG_CACHE_HOME=${HEMOVK_TEST_CACHE_DIR};CK_DEFAULT_TIMEOUT=${ck_timeout};CK_FORK=${HEMOVK_TEST_FORK}${case_env}")
  endforeach()
  set(file_tests ${file_tests} ${cpu_tests})
  # Per-test CTest properties, declared by the test itself in a line of its own:
  #   /* CTEST_PROPERTIES RUN_SERIAL ON */
  # (every test already has SKIP_RETURN_CODE 77, above). A file that carries the line is a configure
  # dependency, so editing the line takes effect; adding it to an existing test takes one cmake run.
  file(STRINGS ${src} props_line REGEX "^/\\* CTEST_PROPERTIES .* \\*/$" LIMIT_COUNT 1)
  if(props_line)
    string(REGEX REPLACE "^/\\* CTEST_PROPERTIES (.*) \\*/$" "\\1" props "${props_line}")
    separate_arguments(props)
    set_tests_properties(${file_tests} PROPERTIES ${props})
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${src})
  endif()
endforeach()
include(cmake/TestPlugins.cmake)

# The public surface is deliberate: libhemovk exports exactly the SDK's HV_API declarations
# (scripts/check_abi.py names any symbol that leaked or any declaration that is not exported).
add_test(NAME tools.abi COMMAND ${HEMOVK_PYTHON} ${CMAKE_SOURCE_DIR}/scripts/check_abi.py $<TARGET_FILE:hemovk>
         ${CMAKE_SOURCE_DIR}/sdk/include/hemovk $<TARGET_FILE:test-unit-plugin_loader>)
set_tests_properties(tools.abi PROPERTIES LABELS tools TIMEOUT 60 WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})

# The README's commands work as written: each command line of README.md is run in a sandbox that looks
# like the repository, or skipped with a stated reason (tests/tools/readme_commands.py); an unknown one fails.
add_test(NAME tools.readme_commands COMMAND ${HEMOVK_PYTHON} ${CMAKE_SOURCE_DIR}/tests/tools/readme_commands.py
         ${CMAKE_SOURCE_DIR} ${CMAKE_BINARY_DIR})
set_tests_properties(tools.readme_commands PROPERTIES LABELS tools TIMEOUT 900
  ENVIRONMENT "HEMOVK_VALIDATE=1;XDG_CACHE_HOME=${HEMOVK_TEST_CACHE_DIR}")

# scripts/gpu-check.sh (the one command for a GPU machine) refuses lavapipe and, as a dry run on it, runs
# the demo pipeline and prints its table (tests/tools/gpu_check.sh).
add_test(NAME tools.gpu_check COMMAND ${CMAKE_SOURCE_DIR}/tests/tools/gpu_check.sh ${CMAKE_SOURCE_DIR} ${CMAKE_BINARY_DIR})
set_tests_properties(tools.gpu_check PROPERTIES LABELS tools TIMEOUT 300 SKIP_RETURN_CODE 77
  ENVIRONMENT "HEMOVK_VALIDATE=1;XDG_CACHE_HOME=${HEMOVK_TEST_CACHE_DIR}")

# A parameter's default is written once, in its schema: plugins read the filled-in value with
# hv_config_need_* (scripts/check_defaults.py names any hv_config_get_* that writes a default in code
# without saying why absence means something else). tests/maskrcnn/test_schema_defaults.c proves the C
# API's own paper defaults agree with the schemas.
add_test(NAME tools.defaults COMMAND ${HEMOVK_PYTHON} ${CMAKE_SOURCE_DIR}/scripts/check_defaults.py ${CMAKE_SOURCE_DIR})
set_tests_properties(tools.defaults PROPERTIES LABELS tools TIMEOUT 60)

# The sanitizer stage retries a failed test only when LeakSanitizer's own tracer crashed and nothing else
# went wrong (scripts/test.sh, scripts/lsan_tracer_crash_only.py); tests/tools/lsan_tracer_crash_only.py
# shows which outputs are retried and which failures stand, and that the log it parses is this ctest's.
add_test(NAME tools.lsan_tracer_retry COMMAND ${HEMOVK_PYTHON} ${CMAKE_SOURCE_DIR}/tests/tools/lsan_tracer_crash_only.py
         ${CMAKE_SOURCE_DIR})
set_tests_properties(tools.lsan_tracer_retry PROPERTIES LABELS tools TIMEOUT 120)
