// get_state / get_state_history: a thread's checkpoints as snapshots, with the tasks that would
// run next (LangGraph: pregel/main.py Pregel.get_state / get_state_history /
// _prepare_state_snapshot).

#include <algorithm>

#include "loop_state.hpp"
#include "saved_writes.hpp"
#include "stategraph/checkpoint/format.hpp"
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
  const SavedWrites saved(tuple.pending_writes);
  auto load = [&](LoopState& state) {
    state.load(tuple.checkpoint);
    saved.apply_null_writes(state);  // a Command input's writes, as the run that resumes applies them
  };
  LoopState state(e);
  load(state);
  const auto& md = tuple.metadata;
  auto step_it = md.is_object() ? md.find(format::kStepKey) : md.end();
  const std::int64_t step =
      (step_it != md.end() && step_it->is_number_integer() ? step_it->get<std::int64_t>() : std::int64_t{-1}) + 1;
  auto tasks = state.plan(tuple.checkpoint.id, tuple.config.checkpoint_ns, step, nullptr);
  saved.attach(tasks, state, SavedWrites::Use::show);

  RawSnapshot s;
  bool applied = false;  // the finished tasks' writes are in `state`
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
        load(state);
        for (auto* t : done) {
          t->has_result = false;
          t->error_text = ex.what();
        }
      }
    }
  }
  // LangGraph's order (prepare_next_tasks): Send tasks first, by index, then the others by node
  // name; `next` lists one entry per task still to run, so three Sends to one node are three.
  std::stable_partition(tasks.begin(), tasks.end(), [](const Task& t) { return t.push; });
  for (auto& t : tasks) {
    if (!(applied && t.has_result)) s.next.push_back(e.nodes[t.node].name);
    TaskInfo info;
    info.id = t.id;
    info.name = e.nodes[t.node].name;
    info.error = t.error_text;
    info.interrupts = t.interrupts;
    info.has_result = t.has_result;
    if (t.has_result) info.result = state.updates_json(t.writes);
    s.interrupts.insert(s.interrupts.end(), t.interrupts.begin(), t.interrupts.end());
    s.tasks.push_back(std::move(info));
  }
  s.needs_resume = !tasks.empty();
  s.values = std::move(state).take_state();
  // The static interrupt the run paused at (interrupt_before/after), as its RunResult showed it.
  s.interrupts.insert(s.interrupts.end(), saved.null_interrupts().begin(), saved.null_interrupts().end());
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
