# Fuzz targets (tests/fuzz/fuzz_<target>.c, each one LLVMFuzzerTestOneInput over one untrusted-input
# reader) are built two ways:
#  * always (with the tests): fuzz-replay-<target>, the entry point with a plain main()
#    (tests/fuzz/replay_main.c) that feeds it every file of tests/fuzz/corpus/<target>/ — CTest test
#    fuzz.replay_<target>, label `fuzz`. The plain and the ASan+UBSan suites so replay every seed and every
#    input a fuzzer ever crashed on, with any compiler and without libFuzzer;
#  * with -DHEMOVK_FUZZ=ON (clang only): fuzz_<target>, linked with libFuzzer (-fsanitize=fuzzer) against
#    a libhemovk built with -fsanitize=fuzzer-no-link,address,undefined (coverage-guided, sanitized).
#    scripts/fuzz.sh builds them in build-fuzz/ and runs each on a copy of its corpus for a bounded time.
file(GLOB HEMOVK_FUZZ_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/fuzz/fuzz_*.c)

# A target that needs a plugin's source (a parameter schema and its reader) says so in a line of its own:
#   /* FUZZ_EXTRA_SOURCES plugins/segment/seg_config.c */
# (paths relative to the source tree; each file's folder is added to the include path), and one that
# needs an optional library found by pkg-config names its import target the same way:
#   /* FUZZ_PKG FFMPEG */
# (PkgConfig::FFMPEG); without it the target is not built and its replay test reports a skip.
function(hemovk_fuzz_pkg src out_var)
  file(STRINGS ${src} pkg_line REGEX "^/\\* FUZZ_PKG .* \\*/$" LIMIT_COUNT 1)
  set(${out_var} "" PARENT_SCOPE)
  if(pkg_line)
    string(REGEX REPLACE "^/\\* FUZZ_PKG (.*) \\*/$" "\\1" pkgs "${pkg_line}")
    separate_arguments(pkgs)
    set(${out_var} ${pkgs} PARENT_SCOPE)
  endif()
endfunction()

function(hemovk_fuzz_pkgs_found src out_var)
  hemovk_fuzz_pkg(${src} pkgs)
  set(found TRUE)
  foreach(p ${pkgs})
    if(NOT TARGET PkgConfig::${p})
      set(found FALSE)
    endif()
  endforeach()
  set(${out_var} ${found} PARENT_SCOPE)
endfunction()

function(hemovk_fuzz_common target src)
  target_include_directories(${target} PRIVATE ${CMAKE_SOURCE_DIR}/core ${CMAKE_SOURCE_DIR}/tests/fuzz)
  file(STRINGS ${src} extra_line REGEX "^/\\* FUZZ_EXTRA_SOURCES .* \\*/$" LIMIT_COUNT 1)
  if(extra_line)
    string(REGEX REPLACE "^/\\* FUZZ_EXTRA_SOURCES (.*) \\*/$" "\\1" extras "${extra_line}")
    separate_arguments(extras)
    foreach(e ${extras})
      get_filename_component(edir ${CMAKE_SOURCE_DIR}/${e} DIRECTORY)
      target_sources(${target} PRIVATE ${CMAKE_SOURCE_DIR}/${e})
      target_include_directories(${target} PRIVATE ${edir})
    endforeach()
    set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${src})
  endif()
  target_compile_definitions(${target} PRIVATE HEMOVK_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
  target_link_libraries(${target} PRIVATE hemovk-internal PkgConfig::CJSON)
  hemovk_fuzz_pkg(${src} pkgs)
  foreach(p ${pkgs})
    target_link_libraries(${target} PRIVATE PkgConfig::${p})
  endforeach()
endfunction()

if(HEMOVK_FUZZ)
  set(HEMOVK_FUZZ_TARGETS)
  foreach(src ${HEMOVK_FUZZ_SOURCES})
    get_filename_component(name ${src} NAME_WE)
    hemovk_fuzz_pkgs_found(${src} found)
    if(NOT found)
      message(STATUS "fuzz target ${name} not built: a library it needs (FUZZ_PKG) is missing")
      continue()
    endif()
    add_executable(${name} ${src})
    hemovk_fuzz_common(${name} ${src})
    target_link_options(${name} PRIVATE -fsanitize=fuzzer)
    set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/fuzz)
    list(APPEND HEMOVK_FUZZ_TARGETS ${name})
  endforeach()
  add_custom_target(fuzz-targets DEPENDS ${HEMOVK_FUZZ_TARGETS})
endif()

if(HEMOVK_BUILD_TESTS)
  foreach(src ${HEMOVK_FUZZ_SOURCES})
    get_filename_component(name ${src} NAME_WE)
    string(REGEX REPLACE "^fuzz_" "" short ${name})
    set(target fuzz-replay-${short})
    hemovk_fuzz_pkgs_found(${src} found)
    if(NOT found)
      # said to CTest as a skip (exit 77), never a pass
      add_test(NAME fuzz.replay_${short} COMMAND sh -c "echo 'skipped: ${name} needs a library not found (FUZZ_PKG)'; exit 77")
      set_tests_properties(fuzz.replay_${short} PROPERTIES LABELS "fuzz" SKIP_RETURN_CODE 77)
      continue()
    endif()
    add_executable(${target} ${src} ${CMAKE_SOURCE_DIR}/tests/fuzz/replay_main.c)
    hemovk_fuzz_common(${target} ${src})
    set_target_properties(${target} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
    add_test(NAME fuzz.replay_${short}
             COMMAND ${HEMOVK_TEST_LAUNCHER} $<TARGET_FILE:${target}> ${CMAKE_SOURCE_DIR}/tests/fuzz/corpus/${short})
    math(EXPR timeout "300 * ${HEMOVK_TEST_TIMEOUT_SCALE}")
    set_tests_properties(fuzz.replay_${short} PROPERTIES LABELS "fuzz" TIMEOUT ${timeout}
      WORKING_DIRECTORY ${CMAKE_BINARY_DIR} ENVIRONMENT "HEMOVK_LOG=error")
  endforeach()
endif()
