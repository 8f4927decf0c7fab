#pragma once
/// @file
/// sg::ServedGraph: a compiled graph of any state type as sg::AgentServer serves it — inputs,
/// states and events as JSON, through the typed state's to_json / from_json
/// (stategraph/state_json.hpp). Made by sg::serve_graph(compiled).
///
/// @code{.cpp}
/// auto app = builder.compile({.checkpointer = saver});
/// std::shared_ptr<const sg::ServedGraph> served = sg::serve_graph(app);
/// @endcode
///
/// The JSON shapes are the Agent Server API's (LangGraph: langgraph-api's ThreadState,
/// `state_snapshot_to_thread_state`): see thread_state_json.
///
/// Thread-safety: every member is thread-safe (as CompiledGraph's).

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include <stategraph/compiled_graph.hpp>
#include <stategraph/state_json.hpp>

#include "agent_server/lazy_json.hpp"

namespace sg {

/// One event of a served run: StreamEvent<S> with the state as JSON.
struct ServedEvent {
  std::string ns;  ///< "" for the graph itself; a subgraph's checkpoint namespace
  StreamMode mode = StreamMode::values;
  std::int64_t step = 0;
  std::string node;
  /// values: the state {field: value}, encoded when first read (LazyJson; until then the event
  /// holds the engine's state snapshot, which the engine copies before its next write: cheaper
  /// than encoding it); the other modes: StreamEvent::data.
  LazyJson data;
  bool cached = false;  ///< updates: writes saved by an earlier run (see StreamEvent::cached)
};

/// A run's input as the Agent Server takes it: `input` ({field: value}, or null to continue the
/// thread from its checkpoint) or `command` ({"resume"?, "update"?, "goto"?}).
struct ServedInput {
  nlohmann::json input;    ///< null: no new input
  nlohmann::json command;  ///< null: none; else wins over `input`
};

/// What a served run returns.
struct ServedResult {
  nlohmann::json values;  ///< the final state (or at the interrupt), {field: value}
  std::vector<Interrupt> interrupts;
  std::optional<CheckpointConfig> config;  ///< the latest checkpoint the run wrote
};

/// A thread's state at one checkpoint in the Agent Server's ThreadState shape:
/// {"values", "next": [node], "tasks": [{"id", "name", "error": string|null, "interrupts":
/// [{"value", "id"}], "checkpoint": {...}|null, "state": ThreadState|null, "result"?}],
/// "metadata", "created_at", "checkpoint": {"thread_id", "checkpoint_ns", "checkpoint_id",
/// "checkpoint_map": null}, "parent_checkpoint": same|null, "interrupts": [{"value", "id"}]}.
/// `values` is the state as JSON; the rest comes from the snapshot.
template <class S>
[[nodiscard]] nlohmann::json thread_state_json(const StateSnapshot<S>& snapshot);

/// The erased part of thread_state_json.
[[nodiscard]] nlohmann::json thread_state_json(nlohmann::json values, const std::vector<std::string>& next,
                                               const std::vector<TaskInfo>& tasks, const CheckpointMetadata& metadata,
                                               const std::string& created_at, const CheckpointConfig& config,
                                               const std::optional<CheckpointConfig>& parent_config,
                                               const std::vector<Interrupt>& interrupts);
/// {"thread_id", "checkpoint_ns", "checkpoint_id", "checkpoint_map": null} (LangGraph:
/// runnableConfigToCheckpoint).
[[nodiscard]] nlohmann::json checkpoint_json(const CheckpointConfig& config);
/// {"value", "id"} (LangGraph's Interrupt as the API sends it).
[[nodiscard]] nlohmann::json interrupt_json(const Interrupt& interrupt);

class ServedGraph {
 public:
  using EventSink = std::function<void(ServedEvent&&)>;
  virtual ~ServedGraph() = default;

  /// Runs (CompiledGraph::stream), calling `on_event` for each event of `modes` on the engine's
  /// threads, one at a time.
  /// @throws StateError [sg.state.501] for an input or command update that does not convert;
  ///         everything CompiledGraph::invoke throws.
  virtual ServedResult run(const ServedInput& input, const RunConfig& config, StreamModes modes,
                           const EventSink& on_event) const = 0;
  /// CompiledGraph::get_state as ThreadState JSON; nullopt when the thread has no checkpoint.
  [[nodiscard]] virtual std::optional<nlohmann::json> state(const RunConfig& config, bool subgraphs) const = 0;
  /// CompiledGraph::get_state_history as a JSON array of ThreadState, newest first.
  [[nodiscard]] virtual nlohmann::json history(const RunConfig& config, const ListOptions& options) const = 0;
  /// CompiledGraph::update_state with `values` ({field: value}, or null for none).
  virtual CheckpointConfig update_state(const RunConfig& config, const nlohmann::json& values,
                                        std::optional<std::string> as_node) const = 0;
  /// CompiledGraph::graph_json and draw_mermaid.
  [[nodiscard]] virtual nlohmann::json graph_json(bool xray) const = 0;
  [[nodiscard]] virtual std::string draw_mermaid(bool xray) const = 0;
  /// The state's JSON schema, as far as it is known: {"title", "type": "object", "properties":
  /// {field: {"type"}}}, each type that of the field's default value as JSON ("array", "string",
  /// "integer", "number", "boolean", "object"; {} for a null default).
  [[nodiscard]] virtual nlohmann::json state_schema() const = 0;
  [[nodiscard]] virtual const std::shared_ptr<BaseCheckpointSaver>& checkpointer() const = 0;
};

namespace detail {

/// Reads a Command from the API's {"resume", "update", "goto"} (goto: a node name, a list of
/// them; Send objects {"node", "arg"} are not supported: sg::StateError [sg.state.501]).
template <class S>
Command<S> command_from_json(const nlohmann::json& j) {
  Command<S> c;
  if (!j.is_object()) throw_state_not_object(j.type_name());
  if (auto it = j.find("resume"); it != j.end() && !it->is_null()) c.resume = *it;
  if (auto it = j.find("update"); it != j.end() && !it->is_null()) {
    if (it->is_array()) {  // [[field, value], ...] as LangGraph also takes it
      nlohmann::json object = nlohmann::json::object();
      for (const auto& pair : *it)
        if (pair.is_array() && pair.size() == 2 && pair[0].is_string()) object[pair[0].get<std::string>()] = pair[1];
      c.update = update_from_json<S>(object);
    } else {
      c.update = update_from_json<S>(*it);
    }
  }
  if (auto it = j.find("goto"); it != j.end() && !it->is_null()) {
    const nlohmann::json list = it->is_array() ? *it : nlohmann::json::array({*it});
    for (const auto& g : list) {
      if (!g.is_string())
        throw StateError(ErrorId::state_value_does_not_convert,
                         "command.goto: only node names are supported, got " + g.dump());
      c.goto_.push_back(g.get<std::string>());
    }
  }
  return c;
}

/// {"title": "State", "type": "object", "properties": {field: {"type": <JSON type of the field's
/// default value>}}} for a default state's JSON.
[[nodiscard]] nlohmann::json schema_of_defaults(const nlohmann::json& defaults);

template <class S>
class TypedServedGraph final : public ServedGraph {
 public:
  explicit TypedServedGraph(CompiledGraph<S> graph) : graph_(std::move(graph)) {}

  ServedResult run(const ServedInput& input, const RunConfig& config, StreamModes modes,
                   const EventSink& on_event) const override {
    auto callback = [&on_event](const StreamEvent<S>& e) {
      ServedEvent out;
      out.ns = e.ns;
      out.mode = e.mode;
      out.step = e.step;
      out.node = e.node;
      out.cached = e.cached;
      if (e.mode == StreamMode::values && e.values) out.data = LazyJson::deferred([v = e.values] { return sg::to_json(*v); });
      else out.data = LazyJson(e.data);
      on_event(std::move(out));
    };
    auto finish = [](RunResult<S>&& r) {
      return ServedResult{sg::to_json(r.values), std::move(r.interrupts), std::move(r.config)};
    };
    if (!input.command.is_null())
      return finish(graph_.stream(command_from_json<S>(input.command), config, modes, callback));
    if (input.input.is_null()) return finish(graph_.stream(std::nullopt, config, modes, callback));
    return finish(graph_.stream(update_from_json<S>(input.input), config, modes, callback));
  }

  std::optional<nlohmann::json> state(const RunConfig& config, bool subgraphs) const override {
    auto snapshot = graph_.get_state(config, {.subgraphs = subgraphs});
    if (!snapshot) return std::nullopt;
    return thread_state_json(*snapshot);
  }

  nlohmann::json history(const RunConfig& config, const ListOptions& options) const override {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& snapshot : graph_.get_state_history(config, options)) out.push_back(thread_state_json(snapshot));
    return out;
  }

  CheckpointConfig update_state(const RunConfig& config, const nlohmann::json& values,
                                std::optional<std::string> as_node) const override {
    std::optional<Update<S>> update;
    if (!values.is_null()) update = update_from_json<S>(values);
    return graph_.update_state(config, std::move(update), std::move(as_node));
  }

  nlohmann::json graph_json(bool xray) const override { return graph_.graph_json({.xray = xray}); }
  std::string draw_mermaid(bool xray) const override { return graph_.draw_mermaid({.xray = xray}); }

  nlohmann::json state_schema() const override { return schema_of_defaults(sg::to_json(S{})); }

  const std::shared_ptr<BaseCheckpointSaver>& checkpointer() const override { return graph_.checkpointer(); }

 private:
  CompiledGraph<S> graph_;
};

}  // namespace detail

template <class S>
nlohmann::json thread_state_json(const StateSnapshot<S>& snapshot) {
  return thread_state_json(sg::to_json(snapshot.values), snapshot.next, snapshot.tasks, snapshot.metadata,
                           snapshot.created_at, snapshot.config, snapshot.parent_config, snapshot.interrupts);
}

/// `graph` served: the AgentServer's view of it. The graph's checkpointer is the one the server
/// uses for it (required: sg::AgentServer refuses a graph without one).
template <class S>
[[nodiscard]] std::shared_ptr<const ServedGraph> serve_graph(CompiledGraph<S> graph) {
  return std::make_shared<detail::TypedServedGraph<S>>(std::move(graph));
}

}  // namespace sg
