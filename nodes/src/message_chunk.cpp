// Chunks of a streamed ai message: langchain_core/messages/ai.py AIMessageChunk `+`.
#include "stategraph/nodes/message_chunk.hpp"

#include <algorithm>

#include "stategraph/nodes/errors.hpp"
#include "util.hpp"

namespace sg {

namespace {

using nlohmann::json;

[[noreturn]] void bad_chunk(const std::string& what) { throw UsageError(ErrorId::nodes_not_a_message, what); }

std::string str_field(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return {};
  if (!it->is_string()) bad_chunk(std::string("message chunk: \"") + key + "\" must be a string, got " + it->dump());
  return it->get<std::string>();
}

}  // namespace

void to_json(nlohmann::json& j, const ToolCallChunk& c) {
  j = json{{"index", c.index}, {"id", c.id}, {"name", c.name}, {"args", c.args}};
}

void from_json(const nlohmann::json& j, ToolCallChunk& c) {
  if (!j.is_object()) bad_chunk("a tool call chunk must be a JSON object, got " + j.dump());
  c = ToolCallChunk{};
  if (auto it = j.find("index"); it != j.end() && !it->is_null()) {
    if (!it->is_number_unsigned() && !(it->is_number_integer() && it->get<std::int64_t>() >= 0))
      bad_chunk("tool call chunk: \"index\" must be a non-negative integer, got " + it->dump());
    c.index = it->get<std::size_t>();
  }
  c.id = str_field(j, "id");
  c.name = str_field(j, "name");
  c.args = str_field(j, "args");
}

void to_json(nlohmann::json& j, const MessageChunk& c) {
  j = json{{"type", "AIMessageChunk"}, {"content", c.content}};
  if (!c.id.empty()) j["id"] = c.id;
  if (!c.tool_call_chunks.empty()) j["tool_call_chunks"] = c.tool_call_chunks;
  if (c.usage) j["usage_metadata"] = *c.usage;
  if (!c.response_metadata.empty()) j["response_metadata"] = c.response_metadata;
}

void from_json(const nlohmann::json& j, MessageChunk& c) {
  if (!j.is_object()) bad_chunk("a message chunk must be a JSON object, got " + j.dump());
  c = MessageChunk{};
  c.id = str_field(j, "id");
  c.content = str_field(j, "content");
  if (auto it = j.find("tool_call_chunks"); it != j.end() && !it->is_null()) {
    if (!it->is_array()) bad_chunk("message chunk: \"tool_call_chunks\" must be an array, got " + it->dump());
    c.tool_call_chunks = it->get<std::vector<ToolCallChunk>>();
  }
  if (auto it = j.find("usage_metadata"); it != j.end() && !it->is_null()) c.usage = it->get<UsageMetadata>();
  if (auto it = j.find("response_metadata"); it != j.end() && !it->is_null()) {
    if (!it->is_object()) bad_chunk("message chunk: \"response_metadata\" must be an object, got " + it->dump());
    c.response_metadata = *it;
  }
}

void ChunkAggregator::add(const MessageChunk& chunk) {
  ++count_;
  if (id_.empty()) id_ = chunk.id;
  content_ += chunk.content;
  for (const auto& tc : chunk.tool_call_chunks) {
    auto it = std::find_if(calls_.begin(), calls_.end(), [&](const PendingCall& p) { return p.index == tc.index; });
    if (it == calls_.end()) {
      calls_.push_back(PendingCall{tc.index, tc.id, tc.name, tc.args});
      continue;
    }
    if (it->id.empty()) it->id = tc.id;
    if (it->name.empty()) it->name = tc.name;
    it->args += tc.args;
  }
  if (chunk.usage) {
    if (!usage_) usage_ = UsageMetadata{};
    usage_->input_tokens += chunk.usage->input_tokens;
    usage_->output_tokens += chunk.usage->output_tokens;
    usage_->total_tokens += chunk.usage->total_tokens;
  }
  if (chunk.response_metadata.is_object()) response_metadata_.update(chunk.response_metadata);
}

Message ChunkAggregator::message() const {
  Message m;
  m.type = MessageType::ai;
  m.id = id_;
  m.content = content_;
  std::vector<PendingCall> calls = calls_;
  std::stable_sort(calls.begin(), calls.end(), [](const auto& a, const auto& b) { return a.index < b.index; });
  for (const auto& c : calls) {
    ToolCall call;
    call.id = c.id;
    call.name = c.name;
    if (c.args.empty()) {
      call.args = json::object();
    } else {
      json parsed = json::parse(c.args, nullptr, /*allow_exceptions=*/false);
      call.args = parsed.is_discarded() ? json(c.args) : std::move(parsed);
    }
    m.tool_calls.push_back(std::move(call));
  }
  m.usage = usage_;
  m.response_metadata = response_metadata_;
  return m;
}

Message aggregate_chunks(const std::vector<MessageChunk>& chunks) {
  ChunkAggregator agg;
  for (const auto& c : chunks) agg.add(c);
  return agg.message();
}

std::vector<MessageChunk> split_into_chunks(const Message& message) {
  std::vector<MessageChunk> out;
  const std::string text = message.text();
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t j = i;
    while (j < text.size() && (text[j] == ' ' || text[j] == '\n' || text[j] == '\t')) ++j;  // leading space
    while (j < text.size() && text[j] != ' ' && text[j] != '\n' && text[j] != '\t') ++j;    // the word
    MessageChunk c;
    c.id = message.id;
    c.content = text.substr(i, j - i);
    out.push_back(std::move(c));
    i = j;
  }
  MessageChunk last;
  last.id = message.id;
  for (std::size_t k = 0; k < message.tool_calls.size(); ++k) {
    const auto& call = message.tool_calls[k];
    const std::string args = nodes_detail::json_text(call.args);
    const std::size_t half = args.size() / 2;
    last.tool_call_chunks.push_back(ToolCallChunk{k, call.id, call.name, args.substr(0, half)});
    last.tool_call_chunks.push_back(ToolCallChunk{k, "", "", args.substr(half)});
  }
  last.usage = message.usage;
  last.response_metadata = message.response_metadata;
  if (!last.tool_call_chunks.empty() || last.usage || !last.response_metadata.empty() || out.empty())
    out.push_back(std::move(last));
  return out;
}

}  // namespace sg
