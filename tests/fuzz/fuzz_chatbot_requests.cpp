// libFuzzer target: the request parsers of sg-chatbot's HTTP server (examples/chatbot:
// chat_request.hpp, openai_compat.hpp). Any bytes as a /chat body, a /v1/chat/completions body,
// a thread id and a path segment: only sg::chatbot::ChatbotError may escape, its id is 801 or
// 807, and its message is valid UTF-8 (the server sends it as JSON).
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "chat_request.hpp"
#include "chatbot_error.hpp"
#include "openai_compat.hpp"

namespace {

template <class F>
void expect_only_request_errors(F&& f) {
  try {
    f();
  } catch (const sg::chatbot::ChatbotError& e) {
    if (e.id() != "sg.chatbot.807" && e.id() != "sg.chatbot.801") std::abort();
    try {
      (void)nlohmann::json(std::string(e.what())).dump();
    } catch (const nlohmann::json::exception&) {
      std::abort();  // not valid UTF-8
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace sc = sg::chatbot;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  expect_only_request_errors([&] {
    const sc::ChatRequest r = sc::parse_chat_request(input);
    sc::check_thread_id(r.session_id, "session_id");  // what the parser accepted is a valid id
  });
  expect_only_request_errors([&] {
    const sc::CompletionRequest r = sc::parse_completion_request(input);
    if (r.input.empty()) std::abort();
    if (r.user) sc::check_thread_id(*r.user, "user");
  });
  expect_only_request_errors([&] { sc::check_thread_id(input, "X-Thread-Id"); });
  expect_only_request_errors([&] { (void)sc::percent_decode(input); });
  return 0;
}
