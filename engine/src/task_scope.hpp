#pragma once
// TaskScope: everything RunContext exposes to a running node, plus the run-wide state it shares
// with the loop (event sink, resume values).

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <typeindex>
#include <vector>

#include "engine_impl.hpp"
#include "loop_state.hpp"

namespace sg::detail {

/// Run-wide data shared by all tasks of one invoke. A subgraph run has its own, linked to the
/// run of the task that started it (`parent`).
struct RunShared {
  const Engine* engine = nullptr;
  const RunConfig* config = nullptr;
  /// Modes the run produces: those of its own caller's sink plus those it forwards.
  StreamModes modes;
  const EventSink* sink = nullptr;  ///< the caller's callback (may be null or empty)
  StreamModes sink_modes;           ///< modes the caller asked for
  RunShared* parent = nullptr;      ///< subgraph runs: the run of the task that started this one
  StreamModes forward;              ///< subgraph runs: modes passed up to the parent's stream
  BaseCheckpointSaver* saver = nullptr;  ///< the run's checkpointer (a subgraph's: its parent's)
  /// The thread's lock, held by the top-level run (a subgraph's: null, it uses root()'s).
  const ThreadLock* thread_lock = nullptr;
  /// metadata "parents" of the run's checkpoints: each ancestor namespace → its checkpoint id.
  nlohmann::json parents = nlohmann::json::object();
  /// The checkpoint the running superstep was planned from (what a subgraph records in parents).
  std::string step_checkpoint_id;
  std::mutex event_mutex;
  std::mutex resume_mutex;
  std::optional<nlohmann::json> null_resume;  // Command::resume, taken by the first interrupt()
  std::map<std::string, nlohmann::json> resume_map;

  /// The run at the top of the subgraph chain: it holds the resume values of the call.
  RunShared& root() noexcept {
    RunShared* r = this;
    while (r->parent != nullptr) r = r->parent;
    return *r;
  }

  /// True when an event of `mode` reaches some consumer.
  [[nodiscard]] bool wants(StreamMode mode) const noexcept {
    if (sink != nullptr && *sink && sink_modes.has(mode)) return true;
    return parent != nullptr && forward.has(mode) && parent->wants(mode);
  }

  /// Calls the sink, one event at a time, and passes the event up to the parent's stream.
  void emit(RawEvent&& e) {
    if (e.ns.empty() && parent != nullptr) e.ns = config->checkpoint_ns;
    const bool up = parent != nullptr && forward.has(e.mode);
    if (sink != nullptr && *sink && sink_modes.has(e.mode)) {
      std::lock_guard lock(event_mutex);
      if (up) {
        RawEvent copy = e;
        (*sink)(std::move(copy));
      } else {
        (*sink)(std::move(e));
        return;
      }
    }
    if (up) {
      // A state of another type than the parent's cannot travel as `values`: only as JSON.
      if (e.values && parent->engine->state->type != engine->state->type) {
        nlohmann::json j = nlohmann::json::object();
        for (const auto& f : engine->state->fields) j[f.name] = f.encode(e.values.get());
        e.data = std::move(j);
        e.values = nullptr;
      }
      parent->emit(std::move(e));
    }
  }

  /// Emits a debug event {"type", "step", "timestamp", "payload"} (LangGraph: pregel/debug.py).
  void debug(std::int64_t step, const char* type, nlohmann::json payload) {
    if (!modes.has(StreamMode::debug)) return;
    RawEvent e;
    e.mode = StreamMode::debug;
    e.step = step;
    e.data = {{"type", type}, {"step", step}, {"timestamp", utc_now_iso8601()}, {"payload", std::move(payload)}};
    emit(std::move(e));
  }
};

struct TaskScope {
  RunShared* run = nullptr;
  Task* task = nullptr;
  std::int64_t step = 0;
  int attempt = 1;
  std::size_t interrupt_index = 0;
  std::size_t subgraph_runs = 0;  ///< checkpointed subgraphs the current attempt has run
};

/// Thrown by RunContext::interrupt to stop the node, and out of a subgraph run that paused (its
/// interrupts); caught by the task runner.
struct GraphInterruptSignal {
  std::vector<Interrupt> interrupts;
};

/// Thrown out of a subgraph run whose node returned a Command to its parent graph
/// (CommandGraph::parent); the task of the parent that ran the subgraph takes `output` as its own.
struct ParentCommandSignal {
  NodeOutput output;
  std::type_index state_type;  ///< the state type of the graph whose node returned it
  const RunShared* from;       ///< that graph's run
  std::string node;            ///< that node
};

/// Sets the running task of this thread for the lifetime of the guard.
class TaskScopeGuard {
 public:
  explicit TaskScopeGuard(TaskScope* scope) noexcept : previous_(set_current_task_scope(scope)) {}
  ~TaskScopeGuard() { set_current_task_scope(previous_); }
  TaskScopeGuard(const TaskScopeGuard&) = delete;
  TaskScopeGuard& operator=(const TaskScopeGuard&) = delete;

 private:
  TaskScope* previous_;
};

}  // namespace sg::detail
