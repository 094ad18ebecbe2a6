# Fixture plugins for the plugin loader tests: tests/fixtures/plugins/fixture_plugin.c built once per
# case (-DFIXTURE_<CASE>) as a MODULE into <build>/test-plugins/<case>/hemovk-<case>.so, so a test can
# load each case's folder on its own. The `hemovk-test-plugins` target builds them all; the
# test-unit-plugin* executables depend on it.
set(HEMOVK_TEST_PLUGIN_CASES good oldminor major newminor small noentry initfail dup badschema)
set(HEMOVK_TEST_PLUGIN_TARGETS)
foreach(case ${HEMOVK_TEST_PLUGIN_CASES})
  string(TOUPPER ${case} upper)
  set(target hemovk-test-plugin-${case})
  add_library(${target} MODULE ${CMAKE_SOURCE_DIR}/tests/fixtures/plugins/fixture_plugin.c)
  set_target_properties(${target} PROPERTIES PREFIX "" OUTPUT_NAME hemovk-${case}
    LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/test-plugins/${case}
    C_VISIBILITY_PRESET hidden)
  target_compile_definitions(${target} PRIVATE FIXTURE_${upper}=1 FIXTURE_NAME="${case}")
  target_link_libraries(${target} PRIVATE hemovk)
  target_link_options(${target} PRIVATE ${HEMOVK_NO_UNDEFINED})
  list(APPEND HEMOVK_TEST_PLUGIN_TARGETS ${target})
endforeach()
add_custom_target(hemovk-test-plugins DEPENDS ${HEMOVK_TEST_PLUGIN_TARGETS})
foreach(src ${HEMOVK_TEST_SOURCES})
  get_filename_component(name ${src} NAME_WE)
  get_filename_component(dir ${src} DIRECTORY)
  get_filename_component(group ${dir} NAME)
  if(name MATCHES "^test_plugin")
    string(REGEX REPLACE "^test_" "" short ${name})
    add_dependencies(test-${group}-${short} hemovk-test-plugins)
  endif()
endforeach()

# Test-only stage plugin of the pipeline tests: tests/fixtures/pipeline/*.c -> <build>/test-plugins/
# pipetest/hemovk-pipetest.so (classifier from pixels, markers, a slow stage); tests/pipeline/* depend on it.
file(GLOB HEMOVK_PIPETEST_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/fixtures/pipeline/*.c)
if(HEMOVK_PIPETEST_SOURCES)
  add_library(hemovk-test-plugin-pipetest MODULE ${HEMOVK_PIPETEST_SOURCES})
  set_target_properties(hemovk-test-plugin-pipetest PROPERTIES PREFIX "" OUTPUT_NAME hemovk-pipetest
    LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/test-plugins/pipetest C_VISIBILITY_PRESET hidden)
  target_link_libraries(hemovk-test-plugin-pipetest PRIVATE hemovk)
  target_link_options(hemovk-test-plugin-pipetest PRIVATE ${HEMOVK_NO_UNDEFINED})
  foreach(src ${HEMOVK_TEST_SOURCES})
    get_filename_component(name ${src} NAME_WE)
    get_filename_component(dir ${src} DIRECTORY)
    get_filename_component(group ${dir} NAME)
    if(group STREQUAL "pipeline")
      string(REGEX REPLACE "^test_" "" short ${name})
      add_dependencies(test-${group}-${short} hemovk-test-plugin-pipetest)
    endif()
  endforeach()
endif()
