// libFuzzer target: the request parsers of sg-chatbot's HTTP server (examples/chatbot:
// chat_request.hpp, openai_compat.hpp) and the HTTP core's request guard
// (examples/agent_server/request_guard.hpp). Any bytes as a /chat body, a /v1/chat/completions
// body, a thread id, a path segment: only sg::chatbot::ChatbotError may escape, its id is the
// parser's (801 or 807), and its message is valid UTF-8 (the server sends it as JSON). As a Host,
// Origin or Content-Type header: the guard throws nothing, refuses with its own kinds only, and
// its message is valid UTF-8. A Host that parse_authority accepts parses again to the same
// authority once normalised.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "chat_request.hpp"
#include "chatbot_error.hpp"
#include "openai_compat.hpp"
#include "agent_server/request_guard.hpp"

namespace {

using sg::chatbot::ChatbotErrorId;

template <class F>
void expect_only_request_errors(F&& f, std::initializer_list<ChatbotErrorId> ids = {ChatbotErrorId::bad_request,
                                                                                     ChatbotErrorId::empty_message}) {
  try {
    f();
  } catch (const sg::chatbot::ChatbotError& e) {
    if (std::none_of(ids.begin(), ids.end(), [&](ChatbotErrorId id) { return e.id() == sg::chatbot::chatbot_error_code(id); }))
      std::abort();
    try {
      (void)nlohmann::json(std::string(e.what())).dump();
    } catch (const nlohmann::json::exception&) {
      std::abort();  // not valid UTF-8
    }
  }
}

/// The guard's refusal, if any, is one of `kinds` with a valid UTF-8 message.
void expect_refusal_in(const std::optional<sg::server::GuardRefusal>& refusal,
                       std::initializer_list<sg::server::HttpFailure> kinds) {
  if (!refusal) return;
  if (std::find(kinds.begin(), kinds.end(), refusal->kind) == kinds.end()) std::abort();
  try {
    (void)nlohmann::json(refusal->message).dump();
  } catch (const nlohmann::json::exception&) {
    std::abort();  // not valid UTF-8
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

  namespace ss = sg::server;
  if (const auto authority = ss::parse_authority(input)) {
    const std::string again = authority->host.find(':') == std::string::npos ? authority->host : "[" + authority->host + "]";
    if (ss::parse_authority(again + ":" + std::to_string(authority->port)) != authority) std::abort();
  }
  static const ss::RequestGuard guard({"chat.example.lan"});
  const std::size_t half = input.size() / 2;  // a Host and an Origin from one input
  expect_refusal_in(guard.check(input.substr(0, half), input.substr(half), "10.0.0.7"),
                    {ss::HttpFailure::host_not_allowed, ss::HttpFailure::cross_origin});
  expect_refusal_in(ss::check_json_content_type(input), {ss::HttpFailure::unsupported_media_type});
  return 0;
}
