#pragma once
/// @file
/// Exceptions of the chat layer (stategraph::nodes) and their stable ids, sg.nodes.6xx.
///
/// | id            | class            | meaning and what to do                                          |
/// |---------------|------------------|-----------------------------------------------------------------|
/// | sg.nodes.601  | sg::UsageError   | invalid trim_messages options (strategy "first" with start_on or |
/// |               |                  | include_system, no token counter, negative max_tokens)          |
/// | sg.nodes.602  | sg::UsageError   | a prompt template variable or messages placeholder has no value |
/// | sg.nodes.603  | sg::UsageError   | a JSON value is not a message / chunk, or content is not text   |
/// |               |                  | or a list of content parts                                      |
/// | sg.nodes.604  | sg::UsageError   | a prompt template does not parse (lone '{' or '}', empty name,  |
/// |               |                  | unknown role)                                                   |
/// | sg.nodes.605  | sg::UsageError   | ToolNode input holds no AI message                              |
/// | sg.nodes.606  | sg::UsageError   | invalid tool definitions (empty name, no callable, duplicates)  |
/// | sg.nodes.611  | sg::ToolError    | a tool threw and handle_tool_errors is off; the tool's own      |
/// |               |                  | exception is nested (std::rethrow_if_nested)                    |
/// | sg.nodes.620  | sg::ModelError   | a scripted fake model has no reply left for this call           |
/// | sg.nodes.621  | sg::ModelError   | a fault injected into a fake model (tests)                      |
/// | sg.nodes.622  | sg::ModelError   | a model reply is malformed (not an AI message, bad chunk)       |
/// | sg.nodes.623  | sg::ModelError   | the model call was cancelled                                    |
/// | sg.nodes.630  | sg::ModelStatusError | the server answered HTTP >= 400 (status() has it; 429 and   |
/// |               |                  | 5xx are retryable); the message has the server's own text       |
/// | sg.nodes.631  | sg::ModelError   | connection failed (refused, DNS, TLS, connect timeout); retryable|
/// | sg.nodes.632  | sg::ModelError   | the total time limit of the call ran out                        |
/// | sg.nodes.633  | sg::ModelError   | the stream ended before `data: [DONE]`; retryable               |
/// | sg.nodes.634  | sg::ModelError   | invalid OpenAIChatModel options (see openai_chat_model.hpp)     |
///
/// Inside a graph, an exception thrown by a node reaches the caller as sg::NodeError
/// [sg.run.301] with this exception nested; one thrown by a reducer (add_messages removing an
/// unknown id throws std::invalid_argument) becomes sg::InvalidUpdate [sg.update.205]. In both
/// cases nothing of the failed step is saved.
///
/// Thread-safety: exception objects are immutable after construction.

#include <exception>
#include <string>
#include <string_view>

#include "stategraph/checkpoint/error.hpp"

namespace sg {

/// The chat layer was called wrongly (sg.nodes.60x): fix the call, the template or the options.
/// Never retryable.
class UsageError : public Error {
 public:
  UsageError(std::string id, std::string_view message);
};

/// A tool failed while ToolNode ran with handle_tool_errors off (sg.nodes.611). The tool's own
/// exception is nested (std::rethrow_if_nested).
class ToolError : public Error, public std::nested_exception {
 public:
  ToolError(std::string tool, std::string tool_call_id, std::string_view cause);
  [[nodiscard]] const std::string& tool() const noexcept { return tool_; }
  [[nodiscard]] const std::string& tool_call_id() const noexcept { return tool_call_id_; }

 private:
  std::string tool_;
  std::string tool_call_id_;
};

/// A chat model call failed (sg.nodes.62x, 63x). `retryable()` says whether the same call may
/// succeed if tried again (a rate limit, a dropped connection); a retry policy may use it.
class ModelError : public Error {
 public:
  ModelError(std::string id, std::string_view message, bool retryable = false);
};

}  // namespace sg
