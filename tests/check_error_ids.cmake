# cmake -DSRC=<source dir> -P check_error_ids.cmake
# Fails when a source file of the library, the CLI or the examples spells an error id
# ("sg.<area>.NNN") in a string literal: ids are data (sg::ErrorId, error_id.hpp; sg-chatbot's
# ChatbotErrorId, chatbot_error.hpp), and those two tables are the only places that spell them.
# Comments may name ids (// ... [sg.saver.401]); a comment is "//" to the end of the line.
cmake_minimum_required(VERSION 3.21)
file(GLOB_RECURSE sources
  "${SRC}/engine/*.cpp" "${SRC}/engine/*.hpp"
  "${SRC}/checkpoint/*.cpp" "${SRC}/checkpoint/*.hpp"
  "${SRC}/nodes/*.cpp" "${SRC}/nodes/*.hpp"
  "${SRC}/examples/*.cpp" "${SRC}/examples/*.hpp")
set(allowed "checkpoint/include/stategraph/checkpoint/error_id.hpp" "examples/chatbot/chatbot_error.hpp"
            "examples/agent_server/server_error.hpp")
set(bad "")
foreach(file IN LISTS sources)
  file(RELATIVE_PATH rel "${SRC}" "${file}")
  if(rel IN_LIST allowed)
    continue()
  endif()
  file(STRINGS "${file}" lines REGEX "sg\\.[a-z]+\\.[0-9][0-9][0-9]")
  foreach(line IN LISTS lines)
    # Drop a trailing comment: "//" not inside a string (approximation: not after "x:" as in a URI).
    string(REGEX REPLACE "(^|[^:\"])//.*$" "\\1" code "${line}")
    if(code MATCHES "\"[^\"]*sg\\.[a-z]+\\.[0-9][0-9][0-9]")
      string(STRIP "${line}" shown)
      list(APPEND bad "${rel}: ${shown}")
    endif()
  endforeach()
endforeach()
if(bad)
  list(JOIN bad "\n  " shown)
  message(FATAL_ERROR "error ids spelled outside the error tables (use sg::ErrorId / ChatbotErrorId):\n  ${shown}")
endif()
list(LENGTH sources n)
message(STATUS "check_error_ids: ${n} files, no error id spelled outside the tables")
