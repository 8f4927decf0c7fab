#pragma once
/// @file
/// Tools a chat model may call: sg::ToolSpec (what the model is told) and sg::Tool (a spec plus
/// the callable that runs it).
///
/// @code{.cpp}
/// sg::Tool calculator{
///     "calculator", "Evaluates an arithmetic expression such as 2 + 3 * 4.",
///     {{"type", "object"},
///      {"properties", {{"expression", {{"type", "string"}}}}},
///      {"required", {"expression"}}},
///     [](const nlohmann::json& args) -> nlohmann::json { return evaluate(args["expression"]); }};
/// auto model = base_model.bind_tools({calculator.spec()});
/// @endcode
///
/// Re-creates langchain-core's StructuredTool (langchain-ai/langchain:
/// libs/core/langchain_core/tools/structured.py) reduced to its JSON-schema form, and
/// convert_to_openai_tool (utils/function_calling.py) for to_openai_json.
///
/// Thread-safety: values. A Tool's `func` may be called from several threads at once (ToolNode
/// runs the calls of one message in parallel), so it must be thread-safe.

#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace sg {

/// What a model is told about a tool: its name, what it does, and a JSON schema of its
/// arguments (an object schema: {"type": "object", "properties": {...}, "required": [...]}).
struct ToolSpec {
  std::string name{};
  std::string description{};
  nlohmann::json parameters = nlohmann::json{{"type", "object"}, {"properties", nlohmann::json::object()}};

  friend bool operator==(const ToolSpec&, const ToolSpec&) = default;
};

/// The OpenAI tools entry: {"type": "function", "function": {"name", "description",
/// "parameters"}}.
[[nodiscard]] nlohmann::json to_openai_json(const ToolSpec& spec);
/// JSON: {"name", "description", "parameters"}.
void to_json(nlohmann::json& j, const ToolSpec& spec);
void from_json(const nlohmann::json& j, ToolSpec& spec);

/// A tool: its spec and the function that runs it. `func` gets the call's arguments (a JSON
/// object that passed validate_tool_args) and returns the result: a string is the ToolMessage's
/// content as is, any other value is sent as its JSON text. It reports failure by throwing.
struct Tool {
  std::string name{};
  std::string description{};
  nlohmann::json parameters = nlohmann::json{{"type", "object"}, {"properties", nlohmann::json::object()}};
  std::function<nlohmann::json(const nlohmann::json& args)> func{};

  [[nodiscard]] ToolSpec spec() const { return ToolSpec{name, description, parameters}; }
};

/// Checks `args` against the top level of an object schema: `args` must be an object, every
/// name in "required" present, and every property with a "type" ("string", "number",
/// "integer", "boolean", "object", "array", "null") of that type; "enum" values are checked.
/// Nested schemas are not checked. Returns a message saying what is wrong, or nullopt.
[[nodiscard]] std::optional<std::string> validate_tool_args(const nlohmann::json& schema, const nlohmann::json& args);

}  // namespace sg
