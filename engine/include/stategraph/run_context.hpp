#pragma once
/// @file
/// sg::RunContext: what a running node may ask of the engine (LangGraph's `Runtime` and the
/// injected `config` / `writer`; langgraph/runtime.py).

#include <cstdint>
#include <string>
#include <typeinfo>

#include <nlohmann/json.hpp>

#include "stategraph/context_value.hpp"
#include "stategraph/stream.hpp"

namespace sg {

namespace detail {
struct TaskScope;
}

/// Passed to every node and router as the second argument. Valid only during that call.
/// Thread-safety: belongs to one task; write_custom/emit may be called from threads the node
/// starts while the node runs (events are serialised by the engine).
class RunContext {
 public:
  explicit RunContext(detail::TaskScope& scope) noexcept : scope_(&scope) {}

  /// The running node's name.
  [[nodiscard]] const std::string& node() const noexcept;
  /// The superstep number (0 is the step that applies the input).
  [[nodiscard]] std::int64_t step() const noexcept;
  /// The task's deterministic id (same id when the step is re-planned after a crash).
  [[nodiscard]] const std::string& task_id() const noexcept;
  [[nodiscard]] const std::string& thread_id() const noexcept;
  [[nodiscard]] const std::string& checkpoint_ns() const noexcept;
  /// 1 for the first attempt, 2 for the first retry, ...
  [[nodiscard]] int attempt() const noexcept;
  /// True once the run's CancellationToken was cancelled; long nodes should return early.
  [[nodiscard]] bool cancelled() const noexcept;
  /// True when the caller streams `mode` (skip building payloads nobody reads).
  [[nodiscard]] bool streams(StreamMode mode) const noexcept;
  /// The run's context (RunConfig::context) as a T (LangGraph's `Runtime.context`).
  /// @throws ConfigError [sg.run.311] when the run was given no context or one of another type
  ///         (the run ends with this error itself, not retried nor wrapped in sg::NodeError).
  template <class T>
  [[nodiscard]] const T& context() const {
    if (const T* value = context_value().template get<T>()) return *value;
    throw_context_error(typeid(T));
  }
  /// The run's context as a T, or nullptr when there is none or it is of another type.
  template <class T>
  [[nodiscard]] const T* find_context() const noexcept {
    return context_value().template get<T>();
  }
  /// The run's context as given (RunConfig::context).
  [[nodiscard]] const ContextValue& context_value() const noexcept;
  /// Emits `payload` on stream mode custom.
  void write_custom(nlohmann::json payload) const;
  /// Emits an event of any mode from inside the node (used by chat models for `messages`).
  void emit(StreamMode mode, nlohmann::json data) const;
  /// Pauses the run for human input (LangGraph's `interrupt(value)`, types.py). The first time,
  /// the node stops here and the run returns with an Interrupt carrying `value`; when the run is
  /// resumed with Command{.resume = v}, the node runs again from its start and this call returns
  /// v. Calls are matched by order, so a node may ask several questions. Needs a checkpointer:
  /// without one it throws ConfigError sg.run.309 at the call, and the run ends with it (a run
  /// that could never be resumed does not return as interrupted).
  /// Do not catch the internal exception this throws (catch specific types, not `...`).
  nlohmann::json interrupt(nlohmann::json value) const;

 private:
  [[noreturn]] void throw_context_error(const std::type_info& wanted) const;

  detail::TaskScope* scope_;
};

}  // namespace sg
