#pragma once
/// @file
/// sg::ToolNode — a graph node that runs the tool calls of the last ai message — and
/// sg::tools_condition, the router that sends the graph to it.
///
/// @code{.cpp}
/// sg::StateGraph<sg::MessagesState> g;
/// g.add_node("agent", call_model);
/// g.add_node("tools", sg::ToolNode({calculator}));
/// g.add_edge(sg::START, "agent");
/// g.add_conditional_edges("agent", sg::tools_condition, {{"tools", "tools"}, {sg::END, sg::END}});
/// g.add_edge("tools", "agent");
/// @endcode
///
/// Re-creates LangGraph's prebuilt ToolNode and tools_condition (langchain-ai/langgraph:
/// libs/prebuilt/langgraph/prebuilt/tool_node.py `ToolNode._func`, `_run_one`,
/// `_validate_tool_call`, `tools_condition`); semantics reference §7.1.
///
/// Thread-safety: a ToolNode is immutable and cheap to copy (copies share the tools); it may run
/// in many tasks at once. Tools run concurrently, so their callables must be thread-safe.

#include <concepts>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "stategraph/constants.hpp"
#include "stategraph/nodes/message.hpp"
#include "stategraph/nodes/tool.hpp"
#include "stategraph/update.hpp"

namespace sg {

/// Options of ToolNode.
struct ToolNodeOptions {
  /// true (default): a tool that throws is answered with an error ToolMessage (status error,
  /// content "Error: <what()>\n Please fix your mistakes.") and the graph goes on, so the model
  /// can correct itself. false: the node fails with sg::ToolError [sg.nodes.611] (the tool's
  /// exception nested), reported by the engine as sg::NodeError [sg.run.301]; nothing of the
  /// step is saved. An unknown tool or invalid arguments are always answered with an error
  /// ToolMessage (the model's mistake, not the tool's).
  bool handle_tool_errors = true;
  /// The error message's content for a tool that threw (LangChain's `handle_tool_errors=callable`);
  /// default the text above.
  std::function<std::string(const ToolCall& call, const std::exception& error)> format_error{};
};

/// Runs every tool call of the last ai message of a conversation, in parallel, and answers each
/// with a ToolMessage (content = the tool's result, tool_call_id = the call's id, name = the
/// tool's name), returned in the order of the calls. One call runs on the calling thread;
/// several run on one thread each and are all joined before run() returns.
///
/// Error messages (status error), as LangGraph words them:
/// - unknown tool: "Error: <name> is not a valid tool, try one of [a, b]."
/// - invalid arguments (text that is not JSON, not an object, or failing validate_tool_args):
///   "Error: invalid arguments for tool <name>: <why>\n Please fix your mistakes."
/// - a tool that threw (handle_tool_errors): "Error: <what()>\n Please fix your mistakes."
///
/// As a graph node: `g.add_node("tools", sg::ToolNode(tools))` for any state whose `messages`
/// field is sg::Messages reduced by sg::add_messages; for another field use
/// `tool_node.for_field<&S::history>()`.
class ToolNode {
 public:
  /// @throws UsageError [sg.nodes.606] for a tool without a name or callable, or two tools with
  ///         one name.
  explicit ToolNode(std::vector<Tool> tools, ToolNodeOptions options = {});

  /// The ToolMessages answering the last ai message of `messages` (empty when it has no tool
  /// calls).
  /// @throws UsageError [sg.nodes.605] when `messages` holds no ai message; ToolError
  ///         [sg.nodes.611] when a tool throws and handle_tool_errors is off.
  [[nodiscard]] Messages run(const Messages& messages) const;
  /// The ToolMessages answering `calls`, in order.
  [[nodiscard]] Messages run_calls(const std::vector<ToolCall>& calls) const;

  /// The node callable: reads `state.messages`, writes the ToolMessages to it.
  template <class S>
    requires std::same_as<std::remove_cvref_t<decltype(std::declval<const S&>().messages)>, Messages>
  Update<S> operator()(const S& state) const {
    return Update<S>{sg::set<&S::messages>(run(state.messages))};
  }

  /// A node callable for a messages field with another name: `tool_node.for_field<&S::history>()`.
  template <auto Member>
  auto for_field() const {
    using S = typename detail::member_traits<decltype(Member)>::class_type;
    return [self = *this](const S& state) { return Update<S>{sg::set<Member>(self.run(state.*Member))}; };
  }

  /// The tools' specs, for ChatModel::bind_tools.
  [[nodiscard]] std::vector<ToolSpec> specs() const;

 private:
  struct Impl;
  std::shared_ptr<const Impl> impl_;
};

/// The router of a model ↔ tools loop (LangGraph's `tools_condition`): "tools" when the last
/// message of `messages` is an ai message with tool calls, else sg::END ("__end__").
struct ToolsCondition {
  [[nodiscard]] std::string operator()(const Messages& messages) const {
    if (!messages.empty() && messages.back().has_tool_calls()) return "tools";
    return END;
  }
  template <class S>
    requires std::same_as<std::remove_cvref_t<decltype(std::declval<const S&>().messages)>, Messages>
  [[nodiscard]] std::string operator()(const S& state) const {
    return (*this)(state.messages);
  }
};
/// `g.add_conditional_edges("agent", sg::tools_condition, {{"tools", "tools"}, {sg::END, sg::END}})`.
inline constexpr ToolsCondition tools_condition{};

}  // namespace sg
