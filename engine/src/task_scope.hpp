#pragma once
// TaskScope: everything RunContext exposes to a running node, plus the run-wide state it shares
// with the loop (event sink, resume values).

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

#include "engine_impl.hpp"
#include "loop_state.hpp"

namespace sg::detail {

/// Run-wide data shared by all tasks of one invoke.
struct RunShared {
  const Engine* engine = nullptr;
  const RunConfig* config = nullptr;
  StreamModes modes;
  const EventSink* sink = nullptr;
  std::mutex event_mutex;
  std::mutex resume_mutex;
  std::optional<nlohmann::json> null_resume;  // Command::resume, taken by the first interrupt()
  std::map<std::string, nlohmann::json> resume_map;

  /// Calls the sink, one event at a time.
  void emit(RawEvent&& e) {
    if (sink == nullptr || !*sink || !modes.has(e.mode)) return;
    std::lock_guard lock(event_mutex);
    (*sink)(std::move(e));
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
};

/// Thrown by RunContext::interrupt to stop the node; caught by the task runner.
struct GraphInterruptSignal {
  Interrupt interrupt;
};

}  // namespace sg::detail
