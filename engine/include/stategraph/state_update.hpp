#pragma once
/// @file
/// sg::StateUpdate<S>: one update of CompiledGraph::bulk_update_state (LangGraph: types.py
/// `StateUpdate(values, as_node, task_id)`).
///
/// Thread-safety: a value; distinct objects may be used from distinct threads.

#include <optional>
#include <string>

#include "stategraph/update.hpp"

namespace sg {

/// Values written to a thread's state as if node `as_node` had returned them.
///
/// @code{.cpp}
/// app.bulk_update_state(cfg, {{{sg::Update<S>{sg::set<&S::a>(1)}, "node_a"},
///                              {sg::Update<S>{sg::set<&S::b>(2)}, "node_b"}}});  // one superstep
/// @endcode
template <class S>
struct StateUpdate {
  /// The writes (through each field's reducer, as a node's return would be). std::nullopt only
  /// with as_node sg::AS_COPY or sg::END.
  std::optional<Update<S>> values{};
  /// The node the values come from: a node name, sg::START, sg::AS_INPUT, sg::AS_COPY or sg::END.
  /// May be left empty only when it is the superstep's single update (it is then inferred; see
  /// CompiledGraph::update_state).
  std::optional<std::string> as_node{};
  /// When set, the update's writes are also saved as the pending writes of this task id on the
  /// checkpoint the update starts from, so that checkpoint's history shows the task with this
  /// result (LangGraph's `task_id`).
  std::optional<std::string> task_id{};
};

}  // namespace sg
