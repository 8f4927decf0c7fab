// The demo graphs of sg-agent-server (demo_graphs.hpp).
#include "agent_server/demo_graphs.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>

#include <stategraph/nodes/nodes.hpp>
#include <stategraph/stategraph.hpp>

namespace sg::demo {

struct ApprovalState {
  std::string request;
  std::string draft;
  std::string status;
  std::vector<std::string> log;
};

struct ChainState {
  int count = 0;
  std::vector<std::string> steps;
};
struct RelayState {
  int pause_ms = 0;
  std::vector<std::string> steps;
  std::vector<std::string> ran_by;
};

}  // namespace sg::demo

template <>
struct sg::state_schema<sg::demo::ApprovalState> {
  using S = sg::demo::ApprovalState;
  static constexpr auto fields = sg::fields(sg::field<&S::request>("request"), sg::field<&S::draft>("draft"),
                                            sg::field<&S::status>("status"), sg::field<&S::log>("log", sg::append));
};

template <>
struct sg::state_schema<sg::demo::ChainState> {
  using S = sg::demo::ChainState;
  static constexpr auto fields =
      sg::fields(sg::field<&S::count>("count", sg::add), sg::field<&S::steps>("steps", sg::append));
};

template <>
struct sg::state_schema<sg::demo::RelayState> {
  using S = sg::demo::RelayState;
  static constexpr auto fields = sg::fields(sg::field<&S::pause_ms>("pause_ms"), sg::field<&S::steps>("steps", sg::append),
                                            sg::field<&S::ran_by>("ran_by", sg::append));
};

namespace sg::demo {
namespace {

std::string trimmed_city(std::string city) {
  while (!city.empty() && (city.back() == '?' || city.back() == '.' || city.back() == '!' || city.back() == ' '))
    city.pop_back();
  while (!city.empty() && city.front() == ' ') city.erase(city.begin());
  return city;
}

/// The fake model's script (see demo_graphs.hpp).
Message agent_reply(const Messages& conversation) {
  if (conversation.empty()) return AIMessage("You said: ");
  const Message& last = conversation.back();
  if (last.type == MessageType::tool) {
    std::string city;
    for (auto it = conversation.rbegin(); it != conversation.rend(); ++it)
      if (!it->tool_calls.empty()) {
        city = it->tool_calls.front().args.value("city", "");
        break;
      }
    return AIMessage("The weather in " + city + " is " + last.text() + ".");
  }
  const std::string text = last.text();
  if (const auto at = text.find("weather in "); at != std::string::npos) {
    const std::string city = trimmed_city(text.substr(at + 11));
    return AIMessage("", {ToolCall{"call_" + std::to_string(conversation.size()), "get_weather", {{"city", city}}}});
  }
  return AIMessage("You said: " + text);
}

CompiledGraph<MessagesState> agent_graph(const std::shared_ptr<BaseCheckpointSaver>& saver,
                                         std::chrono::milliseconds token_delay) {
  using State = MessagesState;
  static const ToolNode tools({Tool{"get_weather",
                                    "The weather in a city.",
                                    {{"type", "object"},
                                     {"properties", {{"city", {{"type", "string"}}}}},
                                     {"required", {"city"}}},
                                    [](const nlohmann::json&) -> nlohmann::json { return "sunny"; }}});
  auto fake = std::make_shared<ScriptedFakeChatModel>(agent_reply);
  fake->set_delay(token_delay);
  const std::shared_ptr<const ChatModel> model = fake->bind_tools(tools.specs());
  StateGraph<State> g;
  g.add_node("model", [model](const State& s, RunContext& ctx) {
    return Update<State>{set<&State::messages>(stream_chat(*model, s.messages, ctx))};  // tokens on stream mode messages
  });
  g.add_node("tools", tools);
  g.add_edge(START, "model");
  g.add_conditional_edges("model", tools_condition, {{"tools", "tools"}, {END, END}});
  g.add_edge("tools", "model");
  return g.compile({.checkpointer = saver, .keep_applied_writes = true});
}

CompiledGraph<ApprovalState> approval_graph(const std::shared_ptr<BaseCheckpointSaver>& saver) {
  using S = ApprovalState;
  StateGraph<S> g;
  g.add_node("write_draft", [](const S& s) {
    return Update<S>{set<&S::draft>("Draft: " + s.request), set<&S::log>(std::string("draft"))};
  });
  g.add_node("review", [](const S& s, RunContext& ctx) {
    const nlohmann::json answer = ctx.interrupt({{"question", "Send this draft?"}, {"draft", s.draft}});
    const bool approved = answer == true || answer == "yes";
    return Update<S>{set<&S::status>(std::string(approved ? "approved" : "rejected")),
                     set<&S::log>(std::string(approved ? "approved" : "rejected"))};
  });
  g.add_node("send", [](const S& s) {
    Update<S> u;
    if (s.status == "approved") u.set<&S::log>(std::string("sent"));
    return u;
  });
  g.add_edge(START, "write_draft");
  g.add_edge("write_draft", "review");
  g.add_edge("review", "send");
  g.add_edge("send", END);
  return g.compile({.checkpointer = saver, .keep_applied_writes = true});
}

CompiledGraph<ChainState> chain_graph(const std::shared_ptr<BaseCheckpointSaver>& saver) {
  using S = ChainState;
  StateGraph<S> g;
  for (const char* name : {"a", "b", "c"}) {
    const std::string node = name;
    g.add_node(node, [node](const S& s, RunContext& ctx) {
      if (node == "b") ctx.write_custom({{"node", "b"}, {"count", s.count}});
      return Update<S>{set<&S::count>(1), set<&S::steps>(node)};
    });
  }
  g.add_edge(START, "a");
  g.add_edge("a", "b");
  g.add_edge("b", "c");
  g.add_edge("c", END);
  return g.compile({.checkpointer = saver, .keep_applied_writes = true});
}

CompiledGraph<RelayState> relay_graph(const std::shared_ptr<BaseCheckpointSaver>& saver) {
  using S = RelayState;
  StateGraph<S> g;
  std::string previous(START);
  for (int i = 1; i <= 6; ++i) {
    const std::string node = "step" + std::to_string(i);
    g.add_node(node, [node](const S& s, RunContext& ctx) {
      // Sleeps in slices so that a cancelled run stops soon.
      for (int slept = 0; slept < s.pause_ms && !ctx.cancelled(); slept += 10)
        std::this_thread::sleep_for(std::chrono::milliseconds(std::min(10, s.pause_ms - slept)));
      return Update<S>{set<&S::steps>(node), set<&S::ran_by>("pid " + std::to_string(::getpid()))};
    });
    g.add_edge(previous, node);
    previous = node;
  }
  g.add_edge(previous, END);
  return g.compile({.checkpointer = saver, .keep_applied_writes = true});
}

}  // namespace

std::vector<ServedGraphEntry> demo_graphs(const std::shared_ptr<BaseCheckpointSaver>& saver,
                                          std::chrono::milliseconds token_delay) {
  std::vector<ServedGraphEntry> out;
  out.emplace_back("agent", agent_graph(saver, token_delay));
  out.emplace_back("approval", approval_graph(saver));
  out.emplace_back("chain", chain_graph(saver));
  out.emplace_back("relay", relay_graph(saver));
  return out;
}

}  // namespace sg::demo
