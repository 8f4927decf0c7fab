// run(): LangGraph's Pregel loop (pregel/_loop.py PregelLoop, pregel/_runner.py PregelRunner;
// semantics reference §3): load the thread's checkpoint, apply the input, then supersteps of
// plan → execute (parallel) → apply → checkpoint until nothing is triggered.

#include <algorithm>

#include "checkpoint_writer.hpp"
#include "loop_state.hpp"
#include "node_writers.hpp"
#include "saved_writes.hpp"
#include "stategraph/checkpoint/format.hpp"
#include "stategraph/constants.hpp"
#include "stategraph/errors.hpp"
#include "step_runner.hpp"
#include "subgraph_run.hpp"
#include "task_scope.hpp"

namespace sg::detail {

namespace {

void validate_config(const Engine& e, const RunConfig& config, const SubgraphLink* link) {
  if (config.recursion_limit < 1)
    throw ConfigError(ErrorId::run_invalid_option, "recursion_limit must be at least 1 (got " +
                                        std::to_string(config.recursion_limit) + ")");
  if ((link != nullptr ? link->saver != nullptr : e.saver != nullptr) && config.thread_id.empty())
    throw ConfigError(ErrorId::run_missing_thread_id,
                      "this graph has a checkpointer, so every call needs RunConfig::thread_id "
                      "(e.g. {.thread_id = \"user-42\"})");
}

class Loop {
 public:
  /// `link` is set for a subgraph run (see SubgraphLink).
  Loop(const Engine& e, const RunConfig& config, StreamModes modes, const EventSink& sink, const SubgraphLink* link)
      : e_(e), config_(config), link_(link), state_(e), runner_(e, config, shared_, state_, nullptr) {
    shared_.engine = &e;
    shared_.config = &config;
    shared_.sink = &sink;
    shared_.sink_modes = modes;
    shared_.modes = modes;
    shared_.saver = e.saver.get();
    if (link != nullptr) {
      RunShared& parent = *link->parent;
      shared_.parent = &parent;
      shared_.saver = link->saver;
      shared_.parents = link->parents;
      // A subgraph passes its events up only when the stream asked for subgraphs (LangGraph
      // hands the parent's stream to a subgraph only with subgraphs=True; its messages handler
      // drops a subgraph's tokens otherwise).
      shared_.modes.subgraphs = parent.modes.subgraphs;
      if (parent.modes.subgraphs) shared_.forward = parent.modes;
      shared_.modes.bits |= shared_.forward.bits;
    }
    saver_ = shared_.saver;
    if (saver_ != nullptr) {
      writer_.emplace(*saver_, config.durability == Durability::async && !saver_->in_process(), *e.executor);
      runner_.set_writer(&*writer_);
    }
    if (config.interrupt_before) before_override_ = marks(*config.interrupt_before);
    if (config.interrupt_after) after_override_ = marks(*config.interrupt_after);
  }

  RawResult run(RunInput input) {
    try {
      return run_inner(std::move(input));
    } catch (...) {
      // Leave the saver consistent: the last completed step and the failed step's writes.
      try {
        if (config_.durability == Durability::exit) save_exit();
        if (writer_) writer_->flush();
      } catch (...) {
      }
      throw;
    }
  }

 private:
  // ------------------------------------------------------------------ setup
  RawResult run_inner(RunInput input) {
    std::optional<CheckpointTuple> tuple;
    std::int64_t last_step = -2;
    bool cached = false;
    collect_ = input.collect;
    if (saver_ != nullptr) {
      // A subgraph runs under the lock of the run that started it (the thread's only writer).
      if (link_ == nullptr) thread_lock_ = saver_->lock_thread(config_.thread_id, config_.thread_lock_wait);
      shared_.thread_lock = thread_lock_.get();
      writer_->set_lock(shared_.root().thread_lock);  // each write first checks it is still held
      // A new input on a thread this graph ran last: reuse the state it kept, if the saver's
      // latest checkpoint is still the one it wrote.
      if (input.kind == RunInput::Kind::writes && !config_.checkpoint_id && e_.cache->enabled() && link_ == nullptr) {
        if (auto latest = saver_->latest_checkpoint_id({config_.thread_id, config_.checkpoint_ns, std::nullopt}))
          if (auto hit = e_.cache->take(cache_key(), *latest)) {
            state_ = std::move(*hit->state);
            checkpoint_id_ = hit->checkpoint_id;
            parent_ = hit->config;
            last_step = hit->step;
            cached = true;
          }
      }
      if (!cached) tuple = saver_->get_tuple({config_.thread_id, config_.checkpoint_ns, config_.checkpoint_id});
      if (link_ != nullptr && tuple && same_invocation(tuple->metadata)) {
        // The parent runs again the task that ran this subgraph (it paused, failed or crashed):
        // continue where the subgraph stopped instead of starting over (LangGraph: a resuming
        // parent resumes its subgraphs).
        input = RunInput{};
        recollect();
      }
    }
    if (config_.checkpoint_id && !tuple)
      throw ConfigError(ErrorId::run_unknown_checkpoint, "thread \"" + config_.thread_id + "\" has no checkpoint \"" +
                                          *config_.checkpoint_id + "\"");
    if (tuple) {
      state_.load(tuple->checkpoint);
      state_.load_delta_chains(tuple->checkpoint.delta_chains);
      checkpoint_id_ = tuple->checkpoint.id;
      parent_ = tuple->config;
      if (auto s = tuple->metadata.find(format::kStepKey); s != tuple->metadata.end() && s->is_number_integer())
        last_step = s->get<std::int64_t>();
      saved_ = SavedWrites(tuple->pending_writes);
      // What a Command input left at this checkpoint (LangGraph applies the null task's writes on
      // every run start, before the input or the resume).
      saved_.apply_null_writes(state_);
    }
    step_ = last_step + 1;
    stop_ = step_ + config_.recursion_limit + 1;
    const bool replay = config_.checkpoint_id.has_value();
    std::vector<std::uint32_t> updated;
    const std::vector<std::uint32_t>* plan_from = nullptr;  // all nodes

    if (input.kind == RunInput::Kind::writes) {
      input_run_ = true;
      if (tuple || cached) state_.discard(state_.plan(checkpoint_id_, config_.checkpoint_ns, step_, nullptr));
      updated.push_back(state_.set_input(std::move(input.writes)));
      plan_from = &updated;
      save_checkpoint(format::CheckpointSource::input);
      emit_values(updated);
    } else {
      if (!tuple)
        throw ConfigError(ErrorId::run_nothing_to_resume, saver_ != nullptr ? "thread \"" + config_.thread_id +
                                                       "\" has no checkpoint to resume; pass an input"
                                                 : "no input was given and the graph has no checkpointer to resume "
                                                   "from; pass an input");
      if (!replay) {
        attach_saved_ = true;
        shared_.null_resume = saved_.null_resume();
      }
      if (replay) {
        // Time travel: the run continues on a new branch whose root is a copy of that checkpoint,
        // numbered like the step it starts (LangGraph: _first saves the fork at metadata step + 1
        // and the loop goes on one later; update_state AS_COPY numbers its copy the same way).
        state_.mark_all_dirty();
        save_checkpoint(format::CheckpointSource::fork);
      }
      if (input.kind == RunInput::Kind::command) apply_command(std::move(input));
      // Resuming continues past the interrupt it stopped at, even when a Command changed the
      // state (LangGraph marks them seen before applying the Command's writes, which pauses again).
      state_.mark_interrupts_seen();
      // A run without new input streams the state it starts from once (semantics reference §6,
      // stream mode values: "once on resume").
      emit_current_values();
    }

    for (;;) {
      if (config_.cancel.cancelled()) throw Cancelled(step_);
      // LangGraph checks the limit before planning: a run needing more than recursion_limit
      // supersteps runs limit+1 of them and then fails (semantics reference §3.3).
      if (step_ > stop_) throw GraphRecursionError(config_.recursion_limit, last_nodes_);
      auto tasks = state_.plan(checkpoint_id_, config_.checkpoint_ns, step_, plan_from);
      if (tasks.empty()) break;
      attach_saved(tasks);

      const auto& before = config_.interrupt_before ? before_override_ : e_.interrupt_before;
      if (state_.should_interrupt(before, tasks)) return paused(static_interrupts(tasks, before, "before"));

      runner_.emit_cached(tasks, step_);
      shared_.step_checkpoint_id = checkpoint_id_;
      runner_.run(tasks, step_, current_config());
      try {
        if (auto r = after_execute(tasks)) return std::move(*r);

        order_.clear();
        for (auto& t : tasks) order_.push_back(&t);
        state_.apply(order_, step_, updated);
        collect(tasks);
        plan_from = &updated;
        last_nodes_.clear();
        for (const auto& t : tasks)
          if (t.node != kStartNode) last_nodes_.push_back(e_.nodes[t.node].name);
        emit_values(updated);
        save_checkpoint(format::CheckpointSource::loop, &tasks);  // stored last: nothing after it throws
      } catch (...) {
        // The step ends without the checkpoint that applies its tasks' writes: they are kept as
        // pending writes (deferred by the runner under async; see StepRunner).
        runner_.save_unsaved(tasks);
        throw;
      }

      const auto& after = config_.interrupt_after ? after_override_ : e_.interrupt_after;
      if (state_.should_interrupt(after, tasks)) {
        ++step_;
        return paused(static_interrupts(tasks, after, "after"));
      }
      ++step_;
    }
    RawResult r = finish({});
    if (saver_ != nullptr && e_.cache->enabled() && link_ == nullptr && !checkpoint_id_.empty()) {
      // Keep the state for the next run on this thread (a clean finish has no pending writes).
      // No saved step when this run saved no checkpoint (resumed with nothing left to run).
      const std::int64_t step = saved_step_.value_or(step_ - 1);
      e_.cache->put(cache_key(), CachedState{checkpoint_id_, current_config(), step,
                                             std::make_shared<LoopState>(std::move(state_))});
    }
    return r;
  }

  std::string cache_key() const { return config_.thread_id + '\0' + config_.checkpoint_ns; }

  std::vector<bool> marks(const std::vector<std::string>& names) {
    std::vector<std::string> unknown;
    auto m = e_.node_marks(names, &unknown);
    if (!unknown.empty())
      throw ConfigError(ErrorId::run_invalid_option, "interrupt_before/after names unknown node \"" + unknown.front() + "\"");
    return m;
  }

  // ------------------------------------------------------------------ pending writes
  /// The first step of a resumed run: tasks whose outcome was saved take it (those that finished
  /// do not run again). Later steps plan from a checkpoint of their own, with nothing saved.
  void attach_saved(std::vector<Task>& tasks) {
    if (!attach_saved_) return;
    attach_saved_ = false;
    saved_.attach(tasks, state_, SavedWrites::Use::run);
  }

  void apply_command(RunInput in) {
    if (in.resume || !in.resume_map.empty()) check_resume(in);
    if (in.resume) shared_.null_resume = std::move(in.resume);
    shared_.resume_map = std::move(in.resume_map);
    std::vector<ErasedWrite> writes = std::move(in.writes);
    for (const auto& g : in.goto_) {
      if (g == END) continue;
      auto idx = e_.find_node(g);
      if (!idx || *idx == kStartNode)
        throw InvalidUpdate(ErrorId::update_goto_unknown_node, "Command goto names unknown node \"" + g + "\"");
      writes.push_back({e_.branch_channel[*idx], WriteKind::trigger, 0, nullptr});
    }
    for (auto& s : in.sends) writes.push_back(send_write(e_, std::move(s), "Command input"));
    if (writer_) {  // under durability exit, held until the run ends (StepRunner::save_writes)
      const std::string null_id(format::kNullTaskId);
      if (!writes.empty()) {
        // Appended to what an earlier Command left at this checkpoint (already applied at load):
        // a saver keeps the first write of a (task, index), so the new ones take the next indices.
        // A replay saved a fork, which holds those in its values and has no writes yet.
        std::vector<PendingWrite> saved = config_.checkpoint_id ? std::vector<PendingWrite>{} : saved_.null_writes();
        for (const auto& w : writes) saved.push_back(state_.encode_write(null_id, w));
        runner_.save_writes(current_config(), null_id, std::move(saved), /*now=*/true);
      }
      // On its own: a call of special writes only replaces the earlier resume value.
      if (shared_.null_resume)
        runner_.save_writes(current_config(), null_id,
                            {{null_id, std::string(format::kResumeWrite), *shared_.null_resume}}, /*now=*/true);
    }
    if (!writes.empty()) state_.apply_external(writes);
  }

  /// A Command resume needs an interrupt waiting for it at the checkpoint it resumes (sg.run.310;
  /// LangGraph ignores such a resume value silently).
  void check_resume(const RunInput& in) const {
    const auto pending = saved_.pending_interrupts();
    if (pending.empty())
      throw ConfigError(ErrorId::run_resume_without_interrupt, "Command resume on thread \"" + config_.thread_id +
                                          "\": nothing is waiting for an answer (no interrupt is pending at the "
                                          "checkpoint it resumes); to run the graph again pass an input, to continue "
                                          "a run stopped by an error invoke with std::nullopt");
    const bool named = std::any_of(pending.begin(), pending.end(),
                                   [&](const Interrupt& i) { return in.resume_map.count(i.id) != 0; });
    if (!in.resume && !named)
      throw ConfigError(ErrorId::run_resume_without_interrupt, "Command resume_map on thread \"" + config_.thread_id +
                                          "\" names no interrupt that is waiting (" + std::to_string(pending.size()) +
                                          " waiting, the first has id \"" + pending.front().id + "\")");
  }

  /// After the tasks ran: errors end the run, interrupts pause it, a cancel stops it.
  std::optional<RawResult> after_execute(std::vector<Task>& tasks) {
    for (auto& t : tasks) {
      if (!t.error) continue;
      try {
        std::rethrow_exception(t.error);
      } catch (const ParentCommandSignal& sig) {
        if (shared_.parent == nullptr)
          throw InvalidUpdate(ErrorId::update_parent_command_invalid,
                              "node \"" + sig.node + "\" returned a Command to its parent graph (CommandGraph::parent), "
                              "but this graph runs as no subgraph");
        throw;  // the task that runs this graph takes it (StepRunner::produce_writes)
      } catch (const InvalidUpdate&) {
        throw;
      } catch (const ConfigError&) {
        throw;  // a misuse (interrupt() without a checkpointer, sg.run.309), not the node failing
      } catch (const SaverError& e) {
        if (e.is(ErrorId::saver_lock_lost)) throw;  // a subgraph run saw the thread's lock lost
        throw NodeError(e_.nodes[t.node].name, step_, *t.error_text);
      } catch (...) {
        throw NodeError(e_.nodes[t.node].name, step_, *t.error_text);
      }
    }
    std::vector<Interrupt> all;
    for (const auto& t : tasks) all.insert(all.end(), t.interrupts.begin(), t.interrupts.end());
    if (!all.empty()) {
      runner_.save_unsaved(tasks);  // the finished tasks' writes: a resume does not run them again
      return finish(std::move(all));
    }
    if (config_.cancel.cancelled()) throw Cancelled(step_);
    return std::nullopt;
  }

  std::vector<Interrupt> static_interrupts(const std::vector<Task>& tasks, const std::vector<bool>& m,
                                           const char* when) {
    std::vector<Interrupt> out;
    for (const auto& t : tasks)
      if (m[t.node])
        out.push_back({interrupt_id(config_.checkpoint_ns, e_.nodes[t.node].name, t.id), nullptr,
                       e_.nodes[t.node].name, when});
    return out;
  }

  /// A static interrupt (interrupt_before/after): streamed in updates as an empty interrupt list
  /// (LangGraph: {INTERRUPT: ()}), and saved under the null task id so get_state shows the
  /// same interrupts as the RunResult.
  RawResult paused(std::vector<Interrupt> interrupts) {
    if (shared_.modes.has(StreamMode::updates)) {
      RawEvent ev;
      ev.mode = StreamMode::updates;
      ev.step = step_;
      ev.node = format::kInterruptWrite;
      ev.data = nlohmann::json::array();
      shared_.emit(std::move(ev));
    }
    if (!interrupts.empty()) {
      const std::string null_id(format::kNullTaskId);
      runner_.save_writes(current_config(), null_id,
                          {{null_id, std::string(format::kInterruptWrite), SavedWrites::interrupts_json(interrupts)}});
    }
    return finish(std::move(interrupts));
  }

  RawResult finish(std::vector<Interrupt> interrupts) {
    if (config_.durability == Durability::exit) save_exit();
    if (writer_) writer_->flush();
    RawResult r;
    r.values = state_.share_state();  // shared with the state cache, copied on write
    r.interrupts = std::move(interrupts);
    if (saver_ != nullptr) r.config = current_config();
    return r;
  }

  // ------------------------------------------------------------------ checkpoints and events
  CheckpointConfig current_config() const {
    return {config_.thread_id, config_.checkpoint_ns, checkpoint_id_.empty() ? std::nullopt : std::optional(checkpoint_id_)};
  }

  /// Saves the state as a checkpoint of `source`. An input or fork checkpoint takes the current
  /// step and the loop goes on one later; a loop checkpoint is numbered like the step it ends.
  /// `step_tasks`: the tasks of the step a loop checkpoint ends, whose writes it applies (those
  /// the runner deferred are then never made: CheckpointWriter::put).
  void save_checkpoint(format::CheckpointSource source, std::vector<Task>* step_tasks = nullptr) {
    const bool advances = source == format::CheckpointSource::input || source == format::CheckpointSource::fork;
    if (saver_ == nullptr) {
      // Nothing is stored; only the id moves on (task ids are derived from it).
      if (advances) ++step_;
      checkpoint_id_ = new_checkpoint_id();
      return;
    }
    CheckpointMetadata metadata = config_.metadata.is_object() ? config_.metadata : nlohmann::json::object();
    metadata[format::kSourceKey] = format::to_string(source);
    metadata[format::kStepKey] = step_;
    metadata[format::kParentsKey] = shared_.parents;
    saved_step_ = step_;
    if (advances) ++step_;
    if (config_.durability == Durability::exit) {
      // Only the id moves on; the checkpoint is built and stored once, when the run ends.
      exit_metadata_ = std::move(metadata);
      checkpoint_id_ = new_checkpoint_id();
      exit_pending_ = true;
      runner_.clear_held();
      return;
    }
    ChannelVersions nv;
    Checkpoint cp = state_.checkpoint(nv);
    // A loop checkpoint is the result of the step its parent planned: the parent's writes are
    // applied in it and only tell history from now on.
    cp.parent_writes_applied = source == format::CheckpointSource::loop && !e_.keep_applied_writes;
    state_.put_delta_chains(cp);
    CheckpointConfig parent = current_config();
    checkpoint_id_ = cp.id;
    emit_checkpoint_debug(cp, metadata, parent);
    const CheckpointWriter::Unsaved unsaved =
        step_tasks != nullptr ? CheckpointWriter::Unsaved([&] { return runner_.take_unsaved(*step_tasks); })
                              : CheckpointWriter::Unsaved();
    writer_->put({std::move(parent), std::move(cp), with_writes(std::move(metadata)), std::move(nv)}, {}, unsaved);
  }

  void save_exit() {
    if (saver_ == nullptr) return;
    if (!exit_pending_) {
      // No step completed: what this run left (a Command's writes, the tasks' outcomes) belongs
      // to the checkpoint it started from (LangGraph puts them there on exit too).
      for (auto& [id, pw] : runner_.take_held()) writer_->put_writes({current_config(), std::move(id), std::move(pw)}, false);
      return;
    }
    exit_pending_ = false;
    ChannelVersions nv;
    Checkpoint cp = state_.checkpoint(nv);
    cp.id = checkpoint_id_;
    // Its parent is the checkpoint the run started from. After an input, that checkpoint's
    // unfinished tasks were dropped, not applied: their writes stay (they tell why they stopped).
    cp.parent_writes_applied = exit_metadata_.value(format::kSourceKey, "") == format::to_string(format::CheckpointSource::loop) && !input_run_ && !e_.keep_applied_writes;
    state_.put_delta_chains(cp);
    // The checkpoint and the writes of the step that ended the run: one batch.
    std::vector<TaskWrites> own;
    for (auto& [id, pw] : runner_.take_held()) own.push_back({current_config(), std::move(id), std::move(pw)});
    writer_->put({parent_ ? *parent_ : CheckpointConfig{config_.thread_id, config_.checkpoint_ns, std::nullopt},
                  std::move(cp), with_writes(std::move(exit_metadata_)), std::move(nv)},
                 std::move(own));
  }

  void emit_values(const std::vector<std::uint32_t>& updated) {
    if (!shared_.modes.has(StreamMode::values) || !state_.any_field_changed(updated)) return;
    RawEvent ev;
    ev.mode = StreamMode::values;
    ev.step = step_;
    ev.values = state_.share_state();
    shared_.emit(std::move(ev));
  }

  void emit_current_values() {
    if (!shared_.modes.has(StreamMode::values)) return;
    RawEvent ev;
    ev.mode = StreamMode::values;
    ev.step = step_;
    ev.values = state_.share_state();
    shared_.emit(std::move(ev));
  }

  /// At the checkpoint's own step (its metadata's; an input checkpoint's is -1).
  void emit_checkpoint_debug(const Checkpoint& cp, const CheckpointMetadata& metadata, const CheckpointConfig& parent) {
    if (!shared_.modes.has(StreamMode::debug)) return;
    // LangGraph's debug checkpoint payload (pregel/_debug.py map_debug_checkpoint) less `next`
    // and `tasks`, which the next step plans: config, parent_config, values, metadata.
    nlohmann::json values = nlohmann::json::object();
    const std::shared_ptr<const void> state = state_.share_state();
    for (const auto& f : e_.state->fields) values[f.name] = f.encode(state.get());
    nlohmann::json parent_config;
    if (parent.checkpoint_id)
      parent_config = {{"thread_id", parent.thread_id}, {"checkpoint_ns", parent.checkpoint_ns},
                       {"checkpoint_id", *parent.checkpoint_id}};
    shared_.debug(saved_step_.value_or(step_), "checkpoint",
                  {{"config", {{"thread_id", config_.thread_id},
                               {"checkpoint_ns", config_.checkpoint_ns},
                               {"checkpoint_id", cp.id}}},
                   {"parent_config", std::move(parent_config)},
                   {"values", std::move(values)},
                   {"metadata", metadata},
                   {"channel_versions", cp.channel_versions}});
  }


  // ------------------------------------------------------------------ subgraph runs
  /// The checkpoint was written by this subgraph for the parent step that runs it now.
  bool same_invocation(const CheckpointMetadata& md) const {
    auto p = md.is_object() ? md.find(format::kParentsKey) : md.end();
    if (p == md.end() || !p->is_object()) return false;
    auto id = p->find(link_->parent_ns);
    return id != p->end() && id->is_string() && *id == link_->parent_checkpoint_id;
  }

  /// A resumed subgraph whose parent takes its writes: the writes of the earlier runs of this
  /// invocation, read back from its checkpoints (metadata "writes"), oldest first.
  void recollect() {
    if (collect_ == nullptr) return;
    ListOptions options;
    options.values = false;
    std::vector<const nlohmann::json*> steps;
    auto list = saver_->list({config_.thread_id, config_.checkpoint_ns, std::nullopt}, options);
    for (const auto& t : list) {  // newest first
      if (!same_invocation(t.metadata)) break;
      if (auto w = t.metadata.find(format::kWritesKey); w != t.metadata.end() && w->is_array()) steps.push_back(&*w);
    }
    for (auto it = steps.rbegin(); it != steps.rend(); ++it)
      for (const auto& w : **it)
        if (w.is_array() && w.size() == 2 && w[0].is_string())
          collect_->push_back(state_.decode_write({"", w[0].get<std::string>(), w[1]}));
  }

  /// After a step is applied: its tasks' field writes go to the parent that takes them.
  void collect(const std::vector<Task>& tasks) {
    if (collect_ == nullptr) return;
    for (const auto& t : tasks) {
      if (t.node == kStartNode) continue;
      for (const auto& w : t.writes) {
        if (w.kind != WriteKind::value && w.kind != WriteKind::overwrite) continue;
        collect_->push_back(w);
        if (saver_ != nullptr) {
          PendingWrite pw = state_.encode_write(t.id, w);
          unsaved_writes_.push_back(nlohmann::json::array({std::move(pw.channel), std::move(pw.value)}));
        }
      }
    }
  }

  /// `md` with the collected writes not yet stored (a subgraph whose parent takes them).
  CheckpointMetadata with_writes(CheckpointMetadata md) {
    if (collect_ != nullptr) md[format::kWritesKey] = std::exchange(unsaved_writes_, nlohmann::json::array());
    return md;
  }

  const Engine& e_;
  const RunConfig& config_;
  const SubgraphLink* link_;       // set for a subgraph run
  BaseCheckpointSaver* saver_ = nullptr;  // the engine's, or the parent run's for a subgraph
  std::vector<ErasedWrite>* collect_ = nullptr;  // RunInput::collect
  nlohmann::json unsaved_writes_ = nlohmann::json::array();
  std::unique_ptr<ThreadLock> thread_lock_;  // released last, after the writer has flushed
  LoopState state_;
  RunShared shared_;
  std::optional<CheckpointWriter> writer_;
  StepRunner runner_;  // after shared_, state_ and writer_, which it refers to
  std::string checkpoint_id_;
  std::optional<CheckpointConfig> parent_;
  CheckpointMetadata exit_metadata_;         // durability exit: the metadata of the checkpoint stored at the end
  std::optional<std::int64_t> saved_step_;  // the step of the last checkpoint this run saved
  std::int64_t step_ = -1;
  std::int64_t stop_ = 0;
  std::vector<std::string> last_nodes_;
  std::vector<Task*> order_;  // a step's tasks in plan order (kept for its capacity)
  std::vector<bool> before_override_;
  std::vector<bool> after_override_;
  SavedWrites saved_;          // the pending writes of the checkpoint the run started from
  bool attach_saved_ = false;  // the next plan takes their outcomes (a resume, not a replay)
  bool exit_pending_ = false;
  bool input_run_ = false;  // the run began with an input (not a resume, Command or replay)
};

}  // namespace

RawResult run_loop(const Engine& engine, RunInput input, const RunConfig& config, StreamModes modes,
                   const EventSink& sink, const SubgraphLink* link) {
  validate_config(engine, config, link);
  Loop loop(engine, config, modes, sink, link);
  return loop.run(std::move(input));
}

}  // namespace sg::detail
