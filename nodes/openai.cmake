# The OpenAI-compatible chat model (sg::OpenAIChatModel) over libcurl: the client, its SSE parser
# and the chat-completions wire format. libcurl is a PRIVATE dependency: curl.h appears in no
# public header (OpenAIChatModel is a pimpl), so users of stategraph::nodes never include it.
find_package(CURL REQUIRED)
target_sources(sg_nodes PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/src/openai_chat_model.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/openai_wire.cpp
  ${CMAKE_CURRENT_LIST_DIR}/src/sse_parser.cpp)
target_link_libraries(sg_nodes PRIVATE CURL::libcurl)
