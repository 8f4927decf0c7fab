// get_state / get_state_history: a thread's checkpoints as snapshots, with the tasks that would
// run next (LangGraph: pregel/main.py Pregel.get_state / get_state_history /
// _prepare_state_snapshot).

#include <algorithm>

#include "loop_state.hpp"
#include "stategraph/errors.hpp"

namespace sg::detail {

namespace {

void require_saver(const Engine& e, const RunConfig& config) {
  if (!e.saver)
    throw ConfigError("sg.run.308", "get_state/get_state_history need a checkpointer; compile with "
                                    "CompileOptions::checkpointer");
  if (config.thread_id.empty())
    throw ConfigError("sg.run.303", "get_state/get_state_history need RunConfig::thread_id");
}

/// `apply_pending`: fold the writes of tasks that finished into values/next (the latest state as
/// a caller sees it); otherwise show the checkpoint as stored.
RawSnapshot snapshot(const Engine& e, const CheckpointTuple& tuple, bool apply_pending) {
  LoopState state(e);
  state.load(tuple.checkpoint);
  std::int64_t step = tuple.metadata.value("step", std::int64_t{-1}) + 1;
  auto tasks = state.plan(tuple.checkpoint.id, tuple.config.checkpoint_ns, step, nullptr);

  for (auto& t : tasks) {
    for (const auto& w : tuple.pending_writes) {
      if (w.task_id != t.id) continue;
      if (w.channel == "__error__") {
        t.error_text = w.value.value("message", std::string("failed"));
      } else if (w.channel == "__interrupt__") {
        for (const auto& i : w.value)
          t.interrupts.push_back({i.value("id", ""), i.value("value", nlohmann::json()), i.value("node", ""),
                                  i.value("when", "during")});
      } else if (w.channel == "__no_writes__") {
        t.has_result = true;
      } else if (w.channel != "__resume__") {
        t.has_result = true;
        t.writes.push_back(state.decode_write(w));
      }
    }
  }

  RawSnapshot s;
  bool applied = false;
  if (apply_pending) {
    std::vector<Task*> done;
    for (auto& t : tasks)
      if (t.has_result) done.push_back(&t);
    if (!done.empty()) {
      // Writes that cannot be applied (the reducer rejected them: the run failed on them) are
      // not shown; the snapshot is the checkpoint as stored, with the error on those tasks.
      try {
        state.apply(done, step);
        applied = true;
      } catch (const InvalidUpdate& ex) {
        state = LoopState(e);  // apply may have changed part of it: back to the stored checkpoint
        state.load(tuple.checkpoint);
        for (auto* t : done) {
          t->has_result = false;
          t->error_text = ex.what();
        }
      }
    }
  }
  apply_pending = applied;
  s.values = std::move(state).take_state();
  for (const auto& t : tasks) {
    if (apply_pending && t.has_result) continue;
    s.next.push_back(e.nodes[t.node].name);
  }
  std::sort(s.next.begin(), s.next.end());
  s.next.erase(std::unique(s.next.begin(), s.next.end()), s.next.end());
  for (auto& t : tasks) {
    TaskInfo info;
    info.id = t.id;
    info.name = e.nodes[t.node].name;
    info.error = t.error_text;
    info.interrupts = t.interrupts;
    info.has_result = t.has_result;
    s.interrupts.insert(s.interrupts.end(), t.interrupts.begin(), t.interrupts.end());
    s.tasks.push_back(std::move(info));
  }
  s.config = tuple.config;
  s.metadata = tuple.metadata;
  s.created_at = tuple.checkpoint.ts;
  s.parent_config = tuple.parent_config;
  return s;
}

}  // namespace

std::optional<RawSnapshot> get_state(const Engine& engine, const RunConfig& config) {
  require_saver(engine, config);
  auto tuple = engine.saver->get_tuple({config.thread_id, config.checkpoint_ns, config.checkpoint_id});
  if (!tuple) return std::nullopt;
  return snapshot(engine, *tuple, !config.checkpoint_id.has_value());
}

std::vector<RawSnapshot> get_state_history(const Engine& engine, const RunConfig& config,
                                           const ListOptions& options) {
  require_saver(engine, config);
  std::vector<RawSnapshot> out;
  for (const auto& tuple : engine.saver->list({config.thread_id, config.checkpoint_ns, config.checkpoint_id}, options))
    out.push_back(snapshot(engine, tuple, false));
  return out;
}

}  // namespace sg::detail
