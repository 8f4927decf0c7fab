#pragma once
// Threads written by the real engine into any saver, for the CLI tests: a chat (add_messages,
// with a message replaced and one removed), a fan-out/join stopped before the join's node, and a
// map-reduce stopped before its Sends run. Each records the engine's own `next` for every
// checkpoint (get_state_history), which `sg-checkpoints history` must reproduce without the graph.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <stategraph/nodes/nodes.hpp>
#include <stategraph/stategraph.hpp>

namespace sgtest {

struct FanState {
  std::vector<std::string> log;
};
struct Item {
  std::string name;
};
inline void to_json(nlohmann::json& j, const Item& i) { j = {{"name", i.name}}; }
inline void from_json(const nlohmann::json& j, Item& i) { i.name = j.at("name").get<std::string>(); }

}  // namespace sgtest

template <>
struct sg::state_schema<sgtest::FanState> {
  static constexpr auto fields = sg::fields(sg::field<&sgtest::FanState::log>("log", sg::append));
};

namespace sgtest {

/// checkpoint id → the engine's next nodes, per thread.
using ExpectedNext = std::map<std::string, std::vector<std::string>>;

template <class S>
ExpectedNext engine_next(const sg::CompiledGraph<S>& app, const std::string& thread) {
  ExpectedNext out;
  sg::RunConfig cfg;
  cfg.thread_id = thread;
  for (const auto& snap : app.get_state_history(cfg)) out[snap.config.checkpoint_id.value_or("")] = snap.next;
  return out;
}

/// "chat": three turns, then a human message replaced by id, then one removed (15 checkpoints;
/// the state ends as h-1, h-2 (edited), ai-2, h-3, ai-3, ai-4, ai-5).
inline ExpectedNext write_chat(std::shared_ptr<sg::BaseCheckpointSaver> saver, const std::string& thread = "chat") {
  sg::StateGraph<sg::MessagesState> graph;
  auto replies = std::make_shared<int>(0);  // ai message ids: ai-1, ai-2, ...
  graph.add_node("model", [replies](const sg::MessagesState& s) {
    const auto& last = s.messages.back();
    return sg::Update<sg::MessagesState>{sg::set<&sg::MessagesState::messages>(
        sg::AIMessage("reply to: " + last.text(), "ai-" + std::to_string(++*replies)))};
  });
  graph.add_edge(sg::START, "model");
  auto app = graph.compile({.checkpointer = saver});
  sg::RunConfig cfg;
  cfg.thread_id = thread;
  for (int turn = 1; turn <= 3; ++turn)
    app.invoke({sg::set<&sg::MessagesState::messages>(
                   sg::HumanMessage("hello number " + std::to_string(turn), "h-" + std::to_string(turn)))},
               cfg);
  // Replace h-2 (same id, new text), then remove ai-1.
  app.invoke({sg::set<&sg::MessagesState::messages>(sg::HumanMessage("hello number two, edited", "h-2"))}, cfg);
  app.invoke({sg::set<&sg::MessagesState::messages>(sg::RemoveMessage("ai-1"))}, cfg);
  return engine_next(app, thread);
}

/// "fanout": START → a, b → join(a, b) → c → END, interrupted before c.
inline ExpectedNext write_fanout(std::shared_ptr<sg::BaseCheckpointSaver> saver, const std::string& thread = "fanout") {
  sg::StateGraph<FanState> graph;
  for (const char* name : {"a", "b", "c"})
    graph.add_node(name, [name](const FanState&) { return sg::Update<FanState>{sg::set<&FanState::log>(std::string(name))}; });
  graph.add_edge(sg::START, "a");
  graph.add_edge(sg::START, "b");
  graph.add_edge(std::vector<std::string>{"a", "b"}, "c");
  graph.add_edge("c", sg::END);
  auto app = graph.compile({.checkpointer = saver, .interrupt_before = {"c"}});
  sg::RunConfig cfg;
  cfg.thread_id = thread;
  app.invoke({sg::set<&FanState::log>(std::string("start"))}, cfg);
  return engine_next(app, thread);
}

/// "sends": START → Send("work", item) ×3 → END, interrupted before the work runs.
inline ExpectedNext write_sends(std::shared_ptr<sg::BaseCheckpointSaver> saver, const std::string& thread = "sends") {
  sg::StateGraph<FanState> graph;
  graph.add_node("work", [](const Item& i) { return sg::Update<FanState>{sg::set<&FanState::log>(i.name)}; });
  graph.add_conditional_edges(
      sg::START,
      [](const FanState&) {
        std::vector<sg::Send> sends;
        for (const char* n : {"x", "y", "z"}) sends.emplace_back("work", Item{n});
        return sends;
      },
      sg::PathMap(std::vector<std::string>{"work"}));
  graph.add_edge("work", sg::END);
  auto app = graph.compile({.checkpointer = saver, .interrupt_before = {"work"}});
  sg::RunConfig cfg;
  cfg.thread_id = thread;
  app.invoke({sg::set<&FanState::log>(std::string("start"))}, cfg);
  return engine_next(app, thread);
}

}  // namespace sgtest
