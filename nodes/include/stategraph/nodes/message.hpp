#pragma once
/// @file
/// Chat messages: sg::Message (system, human, ai, tool, remove), their JSON form and
/// pretty_print.
///
/// @code{.cpp}
/// sg::Messages conversation{
///     sg::SystemMessage("you're a good assistant"),
///     sg::HumanMessage("hi! I'm bob"),
///     sg::AIMessage("", {sg::ToolCall{"call_1", "calculator", {{"expression", "2 + 2"}}}}),
///     sg::ToolMessage("4", "call_1"),
/// };
/// sg::pretty_print(conversation.back());
/// @endcode
///
/// Re-creates langchain-core's message classes (langchain-ai/langchain:
/// libs/core/langchain_core/messages/{base,system,human,ai,tool,modifier}.py) as one value type
/// with a `type` tag, and `convert_to_messages` (messages/utils.py `_convert_to_message`) for
/// the JSON shorthands accepted on input.
///
/// Thread-safety: values; distinct objects may be used from distinct threads, one object may be
/// read from several threads at once.

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace sg {

/// What a message is. JSON names: "system", "human", "ai", "tool", "remove".
enum class MessageType : std::uint8_t {
  system,  ///< instructions for the model (SystemMessage)
  human,   ///< the user's turn (HumanMessage)
  ai,      ///< the model's turn, possibly with tool calls (AIMessage)
  tool,    ///< the result of one tool call (ToolMessage)
  remove,  ///< not content: tells sg::add_messages to delete the message with this id
};

/// "system", "human", "ai", "tool" or "remove" (LangChain's `BaseMessage.type`).
[[nodiscard]] const char* to_string(MessageType type) noexcept;

/// Parses a type or role name: "system" / "developer", "human" / "user", "ai" / "assistant",
/// "tool", "remove". Returns nullopt for anything else.
[[nodiscard]] std::optional<MessageType> message_type_from_string(std::string_view name) noexcept;

/// One tool call requested by the model (LangChain's `ToolCall`, messages/tool.py).
/// JSON: {"name": ..., "args": {...}, "id": ..., "type": "tool_call"}.
struct ToolCall {
  std::string id{};    ///< the provider's call id ("call_abc"); a ToolMessage answers it by this id
  std::string name{};  ///< the tool's name
  /// The arguments: normally a JSON object. When the model produced text that is not valid
  /// JSON, the raw text is kept here as a JSON string; sg::ToolNode answers such a call with an
  /// error ToolMessage instead of running the tool.
  nlohmann::json args = nlohmann::json::object();

  friend bool operator==(const ToolCall&, const ToolCall&) = default;
};

/// Token usage of one model call (LangChain's `UsageMetadata`, messages/ai.py).
/// JSON: {"input_tokens": n, "output_tokens": n, "total_tokens": n}. Units: tokens as the
/// provider counts them.
struct UsageMetadata {
  std::int64_t input_tokens = 0;
  std::int64_t output_tokens = 0;
  std::int64_t total_tokens = 0;

  friend bool operator==(const UsageMetadata&, const UsageMetadata&) = default;
};

/// Outcome of a tool call carried by a ToolMessage (LangChain's `ToolMessage.status`).
enum class ToolStatus : std::uint8_t { success, error };

/// A chat message. Which fields mean something depends on `type`; the others stay empty.
///
/// JSON (the stable form stored in checkpoints; empty optional fields are left out):
/// `{"type": "ai", "content": "text" | [parts], "id": "...", "name": "...",
///   "tool_calls": [ToolCall], "usage_metadata": {...}, "response_metadata": {...},
///   "tool_call_id": "...", "status": "success" | "error"}`.
/// `tool_calls`, `usage_metadata`, `response_metadata` belong to ai messages; `tool_call_id` and
/// `status` to tool messages (status is always written for them). A remove message's content is
/// "" in memory (as Python's langchain-core) and written as `[]` (as LangGraph.js and
/// @langchain/core 1.x put it on the wire); reading ignores it ("" and [] both read).
struct Message {
  MessageType type = MessageType::human;
  /// Unique id within a conversation; empty = not assigned yet (sg::add_messages assigns a
  /// uuid4 string when the message is merged into a state).
  std::string id{};
  /// A JSON string, or a JSON array of content parts: strings or objects such as
  /// {"type": "text", "text": "..."} and {"type": "image_url", "image_url": {"url": "..."}}.
  nlohmann::json content = "";
  /// Optional author name (OpenAI's "name"); a ToolMessage made by ToolNode carries the tool's.
  std::string name{};
  /// ai: the tool calls the model asked for, in the model's order.
  std::vector<ToolCall> tool_calls{};
  /// ai: token usage of the call that produced the message, when the provider reported it.
  std::optional<UsageMetadata> usage{};
  /// ai: provider details (model_name, finish_reason, ...); a JSON object.
  nlohmann::json response_metadata = nlohmann::json::object();
  /// tool: the id of the ToolCall this message answers.
  std::string tool_call_id{};
  /// tool: whether the tool succeeded.
  ToolStatus status = ToolStatus::success;

  /// The text of the content: the string itself, or the concatenation of the text parts
  /// (bare strings and {"type": "text"} parts) of a list, in order (LangChain's `.text`).
  [[nodiscard]] std::string text() const;
  /// True for an ai message with at least one tool call.
  [[nodiscard]] bool has_tool_calls() const noexcept { return type == MessageType::ai && !tool_calls.empty(); }

  /// Fluent setters on temporaries: `sg::HumanMessage("hi").with_id("1").with_name("bob")`.
  /// Each returns the message moved into a new value.
  [[nodiscard]] Message with_id(std::string v) && {
    id = std::move(v);
    return std::move(*this);
  }
  [[nodiscard]] Message with_name(std::string v) && {
    name = std::move(v);
    return std::move(*this);
  }
  [[nodiscard]] Message with_usage(UsageMetadata v) && {
    usage = v;
    return std::move(*this);
  }
  [[nodiscard]] Message with_status(ToolStatus v) && {
    status = v;
    return std::move(*this);
  }

  friend bool operator==(const Message&, const Message&) = default;
};

/// A conversation, oldest first.
using Messages = std::vector<Message>;

/// The id of a RemoveMessage that deletes every message before it (LangGraph's
/// `REMOVE_ALL_MESSAGES`, graph/message.py).
inline constexpr const char* REMOVE_ALL_MESSAGES = "__remove_all__";

/// Factories, one per type (LangChain's SystemMessage(...), HumanMessage(...), ...).
/// `content` is a string or a JSON array of content parts.
/// @throws UsageError [sg.nodes.603] when `content` is neither.
[[nodiscard]] Message SystemMessage(nlohmann::json content, std::string id = {});
[[nodiscard]] Message HumanMessage(nlohmann::json content, std::string id = {});
[[nodiscard]] Message AIMessage(nlohmann::json content, std::string id = {});
/// An ai message that calls tools; content is often "".
[[nodiscard]] Message AIMessage(nlohmann::json content, std::vector<ToolCall> tool_calls, std::string id = {});
/// The answer to the tool call `tool_call_id`.
[[nodiscard]] Message ToolMessage(nlohmann::json content, std::string tool_call_id, std::string id = {});
/// Deletes the message with `id` when merged by sg::add_messages; with sg::REMOVE_ALL_MESSAGES it
/// deletes everything before it (LangChain's messages/modifier.py RemoveMessage).
[[nodiscard]] Message RemoveMessage(std::string id);

/// JSON form, see sg::Message. ADL hooks for nlohmann::json (states holding messages serialise
/// through them).
void to_json(nlohmann::json& j, const Message& m);
/// Accepts the stable form and the shorthands of LangChain's `convert_to_messages`: a string (a
/// human message), a [role, content] pair, {"role": "user" | "assistant" | "system" |
/// "developer" | "tool", "content": ...}, {"type": ..., "data": {...}} (message_to_dict), and
/// OpenAI tool calls {"id", "type": "function", "function": {"name", "arguments": "<json>"}}.
/// A null content reads as "".
/// @throws UsageError [sg.nodes.603] naming what is wrong (inside a graph the engine reports it
///         as sg::StateError [sg.state.501] with the field name).
void from_json(const nlohmann::json& j, Message& m);
void to_json(nlohmann::json& j, const ToolCall& c);
/// Also accepts the OpenAI form (arguments as a JSON text; invalid text is kept as a string).
void from_json(const nlohmann::json& j, ToolCall& c);
void to_json(nlohmann::json& j, const UsageMetadata& u);
void from_json(const nlohmann::json& j, UsageMetadata& u);

/// The message in OpenAI chat-completions form: {"role": "system" | "user" | "assistant" |
/// "tool", "content": ..., "name"?, "tool_calls"?: [{"id", "type": "function", "function":
/// {"name", "arguments": "<json text>"}}], "tool_call_id"?}. A remove message has no such form.
/// (LangChain: messages/utils.py convert_to_openai_messages.)
/// @throws UsageError [sg.nodes.603] for a remove message.
[[nodiscard]] nlohmann::json to_openai_json(const Message& m);

/// LangChain's title bar: " Ai Message " centred in '=' to 80 columns
/// (messages/base.py get_msg_title_repr).
[[nodiscard]] std::string message_title(const Message& m);

/// The message as LangChain's `pretty_repr` prints it (messages/base.py BaseMessage.pretty_repr,
/// messages/ai.py AIMessage.pretty_repr): the title bar, "Name: x" when named, a blank line and
/// the content (a list of parts shown as Python's repr of the list, as LangChain does); an ai
/// message's tool calls follow as "Tool Calls:" with "  name (id)", " Call ID: id", "  Args:"
/// and "    key: value" lines (values as Python's str(); keys in sorted order, where Python
/// keeps the model's order). An ai message's text is right-stripped, as LangChain strips it.
[[nodiscard]] std::string pretty_repr(const Message& m);

/// Writes pretty_repr(m) and a newline to `out` (std::cout by default).
/// Thread-safety: as safe as writing to `out`.
void pretty_print(const Message& m);
void pretty_print(const Message& m, std::ostream& out);

}  // namespace sg
