#include "http_routes.hpp"

#include "agent_server/request_guard.hpp"
#include "agent_server/url.hpp"

#include <charconv>
#include <ctime>
#include <exception>
#include <random>

#include <nlohmann/json.hpp>

#include "chat_request.hpp"
#include "chatbot_error.hpp"
#include "openai_compat.hpp"

namespace sg::chatbot {
namespace {

ApiResponse json_response(const nlohmann::json& body, unsigned status = 200) {
  ApiResponse r;
  r.status = status;
  // Replace invalid UTF-8 (which a model could produce) instead of throwing while answering.
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

/// The body of GET /chat/{id}/history: the bytes json_response writes for {session_id,
/// turn_count, language, summary, updated_at, messages: [{role, content, id}]}, written straight
/// into one string (no JSON document of the conversation is built: 2,000 messages are 460 KB).
std::string history_body(const std::string& thread_id, const ThreadView& view) {
  std::string out;
  out.reserve(256 + view.messages.size() * 96);
  nlohmann::detail::serializer<nlohmann::json> write(nlohmann::detail::output_adapter<char>(out), ' ',
                                                     nlohmann::json::error_handler_t::replace);
  nlohmann::json text = "";  // reused for every string that is not already a JSON string
  auto string = [&](const std::string& v) {
    text.get_ref<std::string&>() = v;
    write.dump(text, false, false, 0);
  };
  // Keys in the order json_response's std::map gives them.
  out += "{\"language\":";
  string(view.language);
  out += ",\"messages\":[";
  for (std::size_t i = 0; i < view.messages.size(); ++i) {
    const sg::Message& m = view.messages[i];
    out += i == 0 ? "{\"content\":" : ",{\"content\":";
    if (m.content.is_string()) write.dump(m.content, false, false, 0);
    else string(m.text());
    out += ",\"id\":";
    string(m.id);
    out += ",\"role\":\"";
    out += sg::to_string(m.type);
    out += "\"}";
  }
  out += "],\"session_id\":";
  string(thread_id);
  out += ",\"summary\":";
  string(view.summary);
  out += ",\"turn_count\":";
  write.dump(nlohmann::json(view.turn_count), false, false, 0);
  out += ",\"updated_at\":";
  string(view.updated_at);
  out += '}';
  return out;
}

ApiResponse error_of(const std::exception& e, bool openai) {
  if (const auto* err = dynamic_cast<const sg::Error*>(&e)) return error_response(err->id(), err->message(), openai);
  return error_response(ChatbotErrorId::internal_error, std::string("unexpected error: ") + e.what(), openai);
}

/// Runs `f` and turns whatever it throws into an error response.
template <class F>
ApiResponse answering(bool openai, F&& f) noexcept {
  try {
    return f();
  } catch (const std::exception& e) {
    return error_of(e, openai);
  } catch (...) {
    return error_response(ChatbotErrorId::internal_error, "unexpected error (not a std::exception)", openai);
  }
}

/// `digits` random hex digits.
std::string random_hex(int digits) {
  thread_local std::mt19937_64 random{std::random_device{}()};
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < digits; ++i) out += hex[random() & 0xFU];
  return out;
}

std::string random_thread_id() { return "thread-" + random_hex(16); }

std::int64_t unix_now() { return static_cast<std::int64_t>(std::time(nullptr)); }

using sg::server::path_of;
using sg::server::query_of;

/// Writes a failure after a stream began: as an event, then the end of the stream. Ignores a
/// client that is gone.
void end_stream_with_error(ResponseStream& stream, const std::string& event) {
  try {
    stream.write(event);
    stream.write(kSseDone);
  } catch (const std::exception&) {  // NOLINT(bugprone-empty-catch): the client went away
  }
}

ApiResponse method_not_allowed(const char* allow) {
  ApiResponse r = error_response(ChatbotErrorId::no_such_route, std::string("method not allowed here; allowed: ") + allow);
  r.status = 405;
  r.headers.emplace_back("Allow", allow);
  return r;
}

/// Compares in time that depends on the length of `given` only (the token is not guessable by timing).
bool constant_time_equal(std::string_view given, std::string_view expected) noexcept {
  unsigned diff = given.size() == expected.size() ? 0U : 1U;
  for (std::size_t i = 0; i < given.size(); ++i) {
    const auto e = expected.empty() ? 0U : static_cast<unsigned char>(expected[i % expected.size()]);
    diff |= static_cast<unsigned char>(given[i]) ^ e;
  }
  return diff == 0;
}

}  // namespace

unsigned http_status(std::string_view id) {
  for (const ChatbotErrorInfo& row : kChatbotErrorTable)
    if (row.code == id && row.http_status != 0) return row.http_status;
  return 500;
}

ApiResponse error_response(ChatbotErrorId id, std::string_view message, bool openai) {
  return error_response(chatbot_error_code(id), message, openai);
}

ApiResponse error_response(std::string_view id, std::string_view message, bool openai) {
  const unsigned status = http_status(id);
  std::string log;
  std::string generic;
  if (status == 500) {  // the detail is for the operator only
    const std::string ref = random_hex(8);
    // Appended piece by piece: g++ 12 -O3 warns (-Wrestrict, a false positive) on "..." + string&&.
    log.append("[").append(id).append("] ref ").append(ref).append(": ").append(message);
    generic.append("internal error; see the server log (").append(id).append(", ref ").append(ref).append(")");
    message = generic;
  }
  ApiResponse r = openai ? json_response(openai_error_json(id, message, status), status)
                         : json_response({{"error", {{"id", id}, {"message", message}}}}, status);
  r.log = std::move(log);
  return r;
}

ApiRoutes::ApiRoutes(Chatbot& bot, std::string token) : bot_(&bot), token_(std::move(token)) {}

bool ApiRoutes::owns(std::string_view method, std::string_view path) const {
  if (path == "/threads") return method == "GET";
  // The page at / is the Agent Server's (examples/agent_server/web).
  return path == "/chat" || path.rfind("/chat/", 0) == 0 || path.rfind("/v1/", 0) == 0;
}

bool ApiRoutes::authorized(std::string_view authorization) const noexcept {
  if (token_.empty()) return true;
  static constexpr std::string_view scheme = "bearer ";
  if (authorization.size() < scheme.size()) return false;
  for (std::size_t i = 0; i < scheme.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(authorization[i])) != scheme[i]) return false;
  std::string_view given = authorization.substr(scheme.size());
  while (!given.empty() && given.front() == ' ') given.remove_prefix(1);
  return constant_time_equal(given, token_);
}

ApiResponse ApiRoutes::failure(sg::server::HttpFailure kind, std::string_view message, const ApiRequest& request) const {
  const bool openai = path_of(request.target).rfind("/v1/", 0) == 0;
  ChatbotErrorId id = ChatbotErrorId::internal_error;
  switch (kind) {
    case sg::server::HttpFailure::bad_request: id = ChatbotErrorId::bad_request; break;
    case sg::server::HttpFailure::head_too_large:
    case sg::server::HttpFailure::body_too_large: id = ChatbotErrorId::body_too_large; break;
    case sg::server::HttpFailure::stopping: id = ChatbotErrorId::stopping; break;
    case sg::server::HttpFailure::unsupported_media_type: id = ChatbotErrorId::unsupported_media_type; break;
    case sg::server::HttpFailure::cross_origin: id = ChatbotErrorId::cross_origin; break;
    case sg::server::HttpFailure::host_not_allowed: id = ChatbotErrorId::host_not_allowed; break;
    case sg::server::HttpFailure::internal: break;
  }
  return error_response(id, message, openai);
}

std::variant<ApiResponse, ApiCall> ApiRoutes::route(const ApiRequest& request) const {
  const std::string_view path = path_of(request.target);
  const std::string_view method = request.method;
  try {
    if (!authorized(request.authorization)) {
      const bool openai = path.rfind("/v1/", 0) == 0;
      ApiResponse r = error_response(ChatbotErrorId::unauthorized,
                                     request.authorization.empty() ? "this server needs \"Authorization: Bearer <token>\" (--token)"
                                                                   : "wrong bearer token",
                                     openai);
      r.headers.emplace_back("WWW-Authenticate", "Bearer");
      return r;
    }
    if (path == "/chat" || path == "/chat/stream") {
      if (method != "POST") return method_not_allowed("POST");
      if (auto refusal = sg::server::check_json_body(request)) return failure(refusal->kind, refusal->message, request);
      return chat(request.body, path == "/chat/stream");
    }
    if (path == "/threads") {
      if (method != "GET") return method_not_allowed("GET");
      return threads(query_of(request.target));
    }
    if (path == "/v1/chat/completions") {
      if (method != "POST") return method_not_allowed("POST");
      if (auto refusal = sg::server::check_json_body(request)) return failure(refusal->kind, refusal->message, request);
      return completions(request);
    }
    if (path == "/v1/models") {
      if (method != "GET") return method_not_allowed("GET");
      return models();
    }
    static constexpr std::string_view chat_prefix = "/chat/";
    static constexpr std::string_view history_suffix = "/history";
    if (path.rfind(chat_prefix, 0) == 0) {
      std::string_view rest = path.substr(chat_prefix.size());
      const bool is_history = rest.size() > history_suffix.size() &&
                              rest.substr(rest.size() - history_suffix.size()) == history_suffix;
      if (is_history) rest.remove_suffix(history_suffix.size());
      if (!rest.empty() && rest.find('/') == std::string_view::npos) {
        std::string thread_id = percent_decode(rest);
        check_thread_id(thread_id, "the session id in the path");
        if (is_history) {
          if (method != "GET") return method_not_allowed("GET");
          return history(std::move(thread_id));
        }
        if (method != "DELETE") return method_not_allowed("DELETE");
        return erase(std::move(thread_id));
      }
    }
    return error_response(ChatbotErrorId::no_such_route, "no route " + std::string(method) + " " + std::string(path) +
                                                "; see GET / or README.md (\"sg-chatbot serve\")");
  } catch (const std::exception& e) {
    return error_of(e, path.rfind("/v1/", 0) == 0);
  }
}

ApiCall ApiRoutes::chat(std::string_view body, bool stream) const {
  ChatRequest request = parse_chat_request(body);
  ApiCall call;
  call.session = request.session_id;
  call.streaming = stream;
  Chatbot* bot = bot_;
  if (!stream) {
    call.run = [bot, request](ResponseStream*, const sg::CancellationToken& cancel) {
      return answering(false, [&] {
        const TurnResult turn = bot->send(request.session_id, request.message, {}, cancel, request.language);
        return json_response(
            {{"session_id", request.session_id}, {"response", turn.reply.text()}, {"turn_count", turn.turn_count}});
      });
    };
    return call;
  }
  call.run = [bot, request](ResponseStream* out, const sg::CancellationToken& cancel) {
    try {
      bot->send(
          request.session_id, request.message, [out](std::string_view token) { out->write(sse_event(token)); }, cancel,
          request.language);
      out->write(kSseDone);
      return ApiResponse{};
    } catch (const std::exception& e) {
      ApiResponse error = error_of(e, false);
      if (out->started()) end_stream_with_error(*out, sse_event(error.body, "error"));
      return error;
    }
  };
  return call;
}

ApiCall ApiRoutes::completions(const ApiRequest& http) const {
  CompletionRequest request = parse_completion_request(http.body);
  std::string thread_id;
  if (!http.thread_header.empty()) {
    check_thread_id(http.thread_header, "X-Thread-Id");
    thread_id = std::string(http.thread_header);
  } else if (request.user) {
    thread_id = *request.user;
  } else if (request.has_history) {
    throw ChatbotError(ChatbotErrorId::bad_request,
                       "the request carries earlier messages but names no thread: this server keeps each conversation "
                       "as a thread and uses only the last message, so name the thread with \"user\" or an X-Thread-Id "
                       "header (a request without them and with only one message starts a new thread)");
  } else {
    thread_id = random_thread_id();
  }
  ApiCall call;
  call.session = thread_id;
  call.streaming = request.stream;
  call.stream_headers = {{"X-Thread-Id", thread_id}};
  CompletionHead head{new_completion_id(), unix_now(), request.model.empty() ? bot_->model().name() : request.model};
  Chatbot* bot = bot_;
  if (!request.stream) {
    call.run = [bot, request, thread_id, head](ResponseStream*, const sg::CancellationToken& cancel) {
      ApiResponse r = answering(true, [&] {
        const TurnResult turn = bot->send(thread_id, request.input, {}, cancel);
        return json_response(completion_json(head, turn.reply));
      });
      r.headers.emplace_back("X-Thread-Id", thread_id);
      return r;
    };
    return call;
  }
  call.run = [bot, request, thread_id, head](ResponseStream* out, const sg::CancellationToken& cancel) {
    const auto event = [](const nlohmann::json& j) {
      return sse_event(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    };
    bool role_sent = false;
    const auto send_role = [&] {
      if (role_sent) return;
      role_sent = true;
      out->write(event(chunk_json(head, {{"role", "assistant"}, {"content", ""}, {"refusal", nullptr}})));
    };
    try {
      const TurnResult turn = bot->send(
          thread_id, request.input,
          [&](std::string_view token) {
            send_role();
            out->write(event(chunk_json(head, {{"content", token}})));
          },
          cancel);
      send_role();
      out->write(event(chunk_json(head, nlohmann::json::object(), finish_reason(turn.reply))));
      if (request.include_usage) out->write(event(usage_chunk_json(head, completion_usage(turn.reply))));
      out->write(kSseDone);
      return ApiResponse{};
    } catch (const std::exception& e) {
      ApiResponse error = error_of(e, true);
      error.headers.emplace_back("X-Thread-Id", thread_id);
      // OpenAI's streams carry a failure as a data event with an "error" object.
      if (out->started()) end_stream_with_error(*out, sse_event(error.body));
      return error;
    }
  };
  return call;
}

ApiCall ApiRoutes::history(std::string thread_id) const {
  ApiCall call;
  call.read_only = true;
  Chatbot* bot = bot_;
  call.run = [bot, thread_id](ResponseStream*, const sg::CancellationToken&) {
    return answering(false, [&] {
      const auto view = bot->thread(thread_id);
      if (!view) return error_response(ChatbotErrorId::unknown_thread, "no session \"" + thread_id + "\"");
      ApiResponse r;
      r.body = history_body(thread_id, *view);
      return r;
    });
  };
  return call;
}

ApiCall ApiRoutes::erase(std::string thread_id) const {
  ApiCall call;
  call.session = thread_id;
  Chatbot* bot = bot_;
  call.run = [bot, thread_id](ResponseStream*, const sg::CancellationToken&) {
    return answering(false, [&] {
      if (!bot->erase(thread_id)) return error_response(ChatbotErrorId::unknown_thread, "no session \"" + thread_id + "\"");
      return json_response({{"session_id", thread_id}, {"message", "session \"" + thread_id + "\" deleted"}});
    });
  };
  return call;
}

ApiCall ApiRoutes::threads(std::string_view query) const {
  std::size_t limit = 1000;
  for (std::size_t begin = 0; begin < query.size();) {
    const std::size_t end = std::min(query.find('&', begin), query.size());
    const std::string_view pair = query.substr(begin, end - begin);
    if (pair.rfind("limit=", 0) == 0) {
      const std::string_view value = pair.substr(6);
      const auto parsed = std::from_chars(value.data(), value.data() + value.size(), limit);
      if (parsed.ec != std::errc() || parsed.ptr != value.data() + value.size() || limit == 0)
        throw ChatbotError(ChatbotErrorId::bad_request, "limit must be a positive whole number");
    }
    begin = end + 1;
  }
  ApiCall call;
  call.read_only = true;
  Chatbot* bot = bot_;
  call.run = [bot, limit](ResponseStream*, const sg::CancellationToken&) {
    return answering(false, [&] {
      nlohmann::json list = nlohmann::json::array();
      for (const auto& t : bot->threads(limit)) list.push_back({{"thread_id", t.thread_id}, {"updated_at", t.updated_at}});
      return json_response({{"threads", std::move(list)}});
    });
  };
  return call;
}

ApiResponse ApiRoutes::models() const {
  const nlohmann::json model = {{"id", bot_->model().name()}, {"object", "model"}, {"created", 0}, {"owned_by", "sg-chatbot"}};
  return json_response({{"object", "list"}, {"data", nlohmann::json::array({model})}});
}

}  // namespace sg::chatbot
