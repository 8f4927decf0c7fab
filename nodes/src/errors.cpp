#include "stategraph/nodes/errors.hpp"

namespace sg {

UsageError::UsageError(std::string id, std::string_view message) : Error(std::move(id), message) {}

ToolError::ToolError(std::string tool, std::string tool_call_id, std::string_view cause)
    : Error("sg.nodes.611", "tool \"" + tool + "\" (call " + tool_call_id + ") failed: " + std::string(cause) +
                                " (ToolNode runs with handle_tool_errors off; turn it on to answer the model with "
                                "an error ToolMessage instead)"),
      tool_(std::move(tool)),
      tool_call_id_(std::move(tool_call_id)) {}

ModelError::ModelError(std::string id, std::string_view message, bool retryable)
    : Error(std::move(id), message, retryable) {}

}  // namespace sg
