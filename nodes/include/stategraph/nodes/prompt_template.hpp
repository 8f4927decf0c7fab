#pragma once
/// @file
/// Chat prompt templates: sg::ChatPromptTemplate from (role, template) pairs and
/// sg::MessagesPlaceholder, filled with `{variable}`s and message lists.
///
/// @code{.cpp}
/// const sg::ChatPromptTemplate prompt{
///     {"system", "You are a helpful assistant. Answer all questions to the best of your ability in {language}."},
///     sg::MessagesPlaceholder("messages"),
/// };
/// sg::Messages input = prompt.format_messages({{"language", state.language}}, {{"messages", state.messages}});
/// @endcode
///
/// Re-creates langchain-core's ChatPromptTemplate.from_messages and MessagesPlaceholder
/// (langchain-ai/langchain: libs/core/langchain_core/prompts/chat.py) with the f-string
/// template format (prompts/string.py): `{name}` is replaced by the variable's value, `{{` and
/// `}}` stand for literal braces.
///
/// Thread-safety: a template is immutable after construction; format_messages may be called
/// from many threads at once.

#include <cstddef>
#include <functional>
#include <initializer_list>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "stategraph/nodes/message.hpp"

namespace sg {

/// Where a list of messages goes in a prompt (LangChain's `MessagesPlaceholder(variable_name,
/// optional=False)`). When `optional`, a missing list inserts nothing.
struct MessagesPlaceholder {
  explicit MessagesPlaceholder(std::string name, bool is_optional = false)
      : variable_name(std::move(name)), optional(is_optional) {}
  std::string variable_name{};
  bool optional = false;
};

/// Values of `{variables}`: name → text.
using PromptVariables = std::map<std::string, std::string, std::less<>>;
/// Values of placeholders: name → messages (a view; the messages must outlive the call).
using PromptPlaceholders = std::map<std::string, std::span<const Message>, std::less<>>;

/// One entry of a ChatPromptTemplate: a (role, template) pair, a placeholder, or a fixed message.
/// Roles: "system", "human" / "user", "ai" / "assistant", and "placeholder" whose template must be
/// exactly "{name}" (an optional MessagesPlaceholder, as in LangChain).
class PromptPart {
 public:
  /// (role, template), e.g. {"system", "Answer in {language}."}.
  /// @throws UsageError [sg.nodes.604] for an unknown role or a template that does not parse.
  PromptPart(std::string role, std::string template_text);  // NOLINT(implicit)
  PromptPart(const char* role, const char* template_text)   // NOLINT(implicit)
      : PromptPart(std::string(role), std::string(template_text)) {}
  PromptPart(MessagesPlaceholder placeholder);  // NOLINT(implicit)
  /// A message used as is (no substitution in it).
  PromptPart(Message message);  // NOLINT(implicit)

  /// Literal text and variable names of a parsed template, in order.
  struct Segment {
    bool is_variable = false;
    std::string text;  ///< the literal text, or the variable name
  };
  struct Templated {
    MessageType type = MessageType::human;
    std::string source;  ///< the template as written
    std::vector<Segment> segments;
  };
  using Value = std::variant<Templated, MessagesPlaceholder, Message>;
  [[nodiscard]] const Value& value() const noexcept { return value_; }

 private:
  static Value parse(std::string role, std::string template_text);
  Value value_;
};

/// A list of message templates turned into messages by format_messages.
class ChatPromptTemplate {
 public:
  /// LangChain's `ChatPromptTemplate.from_messages([...])`.
  /// @throws UsageError [sg.nodes.604] as PromptPart does.
  ChatPromptTemplate(std::initializer_list<PromptPart> parts) : parts_(parts) {}
  explicit ChatPromptTemplate(std::vector<PromptPart> parts) : parts_(std::move(parts)) {}
  static ChatPromptTemplate from_messages(std::vector<PromptPart> parts) { return ChatPromptTemplate(std::move(parts)); }

  /// The messages: each template with its variables replaced, each placeholder replaced by its
  /// messages (copied as they are, ids included), fixed messages as they are.
  /// @throws UsageError [sg.nodes.602] naming the first missing variable or (non-optional)
  ///         placeholder, the template it appears in and the names that were given.
  [[nodiscard]] Messages format_messages(const PromptVariables& variables,
                                         const PromptPlaceholders& placeholders = {}) const;

  /// LangChain's `prompt.invoke(state)`: one JSON object holds both, strings (or any JSON value,
  /// used as its text) for `{variables}` and arrays of messages (any form sg::Message reads) for
  /// placeholders.
  /// @throws UsageError [sg.nodes.602] for a missing name, [sg.nodes.603] for a placeholder value
  ///         that is not a list of messages.
  [[nodiscard]] Messages invoke(const nlohmann::json& input) const;

  /// The names of all `{variables}`, sorted, without duplicates (LangChain's input_variables,
  /// placeholders excluded).
  [[nodiscard]] std::vector<std::string> input_variables() const;
  /// The names of all placeholders, in order.
  [[nodiscard]] std::vector<std::string> placeholder_names() const;
  [[nodiscard]] const std::vector<PromptPart>& parts() const noexcept { return parts_; }

 private:
  std::vector<PromptPart> parts_;
};

/// Fills one f-string template: `{name}` → variables[name], `{{` → `{`, `}}` → `}`
/// (LangChain's PromptTemplate.from_template(t).format(**variables)).
/// @throws UsageError [sg.nodes.604] when the template does not parse, [sg.nodes.602] for a
///         missing variable.
[[nodiscard]] std::string format_template(std::string_view template_text, const PromptVariables& variables);

}  // namespace sg
