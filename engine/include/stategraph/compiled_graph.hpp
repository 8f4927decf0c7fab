#pragma once
/// @file
/// sg::CompiledGraph<S>: the immutable runner made by StateGraph<S>::compile().
///
/// Runs LangGraph's Pregel loop (semantics reference §3): supersteps of plan → execute (all tasks
/// in parallel on the graph's sg::Executor, each reading the step's state) → update (writes applied
/// in a deterministic order through the reducers) → checkpoint.
///
/// Thread-safety: every member function is thread-safe; many threads may run many thread_ids on
/// one CompiledGraph at once. Runs and state updates on one thread_id are serialised by the
/// saver's thread lock (BaseCheckpointSaver::lock_thread).

#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "stategraph/command.hpp"
#include "stategraph/constants.hpp"
#include "stategraph/detail/engine.hpp"
#include "stategraph/detail/stream_run.hpp"
#include "stategraph/errors.hpp"
#include "stategraph/state_snapshot.hpp"
#include "stategraph/state_update.hpp"
#include "stategraph/stream.hpp"
#include "stategraph/update.hpp"

namespace sg {

template <class S>
class EventStream;
template <class S>
class StateGraph;

/// Options of CompiledGraph::get_state.
struct StateOptions {
  /// Also read the state of each pending task's subgraph (LangGraph: `get_state(config,
  /// subgraphs=True)`): TaskInfo::subgraph_state, nested to any depth.
  bool subgraphs = false;
};

/// Options of CompiledGraph::draw_mermaid.
struct DrawOptions {
  /// Draw each subgraph's nodes inside the node that runs it (LangGraph: `get_graph(xray=True)`).
  bool xray = false;
};

/// Subgraphs: a CompiledGraph is a node of another graph with StateGraph::add_node, or is called
/// from a node (invoke or stream, with no thread_id or the parent's): either way it runs as the
/// task's subgraph — same thread_id, checkpoint_ns "<parent ns>|<node>:<task id>", the parent's
/// checkpointer under the lock the parent run holds, its interrupts pausing the parent, its events
/// in the parent's stream (sg::subgraphs). See the README's "Subgraphs" section.
template <class S>
class CompiledGraph {
 public:
  using Callback = std::function<void(const StreamEvent<S>&)>;

  explicit CompiledGraph(std::shared_ptr<const detail::Engine> engine) : engine_(std::move(engine)) {}

  /// Runs the graph with `input` applied as the first superstep's writes and returns the final
  /// state (or the state at the interrupt, with `interrupts` set), shared read-only with the
  /// graph's state cache (see RunResult: O(1), however large the state).
  /// @throws NodeError (sg.run.301), GraphRecursionError (302), ConfigError (303/304/306/307),
  ///         Cancelled (305), InvalidUpdate (sg.update.2xx), SaverError (sg.saver.4xx).
  RunResult<S> invoke(Update<S> input, const RunConfig& config = {}) const {
    return finish(detail::run(*engine_, writes_input(std::move(input)), config, {}, {}));
  }
  /// `graph.invoke({sg::set<&S::a>(1), ...}, cfg)`: the writes as the input.
  RunResult<S> invoke(std::initializer_list<FieldWrite<S>> input, const RunConfig& config = {}) const {
    return invoke(Update<S>(input), config);
  }
  /// Resumes the thread from its latest (or config.checkpoint_id) checkpoint without new input:
  /// continues after a static interrupt, retries a failed step, replays from an old checkpoint.
  RunResult<S> invoke(std::nullopt_t, const RunConfig& config = {}) const {
    return finish(detail::run(*engine_, {}, config, {}, {}));
  }
  /// Runs with a Command: resume an interrupt, and/or apply an update and goto.
  RunResult<S> invoke(Command<S> command, const RunConfig& config = {}) const {
    return finish(detail::run(*engine_, command_input(std::move(command)), config, {}, {}));
  }

  /// Like invoke, calling `callback` for each event of `modes`. The callback runs on the
  /// engine's threads, never two at once; an exception it throws ends the run.
  RunResult<S> stream(Update<S> input, const RunConfig& config, StreamModes modes,
                      const Callback& callback) const {
    return finish(detail::run(*engine_, writes_input(std::move(input)), config, modes, sink(callback)));
  }
  RunResult<S> stream(std::initializer_list<FieldWrite<S>> input, const RunConfig& config, StreamModes modes,
                      const Callback& callback) const {
    return stream(Update<S>(input), config, modes, callback);
  }
  RunResult<S> stream(std::nullopt_t, const RunConfig& config, StreamModes modes,
                      const Callback& callback) const {
    return finish(detail::run(*engine_, {}, config, modes, sink(callback)));
  }
  RunResult<S> stream(Command<S> command, const RunConfig& config, StreamModes modes,
                      const Callback& callback) const {
    return finish(detail::run(*engine_, command_input(std::move(command)), config, modes, sink(callback)));
  }

  /// The same run as a range: `for (const auto& event : graph.stream(input, cfg, modes))`.
  /// The run happens on a background thread; leaving the loop early cancels it. The run's
  /// exception, if any, is thrown from the iteration that reaches the end.
  EventStream<S> stream(Update<S> input, const RunConfig& config,
                        StreamModes modes = StreamMode::values) const {
    return EventStream<S>(engine_, writes_input(std::move(input)), config, modes);
  }
  EventStream<S> stream(std::initializer_list<FieldWrite<S>> input, const RunConfig& config,
                        StreamModes modes = StreamMode::values) const {
    return stream(Update<S>(input), config, modes);
  }
  EventStream<S> stream(std::nullopt_t, const RunConfig& config,
                        StreamModes modes = StreamMode::values) const {
    return EventStream<S>(engine_, {}, config, modes);
  }
  /// The range form with a Command: resume an interrupt (`.resume`), and/or apply an update
  /// and goto, while iterating the events (as invoke(Command) and the callback form).
  EventStream<S> stream(Command<S> command, const RunConfig& config,
                        StreamModes modes = StreamMode::values) const {
    return EventStream<S>(engine_, command_input(std::move(command)), config, modes);
  }

  /// The thread's state at its latest checkpoint (or config.checkpoint_id); nullopt when the
  /// thread has none. Without a checkpoint_id, writes of tasks that finished in an unfinished
  /// step are applied to `values` and `next` (as LangGraph does).
  /// @throws ConfigError (sg.run.303 no thread_id, 308 no checkpointer), SaverError.
  ///
  /// A subgraph's state: config.checkpoint_ns of one of its runs (as TaskInfo::subgraph_config,
  /// an Interrupt's namespace or sg-checkpoints show it) reads that run's checkpoints, through
  /// the subgraph's compiled graph; its state type must be S, else ConfigError sg.run.312 (read
  /// it with the subgraph's own CompiledGraph and the same config). The same holds for
  /// get_state_history and update_state.
  /// With `options.subgraphs`, each pending task that ran a subgraph carries the subgraph's
  /// snapshot in TaskInfo::subgraph_state.
  std::optional<StateSnapshot<S>> get_state(const RunConfig& config, StateOptions options = {}) const {
    auto raw = detail::get_state(*engine_, config, {options.subgraphs});
    if (!raw) return std::nullopt;
    return to_snapshot(std::move(*raw));
  }

  /// The thread's checkpoints, newest first (see BaseCheckpointSaver::list for the options;
  /// LangGraph: pregel/main.py Pregel.get_state_history). Pending writes are not applied: each
  /// snapshot is its checkpoint as stored.
  /// With `options.values = false` no channel value is read or decoded (a listing of a long
  /// thread costs its metadata, not its conversations): each snapshot's `values` is a
  /// default-constructed S, and `next`/`tasks` hold the nodes triggered by edges but not the
  /// targets of pending `Send`s (those live in a channel value).
  /// @throws ConfigError (sg.run.303, 308), SaverError.
  std::vector<StateSnapshot<S>> get_state_history(const RunConfig& config,
                                                  const ListOptions& options = {}) const {
    std::vector<StateSnapshot<S>> out;
    for (auto& raw : detail::get_state_history(*engine_, config, options))
      out.push_back(to_snapshot(std::move(raw)));
    return out;
  }

  /// Writes `values` to the thread's state as if node `as_node` had returned them, and saves the
  /// result as a new checkpoint (LangGraph: pregel/main.py `Pregel.update_state`, which is
  /// `bulk_update_state(config, [[StateUpdate(values, as_node)]])`; semantics reference §6).
  ///
  /// Starts from the checkpoint config.checkpoint_id names, else from the thread's latest one
  /// (with the saved writes of tasks that finished in its unfinished step folded in first, as
  /// get_state shows them; not so with a checkpoint_id). Runs the writers of `as_node`: the
  /// values go through the fields' reducers, its static edges fire and its conditional edges are
  /// evaluated on the updated state, all as one superstep; a checkpoint with metadata
  /// `{source: "update", step: base step + 1}` and the base as parent is saved. It is the
  /// thread's latest, so the next `invoke(std::nullopt, {.thread_id})` continues with as_node's
  /// successors (a fork of the history when the base was not the latest). Tasks the base had
  /// planned and `as_node` does not trigger again are dropped.
  ///
  /// `as_node`:
  ///  - a node name, or sg::START (the values come in through START's edges);
  ///  - omitted: the graph's only node; else the node that ran last (LangGraph: the one with the
  ///    newest versions_seen entry; updates and inputs do not count), found by walking back
  ///    through the history; START on a thread where no node ran yet (as LangGraph); two nodes
  ///    that ran last in the same step → InvalidUpdate sg.update.208;
  ///  - sg::AS_INPUT ("__input__"): `values` are a new input, as invoke(values) would take it
  ///    (the base's unfinished tasks are dropped), saved with source "input"; the next
  ///    invoke(std::nullopt, cfg) runs it;
  ///  - sg::AS_COPY ("__copy__"), values std::nullopt: copies the base checkpoint as a sibling
  ///    (same parent, values and next tasks, no pending writes), metadata source "fork",
  ///    step + 1 and "copy_of" (the copied checkpoint's id); it
  ///    becomes the thread's latest, so the next run continues from the copy (undo). Nothing is
  ///    stored again but the checkpoint row;
  ///  - sg::END with values std::nullopt: the base's next tasks are consumed (the saved results
  ///    of those that finished are applied), so nothing is left to run; source "update".
  ///
  /// Returns (thread_id, checkpoint_ns, checkpoint_id) of the new checkpoint. Holds the thread's
  /// lock (BaseCheckpointSaver::lock_thread, waiting up to config.thread_lock_wait) for the whole
  /// call, so it never interleaves with a run on the thread; config.metadata is merged into the
  /// checkpoint's metadata. The graph's state cache is kept in step.
  /// @throws ConfigError sg.run.308 (no checkpointer), 303 (no thread_id), 307 (checkpoint_id
  ///         not found); InvalidUpdate sg.update.207 (as_node is not a node), 208 (as_node
  ///         ambiguous), 209 (values where none are allowed or missing, __copy__ on a thread
  ///         without checkpoints), 201/202/205 (the reducers reject the values), 203/204 (a
  ///         router's answer); SaverError (sg.saver.404 thread busy, 411 the lock was lost
  ///         before the write — e.g. its Postgres session ended —, I/O). The checkpoints are
  ///         written once every superstep has been computed, so an invalid update saves
  ///         nothing (a saver failing midway keeps what it stored before).
  /// Thread-safety: thread-safe; do not call it from a node of a run on the same thread_id (the
  /// run holds the thread's lock: the call waits for it and fails with sg.saver.404).
  CheckpointConfig update_state(const RunConfig& config, std::optional<Update<S>> values,
                                std::optional<std::string> as_node = std::nullopt) const {
    std::vector<std::vector<StateUpdate<S>>> supersteps(1);
    supersteps[0].push_back(StateUpdate<S>{std::move(values), std::move(as_node), std::nullopt});
    return bulk_update_state(config, std::move(supersteps));
  }
  /// `graph.update_state(cfg, {sg::set<&S::a>(1), sg::set<&S::b>(2)}, "node")`.
  CheckpointConfig update_state(const RunConfig& config, std::initializer_list<FieldWrite<S>> values,
                                std::optional<std::string> as_node = std::nullopt) const {
    return update_state(config, Update<S>(values), std::move(as_node));
  }

  /// Applies `supersteps` in order, each as one superstep that saves one checkpoint (each a
  /// child of the previous), under one hold of the thread's lock (LangGraph:
  /// `Pregel.bulk_update_state`). The updates of one superstep are applied together, in order,
  /// like the tasks of one step (two writes to a last-value field → sg.update.201); each needs
  /// as_node when there are several. sg::AS_INPUT and sg::END stand alone in their superstep;
  /// sg::AS_COPY may be followed by updates that then apply to the copy, each taking the task id
  /// of the copy's next task of its node (LangGraph's `update_state(cfg, [...], "__copy__")`).
  /// Returns the last checkpoint's config. See update_state for the rest, errors included
  /// (sg.update.209 also for no supersteps, an empty superstep, or updates that cannot share
  /// one). Thread-safety: as update_state.
  CheckpointConfig bulk_update_state(const RunConfig& config,
                                     std::vector<std::vector<StateUpdate<S>>> supersteps) const {
    std::vector<std::vector<detail::RawStateUpdate>> raw(supersteps.size());
    for (std::size_t i = 0; i < supersteps.size(); ++i) {
      raw[i].reserve(supersteps[i].size());
      for (auto& u : supersteps[i]) {
        detail::RawStateUpdate r;
        if (u.values) r.values = std::move(*u.values).writes();
        r.as_node = std::move(u.as_node);
        r.task_id = std::move(u.task_id);
        raw[i].push_back(std::move(r));
      }
    }
    return detail::bulk_update_state(*engine_, config, std::move(raw));
  }

  /// The graph as a Mermaid flowchart (dashed edges are conditional).
  [[nodiscard]] std::string draw_mermaid(DrawOptions options = {}) const {
    return detail::draw_mermaid(*engine_, options.xray);
  }
  /// The graph as data, in langchain-core's `Graph.to_json()` shape (LangGraph:
  /// `get_graph(xray).to_json()`; what the Agent Server's /assistants/{id}/graph returns):
  /// {"nodes": [{"id", "type": "schema" (__start__, __end__) | "runnable", "data": id}],
  ///  "edges": [{"source", "target", "conditional": bool, "data"?: router key}]}. With xray, a
  /// subgraph's nodes appear as "<node>:<inner node>" as draw_mermaid draws them.
  [[nodiscard]] nlohmann::json graph_json(DrawOptions options = {}) const {
    return detail::graph_json(*engine_, options.xray);
  }
  /// The graph in Graphviz DOT.
  [[nodiscard]] std::string to_dot() const { return detail::to_dot(*engine_); }
  /// The checkpointer given to compile (may be null).
  [[nodiscard]] const std::shared_ptr<BaseCheckpointSaver>& checkpointer() const {
    return detail::checkpointer(*engine_);
  }

 private:
  static detail::RunInput writes_input(Update<S> input) {
    detail::RunInput in;
    in.kind = detail::RunInput::Kind::writes;
    in.writes = std::move(input).writes();
    return in;
  }
  static detail::RunInput command_input(Command<S> c) {
    detail::RunInput in;
    in.kind = detail::RunInput::Kind::command;
    in.writes = std::move(c.update).writes();
    in.goto_ = std::move(c.goto_);
    in.sends = std::move(c.sends);
    in.resume = std::move(c.resume);
    in.resume_map = std::move(c.resume_map);
    return in;
  }
  static detail::EventSink sink(const Callback& callback) {
    if (!callback) return {};
    return [&callback](detail::RawEvent&& e) { callback(convert_event<S>(std::move(e))); };
  }
  static RunResult<S> finish(detail::RawResult raw) {
    return RunResult<S>(std::static_pointer_cast<const S>(std::move(raw.values)), std::move(raw.interrupts),
                        std::move(raw.config));
  }
  static StateSnapshot<S> to_snapshot(detail::RawSnapshot raw) {
    StateSnapshot<S> s;
    s.values = std::move(*static_cast<S*>(raw.values.get()));
    s.next = std::move(raw.next);
    s.config = std::move(raw.config);
    s.metadata = std::move(raw.metadata);
    s.created_at = std::move(raw.created_at);
    s.parent_config = std::move(raw.parent_config);
    s.tasks = std::move(raw.tasks);
    s.interrupts = std::move(raw.interrupts);
    s.needs_resume = raw.needs_resume;
    return s;
  }

 public:
  /// For EventStream: an erased event as a typed one.
  template <class T>
  static StreamEvent<T> convert_event(detail::RawEvent&& e) {
    StreamEvent<T> out;
    out.mode = e.mode;
    out.step = e.step;
    out.node = std::move(e.node);
    out.values = std::static_pointer_cast<const T>(std::move(e.values));
    out.data = std::move(e.data);
    out.cached = e.cached;
    out.ns = std::move(e.ns);
    return out;
  }

 private:
  template <class>
  friend class StateGraph;
  std::shared_ptr<const detail::Engine> engine_;
};

/// A single-pass input range over a run's events (see CompiledGraph::stream).
/// Thread-safety: use from one thread.
template <class S>
class EventStream {
 public:
  class iterator {
   public:
    using value_type = StreamEvent<S>;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    explicit iterator(EventStream* s) : stream_(s) { advance(); }
    const StreamEvent<S>& operator*() const { return current_; }
    const StreamEvent<S>* operator->() const { return &current_; }
    iterator& operator++() {
      advance();
      return *this;
    }
    void operator++(int) { advance(); }
    friend bool operator==(const iterator& it, std::default_sentinel_t) { return it.stream_ == nullptr; }

   private:
    void advance() {
      auto e = stream_->run_->next();
      if (!e) {
        stream_ = nullptr;
        return;
      }
      current_ = CompiledGraph<S>::template convert_event<S>(std::move(*e));
    }
    EventStream* stream_ = nullptr;
    StreamEvent<S> current_;
  };

  EventStream(std::shared_ptr<const detail::Engine> engine, detail::RunInput input, RunConfig config,
              StreamModes modes) {
    CancellationToken token = config.cancel;
    // Iterated inside a node, the run is that node's subgraph although it runs on its own thread.
    detail::TaskScope* parent = detail::current_task_scope();
    run_ = std::make_unique<detail::StreamRun>(
        [engine = std::move(engine), input = std::move(input), config = std::move(config), modes, parent](
            const detail::EventSink& sink, CancellationToken) mutable {
          detail::TaskScope* previous = detail::set_current_task_scope(parent);
          try {
            detail::run(*engine, std::move(input), config, modes, sink);
          } catch (...) {
            detail::set_current_task_scope(previous);
            throw;
          }
          detail::set_current_task_scope(previous);
        },
        token);
  }

  iterator begin() { return iterator(this); }
  std::default_sentinel_t end() { return {}; }

 private:
  std::unique_ptr<detail::StreamRun> run_;
};

}  // namespace sg
