// ToolNode: langgraph/prebuilt/tool_node.py (`_func`, `_run_one`, `_validate_tool_call`,
// `msg_content_output`, TOOL_CALL_ERROR_TEMPLATE, INVALID_TOOL_NAME_ERROR_TEMPLATE).
#include "stategraph/nodes/tool_node.hpp"

#include <future>
#include <map>
#include <optional>
#include <set>

#include "stategraph/nodes/errors.hpp"

namespace sg {

struct ToolNode::Impl {
  std::vector<Tool> tools;
  std::map<std::string, std::size_t, std::less<>> by_name;
  ToolNodeOptions options;
};

namespace {

using nlohmann::json;

std::string error_text(const std::string& why) { return "Error: " + why + "\n Please fix your mistakes."; }

Message error_message(std::string content, const ToolCall& call) {
  Message m = ToolMessage(std::move(content), call.id);
  m.name = call.name;
  m.status = ToolStatus::error;
  return m;
}

/// LangGraph's msg_content_output: strings as they are, a list of content blocks as content
/// parts, anything else as JSON text.
json content_of(const json& result) {
  if (result.is_string()) return result;
  if (result.is_array() && !result.empty()) {
    bool blocks = true;
    for (const auto& b : result) blocks = blocks && b.is_object() && b.contains("type") && b["type"].is_string();
    if (blocks) return result;
  }
  return result.dump();
}

/// The outcome of one call: a message, or the exception of a tool that threw.
struct Outcome {
  std::optional<Message> message;
  std::exception_ptr error;
};

}  // namespace

ToolNode::ToolNode(std::vector<Tool> tools, ToolNodeOptions options) {
  auto impl = std::make_shared<Impl>();
  for (std::size_t i = 0; i < tools.size(); ++i) {
    const Tool& t = tools[i];
    if (t.name.empty()) throw UsageError(ErrorId::nodes_invalid_tools, "ToolNode: tool #" + std::to_string(i) + " has an empty name");
    if (!t.func) throw UsageError(ErrorId::nodes_invalid_tools, "ToolNode: tool \"" + t.name + "\" has no callable (func)");
    if (!impl->by_name.emplace(t.name, i).second)
      throw UsageError(ErrorId::nodes_invalid_tools, "ToolNode: two tools are named \"" + t.name + "\"");
  }
  impl->tools = std::move(tools);
  impl->options = std::move(options);
  impl_ = std::move(impl);
}

std::vector<ToolSpec> ToolNode::specs() const {
  std::vector<ToolSpec> out;
  for (const auto& t : impl_->tools) out.push_back(t.spec());
  return out;
}

Messages ToolNode::run(const Messages& messages) const {
  for (auto it = messages.rbegin(); it != messages.rend(); ++it)
    if (it->type == MessageType::ai) return run_calls(it->tool_calls);
  throw UsageError(ErrorId::nodes_no_ai_message, "ToolNode: no ai message in the input (" + std::to_string(messages.size()) +
                                       " messages); it answers the tool calls of the last ai message");
}

Messages ToolNode::run_calls(const std::vector<ToolCall>& calls) const {
  const Impl& impl = *impl_;

  auto run_one = [&impl](const ToolCall& call) -> Outcome {
    auto found = impl.by_name.find(call.name);
    if (found == impl.by_name.end()) {
      std::string names;
      for (const auto& t : impl.tools) names += (names.empty() ? "" : ", ") + t.name;
      return {error_message("Error: " + call.name + " is not a valid tool, try one of [" + names + "].", call), {}};
    }
    const Tool& tool = impl.tools[found->second];
    json args = call.args;
    if (args.is_string()) {  // text the model produced; it must be a JSON object
      json parsed = json::parse(args.get<std::string>(), nullptr, /*allow_exceptions=*/false);
      if (parsed.is_discarded())
        return {error_message(error_text("invalid arguments for tool " + tool.name + ": not valid JSON: " +
                                         args.get<std::string>()),
                              call),
                {}};
      args = std::move(parsed);
    }
    if (auto why = validate_tool_args(tool.parameters, args))
      return {error_message(error_text("invalid arguments for tool " + tool.name + ": " + *why), call), {}};
    try {
      Message m = ToolMessage(content_of(tool.func(args)), call.id);
      m.name = tool.name;
      return {std::move(m), {}};
    } catch (const std::exception& e) {
      if (!impl.options.handle_tool_errors) return {std::nullopt, std::current_exception()};
      const std::string content =
          impl.options.format_error ? impl.options.format_error(call, e) : error_text(e.what());
      return {error_message(content, call), {}};
    } catch (...) {
      if (!impl.options.handle_tool_errors) return {std::nullopt, std::current_exception()};
      return {error_message(error_text("the tool threw a non-standard exception"), call), {}};
    }
  };

  std::vector<Outcome> outcomes;
  outcomes.reserve(calls.size());
  if (calls.size() == 1) {
    outcomes.push_back(run_one(calls.front()));
  } else {
    std::vector<std::future<Outcome>> running;
    running.reserve(calls.size());
    for (const auto& call : calls) running.push_back(std::async(std::launch::async, run_one, std::cref(call)));
    for (auto& f : running) outcomes.push_back(f.get());  // run_one does not throw; all are joined
  }

  Messages out;
  out.reserve(outcomes.size());
  for (std::size_t i = 0; i < outcomes.size(); ++i) {
    if (outcomes[i].error) {
      const ToolCall& call = calls[i];
      try {
        std::rethrow_exception(outcomes[i].error);
      } catch (const std::exception& e) {
        throw ToolError(call.name, call.id, e.what());
      } catch (...) {
        throw ToolError(call.name, call.id, "a non-standard exception");
      }
    }
    out.push_back(std::move(*outcomes[i].message));
  }
  return out;
}

}  // namespace sg
