// get_state / get_state_history: a thread's checkpoints as snapshots, with the tasks that would
// run next (LangGraph: pregel/main.py Pregel.get_state / get_state_history /
// _prepare_state_snapshot).

#include <algorithm>

#include "history_decoder.hpp"
#include "loop_state.hpp"
#include "saved_writes.hpp"
#include "stategraph/checkpoint/format.hpp"
#include "stategraph/errors.hpp"
#include "subgraph_run.hpp"

namespace sg::detail {

namespace {

void require_saver(const Engine& e, const RunConfig& config) {
  if (!e.saver)
    throw ConfigError(ErrorId::run_no_checkpointer, "get_state/get_state_history need a checkpointer; compile with "
                                    "CompileOptions::checkpointer");
  if (config.thread_id.empty())
    throw ConfigError(ErrorId::run_missing_thread_id, "get_state/get_state_history need RunConfig::thread_id");
}

/// Where a snapshot's state comes from besides the tuple's values (both optional).
struct Source {
  /// The thread's state kept by the graph (StateCache), equal to the tuple's checkpoint loaded:
  /// the tuple may then be read without values.
  const LoopState* cached = nullptr;
  /// get_state_history: decodes the lists from the previous checkpoint's (see HistoryDecoder).
  HistoryDecoder* history = nullptr;
};

RawSnapshot snapshot(const Engine& e, BaseCheckpointSaver& saver, const CheckpointTuple& tuple, bool apply_pending,
                     bool subgraphs, Source source = {});

/// A snapshot as JSON (TaskInfo::subgraph_state).
nlohmann::json snapshot_json(const Engine& e, const RawSnapshot& s) {
  nlohmann::json values = nlohmann::json::object();
  for (const auto& f : e.state->fields) values[f.name] = f.encode(s.values.get());
  auto interrupts_json = [](const std::vector<Interrupt>& list) {
    nlohmann::json a = nlohmann::json::array();
    for (const auto& i : list) a.push_back({{"id", i.id}, {"value", i.value}, {"node", i.node}, {"when", i.when}});
    return a;
  };
  nlohmann::json tasks = nlohmann::json::array();
  for (const auto& t : s.tasks)
    tasks.push_back({{"id", t.id},
                     {"name", t.name},
                     {"error", t.error ? nlohmann::json(*t.error) : nlohmann::json()},
                     {"interrupts", interrupts_json(t.interrupts)},
                     {"has_result", t.has_result},
                     {"subgraph_state", t.subgraph_state}});
  return {{"values", std::move(values)},
          {"next", s.next},
          {"config",
           {{"thread_id", s.config.thread_id},
            {"checkpoint_ns", s.config.checkpoint_ns},
            {"checkpoint_id", s.config.checkpoint_id.value_or("")}}},
          {"metadata", s.metadata},
          {"created_at", s.created_at},
          {"interrupts", interrupts_json(s.interrupts)},
          {"tasks", std::move(tasks)}};
}

/// The subgraph run of a pending task at checkpoint `tuple`, when it has checkpoints written for
/// this step (metadata parents[ns] is the checkpoint): its config, and its snapshot with
/// `subgraphs` when the node's subgraph is known (add_node with a CompiledGraph).
void attach_subgraph(const Engine& e, BaseCheckpointSaver& saver, const CheckpointTuple& tuple, const Task& t,
                     TaskInfo& info, bool subgraphs) {
  const NodeInfo& node = e.nodes[t.node];
  if (!node.subgraph && t.interrupts.empty() && !t.error_text) return;  // no subgraph may have run
  const bool stateful = node.subgraph && node.subgraph->subgraph_checkpoints == SubgraphCheckpoints::stateful;
  const std::string& ns = tuple.config.checkpoint_ns;
  auto child = saver.get_tuple(
      {tuple.config.thread_id, format::child_namespace(ns, node.name, stateful ? std::string() : t.id), std::nullopt});
  if (!child) return;
  auto p = child->metadata.find(format::kParentsKey);
  if (p == child->metadata.end() || !p->is_object() || p->value(ns, std::string()) != tuple.checkpoint.id) return;
  info.subgraph_config = child->config;
  if (subgraphs && node.subgraph)
    info.subgraph_state = snapshot_json(*node.subgraph, snapshot(*node.subgraph, saver, *child, true, true));
}

/// `apply_pending`: fold the writes of tasks that finished into values/next (the latest state as
/// a caller sees it); otherwise show the checkpoint as stored. `subgraphs`: nest the snapshots
/// of pending tasks' subgraphs.
RawSnapshot snapshot(const Engine& e, BaseCheckpointSaver& saver, const CheckpointTuple& tuple, bool apply_pending,
                     bool subgraphs, Source source) {
  const SavedWrites saved(tuple.pending_writes);
  auto load = [&](LoopState& state) {
    if (source.cached != nullptr) {
      state = *source.cached;  // shares the state, copied on write
    } else if (auto preset = source.history ? source.history->preset(tuple.checkpoint) : std::nullopt) {
      state.load(tuple.checkpoint, std::move(preset->state), preset->decoded);
    } else {
      state.load(tuple.checkpoint);
    }
    if (source.history != nullptr) {
      source.history->loaded(tuple.checkpoint, state.share_state());
      source.history = nullptr;  // a second load (see below) decodes in full
    }
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
        std::vector<std::uint32_t> updated;
        state.apply(done, step, updated);
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
    else attach_subgraph(e, saver, tuple, t, info, subgraphs);
    s.interrupts.insert(s.interrupts.end(), t.interrupts.begin(), t.interrupts.end());
    s.tasks.push_back(std::move(info));
  }
  s.needs_resume = !tasks.empty();
  s.values = std::move(state).take_state();
  // The caller moves the value out (CompiledGraph::to_snapshot): it must own it. Shared with the
  // state cache, or with the HistoryDecoder while it decodes the next checkpoint — the history
  // copies that one before the next call, so only the cache's is copied here.
  if (source.cached != nullptr && s.values.use_count() > 1) s.values = e.state->copy(s.values.get());
  // The static interrupt the run paused at (interrupt_before/after), as its RunResult showed it.
  s.interrupts.insert(s.interrupts.end(), saved.null_interrupts().begin(), saved.null_interrupts().end());
  s.config = tuple.config;
  s.metadata = tuple.metadata;
  s.created_at = tuple.checkpoint.ts;
  s.parent_config = tuple.parent_config;
  return s;
}

}  // namespace

std::optional<RawSnapshot> get_state(const Engine& root, const RunConfig& config, RawStateOptions options) {
  require_saver(root, config);
  const Engine& engine = engine_for_namespace(root, config.checkpoint_ns);
  if (!config.checkpoint_id && config.checkpoint_ns.empty() && root.cache->enabled()) {
    // The thread's latest checkpoint, without values: when the graph keeps that state (it ran
    // the thread last), nothing is read or decoded.
    ListOptions latest;
    latest.values = false;
    latest.limit = 1;
    auto light = root.saver->list({config.thread_id, config.checkpoint_ns, std::nullopt}, latest);
    if (light.empty()) return std::nullopt;
    if (auto cached = root.cache->peek(config.thread_id + '\0' + config.checkpoint_ns, light.front().checkpoint.id))
      return snapshot(engine, *root.saver, light.front(), true, options.subgraphs, {cached.get(), nullptr});
  }
  auto tuple = root.saver->get_tuple({config.thread_id, config.checkpoint_ns, config.checkpoint_id});
  if (!tuple) return std::nullopt;
  return snapshot(engine, *root.saver, *tuple, !config.checkpoint_id.has_value(), options.subgraphs);
}

std::vector<RawSnapshot> get_state_history(const Engine& root, const RunConfig& config,
                                           const ListOptions& options) {
  require_saver(root, config);
  const Engine& engine = engine_for_namespace(root, config.checkpoint_ns);
  HistoryDecoder history(engine);
  const bool relative = options.values && history.useful();
  ListOptions list_options = options;
  list_options.deltas = relative;  // the saver may give each list as a change to the older one's
  auto tuples = root.saver->list({config.thread_id, config.checkpoint_ns, config.checkpoint_id}, list_options);
  std::vector<RawSnapshot> out(tuples.size());
  if (!relative) {
    for (std::size_t i = 0; i < tuples.size(); ++i) out[i] = snapshot(engine, *root.saver, tuples[i], false, false);
    return out;
  }
  // Oldest first, each list decoded from the one before (tuples are newest first).
  for (std::size_t i = tuples.size(); i-- > 0;) {
    history.complete(tuples[i].checkpoint);
    out[i] = snapshot(engine, *root.saver, tuples[i], false, false, {nullptr, &history});
  }
  return out;
}

}  // namespace sg::detail
