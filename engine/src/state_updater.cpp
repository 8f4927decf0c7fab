// update_state / bulk_update_state: write to a thread's state as if a node had returned the
// values, and save the result as a new checkpoint (LangGraph: pregel/main.py
// Pregel.bulk_update_state; semantics reference §6 "State API").
//
// Each superstep of updates loads (or continues from) a base checkpoint, turns every update into
// a task of its as_node whose writes are the values followed by the node's writers (static edges,
// joins, conditional edges evaluated on the updated state), applies those tasks as one step
// through the reducers, and stores a checkpoint whose parent is the base. Specials: "__input__"
// (a new input), "__copy__" (a sibling copy of the base), END with no values (the base's pending
// tasks are consumed).

#include <algorithm>
#include <functional>
#include <utility>

#include "checkpoint_writer.hpp"
#include "engine_impl.hpp"
#include "loop_state.hpp"
#include "node_writers.hpp"
#include "saved_writes.hpp"
#include "subgraph_run.hpp"
#include "stategraph/checkpoint/format.hpp"
#include "stategraph/constants.hpp"
#include "stategraph/errors.hpp"
#include "task_scope.hpp"

namespace sg::detail {

namespace {

[[noreturn]] void invalid(const std::string& message) { throw InvalidUpdate(ErrorId::update_state_invalid, message); }

std::string node_names(const Engine& e) {
  std::string s;
  for (auto n : e.nodes_by_name) s += (s.empty() ? "" : ", ") + ("\"" + e.nodes[n].name + "\"");
  return s;
}

/// Shape checks that need no state: done before the thread is locked or anything is read.
void validate(const Engine& e, const std::vector<std::vector<RawStateUpdate>>& supersteps) {
  if (supersteps.empty())
    invalid("bulk_update_state was given no supersteps; pass at least one superstep holding one update");
  for (std::size_t i = 0; i < supersteps.size(); ++i) {
    const auto& updates = supersteps[i];
    const std::string where = "superstep " + std::to_string(i) + " of the update";
    if (updates.empty()) invalid(where + " holds no updates; every superstep needs at least one");
    for (std::size_t j = 0; j < updates.size(); ++j) {
      const RawStateUpdate& u = updates[j];
      if (!u.as_node) {
        if (updates.size() > 1)
          invalid(where + " holds " + std::to_string(updates.size()) +
                  " updates, so each needs as_node (the node it is written as)");
        continue;
      }
      const std::string& n = *u.as_node;
      if (n == END) {
        if (u.values)
          invalid("as_node END clears the pending tasks and takes no values (pass std::nullopt); to write values, "
                  "name the node they come from");
        if (updates.size() > 1) invalid(where + ": as_node END cannot be combined with other updates in one superstep");
      } else if (n == AS_INPUT) {
        if (!u.values) invalid("as_node \"__input__\" needs values (the input); pass an empty sg::Update for none");
        if (updates.size() > 1)
          invalid(where + ": as_node \"__input__\" cannot be combined with other updates in one superstep");
      } else if (n == AS_COPY) {
        if (u.values)
          invalid("as_node \"__copy__\" copies the checkpoint and takes no values; to copy and update at once, pass "
                  "the superstep {{std::nullopt, \"__copy__\"}, {values, \"node\"}, ...} to bulk_update_state");
        if (j != 0) invalid(where + ": \"__copy__\" must be the superstep's first update (the others apply to the copy)");
      } else if (!e.find_node(n)) {
        throw InvalidUpdate(ErrorId::update_state_unknown_as_node, "update_state: as_node \"" + n + "\" is not a node of this graph (nodes: " +
                                                 node_names(e) + "; or \"__start__\", \"__input__\", \"__copy__\", END)");
      }
    }
  }
}

class Updater {
 public:
  Updater(const Engine& e, BaseCheckpointSaver& saver, const RunConfig& config)
      : e_(e), saver_(saver), config_(config), state_(e) {
    shared_.engine = &e;
    shared_.config = &config;
    shared_.saver = &saver;
  }

  /// Loads the checkpoint the update starts from: config.checkpoint_id, else the thread's latest
  /// (from the graph's state cache when it holds that one and `may_use_cache`).
  void load(bool may_use_cache) {
    const CheckpointConfig latest_of{config_.thread_id, config_.checkpoint_ns, std::nullopt};
    if (!config_.checkpoint_id && may_use_cache && e_.cache->enabled()) {
      if (auto latest = saver_.latest_checkpoint_id(latest_of))
        if (auto hit = e_.cache->take(cache_key(), *latest)) {
          state_ = std::move(*hit->state);
          base_ = hit->config;
          loaded_id_ = hit->checkpoint_id;
          step_ = hit->step;
          return;
        }
    }
    auto tuple = saver_.get_tuple({config_.thread_id, config_.checkpoint_ns, config_.checkpoint_id});
    if (config_.checkpoint_id && !tuple)
      throw ConfigError(ErrorId::run_unknown_checkpoint, "update_state: thread \"" + config_.thread_id + "\" has no checkpoint \"" +
                                          *config_.checkpoint_id + "\"");
    if (!tuple) return;  // a thread without checkpoints: the update starts from the defaults
    state_.load(tuple->checkpoint);
    state_.load_delta_chains(tuple->checkpoint.delta_chains);
    base_ = tuple->config;
    loaded_id_ = tuple->checkpoint.id;
    base_parent_ = tuple->parent_config;
    if (auto p = tuple->metadata.find(format::kParentsKey); p != tuple->metadata.end() && p->is_object()) parents_ = *p;
    // A subgraph whose parent takes its nodes' writes: this update's writes are such writes.
    collects_ = tuple->metadata.contains(format::kWritesKey);
    if (auto s = tuple->metadata.find(format::kStepKey); s != tuple->metadata.end() && s->is_number_integer())
      step_ = s->get<std::int64_t>();
    saved_ = SavedWrites(tuple->pending_writes);
  }

  void perform(std::vector<RawStateUpdate> updates, bool first) {
    // Pending writes belong to the loaded checkpoint; later supersteps start from fresh ones.
    const SavedWrites saved = first ? std::move(saved_) : SavedWrites{};
    const auto& as_node = updates.front().as_node;
    // What a Command input left at the base is part of its state, as get_state and a resumed run
    // see it; a copy copies the checkpoint as stored.
    if (as_node != AS_COPY) saved.apply_null_writes(state_);
    if (as_node == END) {
      fold_pending(saved, /*all=*/true);
      save(format::CheckpointSource::update, step_ + 1, false);
      return;
    }
    if (as_node == AS_INPUT) {
      // As invoke(input) does: the base's unfinished tasks are dropped, the input waits in
      // the input channel for the next run.
      if (base_) state_.discard(state_.plan(*base_->checkpoint_id, config_.checkpoint_ns, step_ + 1, nullptr));
      state_.set_input(std::move(*updates.front().values));
      save(format::CheckpointSource::input, base_ ? step_ + 1 : -1, false);
      return;
    }
    if (as_node == AS_COPY) {
      if (!base_) invalid("as_node \"__copy__\": thread \"" + config_.thread_id + "\" has no checkpoint to copy");
      save(format::CheckpointSource::fork, step_ + 1, true);  // pending writes of the copied checkpoint are not carried over
      updates.erase(updates.begin());
      if (updates.empty()) return;
      // Copy and update in one go: each update takes the id of the copy's next task of its node
      // (in order), so the copy's history shows those tasks with these results.
      auto next = state_.plan(*base_->checkpoint_id, config_.checkpoint_ns, step_ + 1, nullptr);
      for (auto& u : updates) {
        if (u.task_id) continue;
        auto it = std::find_if(next.begin(), next.end(),
                               [&](const Task& t) { return !t.id.empty() && e_.nodes[t.node].name == *u.as_node; });
        if (it == next.end()) continue;
        u.task_id = std::move(it->id);
        it->id.clear();
      }
    } else if (!config_.checkpoint_id) {
      fold_pending(saved, /*all=*/false);  // the latest state, as get_state shows it
    }
    write_as_nodes(std::move(updates));
  }

  /// Stores what the supersteps produced, in order. Until now nothing was written, so an update
  /// that fails in any superstep leaves the thread as it was.
  void write() {
    for (auto& w : writes_) w();
    writes_.clear();
  }

  /// The graph keeps the state for the thread's next run (it is the latest checkpoint: the
  /// thread is locked and the update's checkpoints are the newest).
  void keep_in_cache() {
    if (!e_.cache->enabled() || !base_) return;
    e_.cache->put(cache_key(), CachedState{*base_->checkpoint_id, *base_, step_, std::make_shared<LoopState>(std::move(state_))});
  }

  [[nodiscard]] CheckpointConfig result() const {
    return base_ ? *base_ : CheckpointConfig{config_.thread_id, config_.checkpoint_ns, std::nullopt};
  }

 private:
  std::string cache_key() const { return config_.thread_id + '\0' + config_.checkpoint_ns; }

  /// Applies the saved writes of the base's next tasks as a step. With `all`, tasks without saved
  /// results are consumed too, so nothing is left to run.
  void fold_pending(const SavedWrites& saved, bool all) {
    if (!base_ || (saved.empty() && !all)) return;
    auto tasks = state_.plan(*base_->checkpoint_id, config_.checkpoint_ns, step_ + 1, nullptr);
    saved.attach(tasks, state_, SavedWrites::Use::run);
    std::vector<Task*> done;
    for (auto& t : tasks)
      if (all || t.has_result) done.push_back(&t);
    if (done.empty()) return;
    std::vector<std::uint32_t> updated;
    state_.apply(done, step_ + 1, updated);
    for (auto* t : done) {
      folded_.push_back(t->node);
      record_writes(*t);
    }
  }

  /// Keeps a task's field writes for the next checkpoint's metadata "writes" (see collects_).
  void record_writes(const Task& t) {
    if (!collects_) return;
    for (const auto& w : t.writes) {
      if (w.kind != WriteKind::value && w.kind != WriteKind::overwrite) continue;
      PendingWrite pw = state_.encode_write(t.id, w);
      step_writes_.push_back(nlohmann::json::array({std::move(pw.channel), std::move(pw.value)}));
    }
  }

  /// update_state's default as_node (LangGraph: the node with the newest versions_seen entry):
  /// the node of the latest step that ran nodes. Our checkpoints keep versions_seen only for
  /// triggers still live, so that step is found by walking back from the loaded checkpoint:
  /// updates and inputs are passed over (they leave versions_seen as it was), a copy leads to
  /// what it copied, and a loop checkpoint's step ran the tasks its parent planned.
  std::uint32_t infer_node() const {
    if (e_.nodes.size() == 2) return 1;  // the graph's only node
    if (!folded_.empty()) return only_node(folded_);
    std::optional<std::string> id = loaded_id_;
    for (int hops = 0; id && hops < 10000; ++hops) {
      auto t = saver_.get_tuple({config_.thread_id, config_.checkpoint_ns, id});
      if (!t) break;
      const std::string source = t->metadata.is_object() ? t->metadata.value(format::kSourceKey, "") : "";
      if (source == format::to_string(format::CheckpointSource::loop)) {
        if (!t->parent_config) break;
        auto p = saver_.get_tuple(*t->parent_config);
        if (!p) break;
        LoopState s(e_);
        s.load(p->checkpoint);
        const std::int64_t step = p->metadata.is_object() ? p->metadata.value(format::kStepKey, std::int64_t{-1}) : -1;
        std::vector<std::uint32_t> ran;
        for (const auto& task : s.plan(p->checkpoint.id, config_.checkpoint_ns, step + 1, nullptr))
          ran.push_back(task.node);
        if (!ran.empty()) return only_node(ran);
        break;
      }
      auto copy_of = t->metadata.is_object() ? t->metadata.find(format::kCopyOfKey) : t->metadata.end();
      if (source == format::to_string(format::CheckpointSource::fork) && copy_of != t->metadata.end() && copy_of->is_string()) {
        id = copy_of->get<std::string>();
      } else if (t->parent_config) {
        id = t->parent_config->checkpoint_id;
      } else {
        break;
      }
    }
    return kStartNode;  // no node ran yet: the values come in as START's (as LangGraph)
  }

  std::uint32_t only_node(std::vector<std::uint32_t> nodes) const {
    std::sort(nodes.begin(), nodes.end());
    nodes.erase(std::unique(nodes.begin(), nodes.end()), nodes.end());
    if (nodes.size() == 1) return nodes.front();
    std::string names;
    for (auto n : nodes) names += (names.empty() ? "\"" : ", \"") + e_.nodes[n].name + "\"";
    throw InvalidUpdate(ErrorId::update_state_ambiguous_as_node, "update_state cannot tell which node the update is from: " + names +
                                             " ran last, in the same step; pass as_node");
  }

  void write_as_nodes(std::vector<RawStateUpdate> updates) {
    const std::int64_t step = step_ + 1;
    std::vector<Task> tasks(updates.size());
    std::vector<bool> explicit_id(updates.size(), false);
    for (std::size_t i = 0; i < updates.size(); ++i) {
      RawStateUpdate& u = updates[i];
      Task& t = tasks[i];
      t.node = u.as_node ? *e_.find_node(*u.as_node) : infer_node();
      explicit_id[i] = u.task_id.has_value();
      t.id = u.task_id ? std::move(*u.task_id)
                       : task_id(base_ ? *base_->checkpoint_id : "", config_.checkpoint_ns, step, e_.nodes[t.node].name,
                                 false, "__update__:" + std::to_string(i));
      TaskScope scope{&shared_, &t, step, 1, 0};
      RunContext ctx(scope);
      NodeOutput out;
      if (u.values) out.writes = std::move(*u.values);
      t.writes = node_writes(e_, state_, t.node, std::move(out), ctx);
    }
    std::vector<Task*> order;
    for (auto& t : tasks) order.push_back(&t);
    std::vector<std::uint32_t> updated;
    state_.apply(order, step, updated);
    for (const auto& t : tasks) record_writes(t);
    // Updates with a task id are also the base's pending writes of that task (LangGraph saves
    // them under a synthetic id that no task has when none is given; they are never read, so
    // we do not store them).
    if (base_) {
      for (std::size_t i = 0; i < tasks.size(); ++i) {
        if (!explicit_id[i]) continue;
        std::vector<PendingWrite> pw;
        for (const auto& w : tasks[i].writes) pw.push_back(state_.encode_write(tasks[i].id, w));
        if (pw.empty()) pw.push_back({tasks[i].id, std::string(format::kNoWritesWrite), nullptr});
        writes_.push_back([this, cfg = *base_, pw = std::move(pw), id = tasks[i].id] { saver_.put_writes(cfg, pw, id); });
      }
    }
    save(format::CheckpointSource::update, step, false);
  }

  /// Stores the state as a checkpoint: a child of the base, or with `fork` a sibling of it (a
  /// child of the base's parent).
  void save(format::CheckpointSource source, std::int64_t step, bool fork) {
    ChannelVersions nv;
    Checkpoint cp = state_.checkpoint(nv);
    state_.put_delta_chains(cp);
    CheckpointMetadata md = config_.metadata.is_object() ? config_.metadata : nlohmann::json::object();
    md[format::kSourceKey] = format::to_string(source);
    md[format::kStepKey] = step;
    md[format::kParentsKey] = parents_;
    if (fork) md[format::kCopyOfKey] = *base_->checkpoint_id;
    if (collects_) md[format::kWritesKey] = std::exchange(step_writes_, nlohmann::json::array());
    std::optional<CheckpointConfig> parent = fork ? base_parent_ : base_;
    CheckpointConfig stored{config_.thread_id, config_.checkpoint_ns, cp.id};
    writes_.push_back([this, to = parent ? *parent : CheckpointConfig{config_.thread_id, config_.checkpoint_ns, std::nullopt},
                       cp = std::move(cp), md = std::move(md), nv = std::move(nv)] { saver_.put(to, cp, md, nv); });
    base_parent_ = std::move(parent);
    base_ = std::move(stored);
    step_ = step;
  }

  bool collects_ = false;  // the base is a subgraph's checkpoint that records its nodes' writes
  nlohmann::json step_writes_ = nlohmann::json::array();
  const Engine& e_;
  BaseCheckpointSaver& saver_;
  const RunConfig& config_;
  LoopState state_;
  RunShared shared_;
  std::optional<CheckpointConfig> base_;         // the checkpoint the next superstep starts from
  std::optional<CheckpointConfig> base_parent_;  // its parent
  nlohmann::json parents_ = nlohmann::json::object();
  std::int64_t step_ = -1;                       // the base's metadata step
  SavedWrites saved_;                            // the loaded checkpoint's pending writes
  std::optional<std::string> loaded_id_;         // the checkpoint loaded (as_node is inferred from it)
  std::vector<std::uint32_t> folded_;            // nodes whose saved results were folded in
  std::vector<std::function<void()>> writes_;    // saver calls, made by write()
};

}  // namespace

CheckpointConfig bulk_update_state(const Engine& root, const RunConfig& config,
                                   std::vector<std::vector<RawStateUpdate>> supersteps) {
  if (!root.saver)
    throw ConfigError(ErrorId::run_no_checkpointer, "update_state/bulk_update_state need a checkpointer; compile with "
                                    "CompileOptions::checkpointer");
  if (config.thread_id.empty()) throw ConfigError(ErrorId::run_missing_thread_id, "update_state/bulk_update_state need RunConfig::thread_id");
  // A subgraph's namespace is updated as that subgraph's nodes would, in the parent's saver.
  const Engine& engine = engine_for_namespace(root, config.checkpoint_ns);
  validate(engine, supersteps);
  auto lock = root.saver->lock_thread(config.thread_id, config.thread_lock_wait);
  Updater updater(engine, *root.saver, config);
  updater.load(supersteps.front().front().as_node != AS_COPY);
  for (std::size_t i = 0; i < supersteps.size(); ++i) updater.perform(std::move(supersteps[i]), i == 0);
  require_held(lock.get());  // a lost lock (its session ended) writes nothing next to its new holder
  updater.write();
  updater.keep_in_cache();
  return updater.result();
}

}  // namespace sg::detail
