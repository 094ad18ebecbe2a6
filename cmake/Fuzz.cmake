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
# (paths relative to the source tree; each file's folder is added to the include path).
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
endfunction()

if(HEMOVK_FUZZ)
  set(HEMOVK_FUZZ_TARGETS)
  foreach(src ${HEMOVK_FUZZ_SOURCES})
    get_filename_component(name ${src} NAME_WE)
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
