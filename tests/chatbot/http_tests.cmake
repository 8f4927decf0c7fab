# Tests of sg-chatbot's HTTP server (examples/chatbot/http_server.hpp), label "chatbot":
#   - test_chatbot_http: the server in process over real HTTP on 127.0.0.1 (libcurl client, raw
#     sockets for malformed requests), on real SQLite files (wrapped in sg_faulty_saver to make
#     the store fail), the Agent Server API it also serves (agent_api_test.cpp), and unit tests of
#     its request parsers and SSE framing (the request guard's: tests/agent_server);
#   - clients/: third-party clients against the real `sg-chatbot serve` binary: the official
#     `openai` npm client, LangGraph's JS SDK (@langchain/langgraph-sdk, against the Agent Server
#     API the server also serves: assistant "chatbot" on the store of /chat) and Debian's chromium
#     driven by playwright-core (the web page). All are pinned in clients/package.json + package-lock.json and installed with `npm ci
#     --ignore-scripts` into the build tree by the CTest fixture sg_chatbot_clients. Without
#     node/npm or chromium these tests fail with the install hint; they are never skipped.
find_package(CURL REQUIRED)

set(SG_TEST_LIBS sg_chatbot_http stategraph::sqlite CURL::libcurl sg_faulty_saver)
sg_add_test_binary(test_chatbot_http chatbot main.cpp http_client.cpp http_server_test.cpp http_hardening_test.cpp
                   http_parsers_test.cpp agent_api_test.cpp)

set(SG_CHATBOT_CLIENTS_DIR "${CMAKE_CURRENT_BINARY_DIR}/clients")
set(_sg_clients_src "${CMAKE_CURRENT_SOURCE_DIR}/clients")
add_test(NAME "chatbot: install the openai, langgraph-sdk and playwright-core clients (npm ci)"
         COMMAND bash "${_sg_clients_src}/npm-fixture.sh" "${SG_CHATBOT_CLIENTS_DIR}" "${_sg_clients_src}")
set_tests_properties("chatbot: install the openai, langgraph-sdk and playwright-core clients (npm ci)" PROPERTIES
                     FIXTURES_SETUP sg_chatbot_clients LABELS chatbot TIMEOUT 300)

add_test(NAME "chatbot: the official openai npm client against sg-chatbot serve"
         COMMAND bash "${_sg_clients_src}/run-with-server.sh" "$<TARGET_FILE:sg_chatbot>"
                 "${CMAKE_CURRENT_BINARY_DIR}/openai-client-run" --token openai-test-token
                 -- node "${SG_CHATBOT_CLIENTS_DIR}/openai_client.mjs")
set_tests_properties("chatbot: the official openai npm client against sg-chatbot serve" PROPERTIES
                     FIXTURES_REQUIRED sg_chatbot_clients LABELS chatbot TIMEOUT 120)

add_test(NAME "chatbot: the langgraph-sdk client against sg-chatbot serve (assistant chatbot, one store with /chat)"
         COMMAND bash "${_sg_clients_src}/run-with-server.sh" "$<TARGET_FILE:sg_chatbot>"
                 "${CMAKE_CURRENT_BINARY_DIR}/langgraph-sdk-run" --token sdk-test-token
                 -- node --test --test-reporter=spec "${SG_CHATBOT_CLIENTS_DIR}/langgraph_sdk.mjs")
set_tests_properties("chatbot: the langgraph-sdk client against sg-chatbot serve (assistant chatbot, one store with /chat)"
                     PROPERTIES FIXTURES_REQUIRED sg_chatbot_clients LABELS chatbot TIMEOUT 120)
