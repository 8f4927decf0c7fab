#include "openai_compat.hpp"

#include <algorithm>
#include <cctype>
#include <random>

#include "chat_request.hpp"
#include "chatbot_error.hpp"

namespace sg::chatbot {
namespace {

[[noreturn]] void malformed(const std::string& what) { throw ChatbotError(ChatbotErrorId::bad_request, what); }

/// The text of a message's content: a string, or an array of text parts.
std::string content_text(const nlohmann::json& content, std::size_t index) {
  const std::string where = "messages[" + std::to_string(index) + "].content";
  if (content.is_null()) return {};
  if (content.is_string()) return content.get<std::string>();
  if (!content.is_array()) malformed(where + " must be a string or an array of text parts");
  std::string text;
  for (const auto& part : content) {
    if (part.is_string()) {
      text += part.get<std::string>();
      continue;
    }
    if (!part.is_object()) malformed(where + " has a part that is neither a string nor an object");
    const auto type = optional_string(part, "type");
    if (type != "text")
      malformed(where + " has a \"" + type.value_or("") + "\" part: only text content is supported");
    const auto piece = optional_string(part, "text");
    if (!piece) malformed(where + " has a text part without \"text\"");
    text += *piece;
  }
  return text;
}

std::optional<bool> optional_bool(const nlohmann::json& object, const char* key) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return std::nullopt;
  if (!it->is_boolean()) malformed(std::string("\"") + key + "\" must be true or false");
  return it->get<bool>();
}

bool blank(const std::string& text) {
  return std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isspace(c) != 0; });
}

}  // namespace

CompletionRequest parse_completion_request(std::string_view body) {
  const nlohmann::json object = parse_request_object(body);
  CompletionRequest request;
  request.model = optional_string(object, "model").value_or("");
  request.stream = optional_bool(object, "stream").value_or(false);
  if (const auto options = object.find("stream_options"); options != object.end() && !options->is_null()) {
    if (!options->is_object()) malformed("\"stream_options\" must be an object");
    request.include_usage = optional_bool(*options, "include_usage").value_or(false);
  }
  request.user = optional_string(object, "user");
  if (request.user && request.user->empty()) request.user.reset();
  if (request.user) check_thread_id(*request.user, "\"user\" (the thread id)");

  const auto messages = object.find("messages");
  if (messages == object.end() || !messages->is_array() || messages->empty())
    malformed("\"messages\" must be a non-empty array of {role, content} messages");
  const std::size_t last = messages->size() - 1;
  for (std::size_t i = 0; i <= last; ++i) {
    const auto& message = (*messages)[i];
    if (!message.is_object()) malformed("messages[" + std::to_string(i) + "] must be an object");
    const auto role = optional_string(message, "role");
    if (!role) malformed("messages[" + std::to_string(i) + "] has no \"role\"");
    if (i < last) {
      if (*role == "user" || *role == "assistant" || *role == "tool" || *role == "function") request.has_history = true;
      continue;
    }
    if (*role != "user")
      malformed("the last message must be a user message (it is the turn's input; the thread holds the history), not \"" +
                *role + "\"");
    const auto content = message.find("content");
    request.input = content_text(content == message.end() ? nlohmann::json() : *content, i);
  }
  if (blank(request.input)) throw ChatbotError(ChatbotErrorId::empty_message, "the last user message is empty");
  return request;
}

std::string new_completion_id() {
  static constexpr std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  thread_local std::mt19937_64 random{std::random_device{}()};
  std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
  std::string id = "chatcmpl-";
  for (int i = 0; i < 24; ++i) id += alphabet[pick(random)];
  return id;
}

nlohmann::json completion_usage(const sg::Message& reply) {
  if (!reply.usage) return nullptr;
  return {{"prompt_tokens", reply.usage->input_tokens},
          {"completion_tokens", reply.usage->output_tokens},
          {"total_tokens", reply.usage->total_tokens}};
}

std::string finish_reason(const sg::Message& reply) {
  const auto& metadata = reply.response_metadata;
  if (metadata.is_object()) {
    const auto it = metadata.find("finish_reason");
    if (it != metadata.end() && it->is_string() && !it->get_ref<const std::string&>().empty()) return it->get<std::string>();
  }
  return "stop";
}

nlohmann::json completion_json(const CompletionHead& head, const sg::Message& reply) {
  nlohmann::json out = {
      {"id", head.id},
      {"object", "chat.completion"},
      {"created", head.created},
      {"model", head.model},
      {"choices",
       nlohmann::json::array({{{"index", 0},
                               {"message", {{"role", "assistant"}, {"content", reply.text()}, {"refusal", nullptr}}},
                               {"logprobs", nullptr},
                               {"finish_reason", finish_reason(reply)}}})},
  };
  if (auto usage = completion_usage(reply); !usage.is_null()) out["usage"] = std::move(usage);
  return out;
}

nlohmann::json chunk_json(const CompletionHead& head, nlohmann::json delta, std::optional<std::string> finish) {
  return {
      {"id", head.id},
      {"object", "chat.completion.chunk"},
      {"created", head.created},
      {"model", head.model},
      {"choices", nlohmann::json::array({{{"index", 0},
                                          {"delta", std::move(delta)},
                                          {"logprobs", nullptr},
                                          {"finish_reason", finish ? nlohmann::json(*finish) : nlohmann::json()}}})},
  };
}

nlohmann::json usage_chunk_json(const CompletionHead& head, nlohmann::json usage) {
  return {{"id", head.id},
          {"object", "chat.completion.chunk"},
          {"created", head.created},
          {"model", head.model},
          {"choices", nlohmann::json::array()},
          {"usage", std::move(usage)}};
}

nlohmann::json openai_error_json(std::string_view id, std::string_view message, unsigned status) {
  const char* type = "api_error";
  switch (status) {
    case 400:
    case 403:
    case 413:
    case 415: type = "invalid_request_error"; break;
    case 401: type = "authentication_error"; break;
    case 404: type = "not_found_error"; break;
    case 405: type = "invalid_request_error"; break;
    case 503: type = "overloaded_error"; break;
    default: break;
  }
  return {{"error", {{"message", message}, {"type", type}, {"param", nullptr}, {"code", id}, {"id", id}}}};
}

}  // namespace sg::chatbot
