# Read by ctest after the discovered tests of test_cli (TEST_INCLUDE_FILES, tests/CMakeLists.txt):
# the shared-machine latency tests make the contention they measure, so nothing else runs beside
# them. test_cli_TESTS is the list gtest_discover_tests wrote.
foreach(t IN LISTS test_cli_TESTS)
  if(t MATCHES "^SharedMachineTest\\.")
    set_tests_properties("${t}" PROPERTIES RUN_SERIAL TRUE)
  endif()
endforeach()
