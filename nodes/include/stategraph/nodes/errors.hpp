#pragma once
/// @file
/// Exceptions of the chat layer (stategraph::nodes) and their stable ids, sg.nodes.6xx.
///
/// The ids (sg::ErrorId nodes_*), the class that carries each and their meanings are tabulated
/// in stategraph/checkpoint/error_id.hpp (and README.md, section "Errors").
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
  UsageError(ErrorId id, std::string_view message);
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
  ModelError(ErrorId id, std::string_view message, bool retryable = false);
};

}  // namespace sg
