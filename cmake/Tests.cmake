# Test registration: every tests/<group>/test_<name>.c is one Check executable and one CTest test
# named <group>.<name>, labelled <group>; a file whose name ends in _slow.c also gets the `slow`
# label (full-size models: they still run in CI). Every test runs with the Khronos validation layer
# on (HEMOVK_VALIDATE=1) and fails on any message (tests/common/hvtest.c checks the counter).
pkg_check_modules(CHECK REQUIRED IMPORTED_TARGET check)

file(GLOB HVTEST_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/common/*.c)
add_library(hvtest STATIC ${HVTEST_SOURCES})
target_include_directories(hvtest PUBLIC ${CMAKE_SOURCE_DIR}/tests/common ${CMAKE_SOURCE_DIR}/core)
target_link_libraries(hvtest PUBLIC hemovk PkgConfig::CHECK m)
target_compile_definitions(hvtest PUBLIC
  HEMOVK_SOURCE_DIR="${CMAKE_SOURCE_DIR}"
  HEMOVK_BINARY_DIR="${CMAKE_BINARY_DIR}"
  HEMOVK_SHARED_DIR="${CMAKE_SOURCE_DIR}/../shared"
  HEMOVK_PYTHON="${HEMOVK_PYTHON}"
  HEMOVK_CLI="$<TARGET_FILE:hemovk-cli>")

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
  set_target_properties(${target} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  add_dependencies(${target} hemovk-cli)
  add_test(NAME ${group}.${short} COMMAND ${target})
  set(labels ${group})
  set(timeout 600)
  if(short MATCHES "_slow$")
    list(APPEND labels slow)
    set(timeout 3000)
  endif()
  set_tests_properties(${group}.${short} PROPERTIES
    LABELS "${labels}"
    TIMEOUT ${timeout}
    WORKING_DIRECTORY ${CMAKE_BINARY_DIR}
    ENVIRONMENT "HEMOVK_VALIDATE=1;HEMOVK_PLUGIN_PATH=${HEMOVK_PLUGIN_BUILD_DIR};XDG_CACHE_HOME=${CMAKE_BINARY_DIR}/test-cache;CK_DEFAULT_TIMEOUT=3000;CK_FORK=yes")
endforeach()
include(cmake/TestPlugins.cmake)
