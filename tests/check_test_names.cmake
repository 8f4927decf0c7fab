# Fails when a doctest case name contains ';': CTest splits such a name into a list, runs a filter
# that matches nothing, and reports the empty run as passed (doctest_discover_tests).
file(GLOB_RECURSE sources "${SRC}/*.cpp")
set(bad "")
foreach(f IN LISTS sources)
  file(STRINGS "${f}" lines REGEX "(TEST_CASE[A-Z_]*|SAVER_TEST|ENGINE_TEST)\\(\"[^\"]*;")
  foreach(l IN LISTS lines)
    string(APPEND bad "\n  ${f}: ${l}")
  endforeach()
endforeach()
if(NOT bad STREQUAL "")
  message(FATAL_ERROR "test case names must not contain ';' (CTest would run nothing):${bad}")
endif()
