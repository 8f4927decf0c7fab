#include "stategraph/nodes/errors.hpp"

namespace sg {

UsageError::UsageError(ErrorId id, std::string_view message) : Error(id, message) {}

ToolError::ToolError(std::string tool, std::string tool_call_id, std::string_view cause)
    : Error(ErrorId::nodes_tool_failed, "tool \"" + tool + "\" (call " + tool_call_id + ") failed: " + std::string(cause) +
                                " (ToolNode runs with handle_tool_errors off; turn it on to answer the model with "
                                "an error ToolMessage instead)"),
      tool_(std::move(tool)),
      tool_call_id_(std::move(tool_call_id)) {}

ModelError::ModelError(ErrorId id, std::string_view message, bool retryable) : Error(id, message, retryable) {}

}  // namespace sg
