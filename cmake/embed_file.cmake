# cmake -DSRC=<file> -DDST=<header> -DNAME=<function> [-DNAMESPACE=<ns>] -P embed_file.cmake
# Writes a header defining `inline std::string_view <ns>::<NAME>() noexcept` (ns: sg::chatbot
# unless given) that returns the bytes of SRC (embedded as an array, so any content is safe). Used
# at build time (see examples/chatbot/CMakeLists.txt, examples/agent_server/CMakeLists.txt);
# nothing is fetched.
foreach(var SRC DST NAME)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "embed_file.cmake: -D${var}=... is required")
  endif()
endforeach()
if(NOT DEFINED NAMESPACE)
  set(NAMESPACE sg::chatbot)
endif()
file(READ "${SRC}" hex HEX)
string(LENGTH "${hex}" hex_length)
math(EXPR size "${hex_length} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REGEX REPLACE "((0x[0-9a-f][0-9a-f],){24})" "\\1\n    " bytes "${bytes}")
get_filename_component(source "${SRC}" NAME)
file(WRITE "${DST}.tmp" "// Generated from ${source} by cmake/embed_file.cmake. Do not edit.
#pragma once
#include <string_view>

namespace ${NAMESPACE} {

/// The ${size} bytes of ${source}.
inline std::string_view ${NAME}() noexcept {
  static constexpr unsigned char bytes[] = {
    ${bytes}0x00};
  return {reinterpret_cast<const char*>(bytes), sizeof bytes - 1};
}

}  // namespace ${NAMESPACE}
")
file(COPY_FILE "${DST}.tmp" "${DST}" ONLY_IF_DIFFERENT)
file(REMOVE "${DST}.tmp")
