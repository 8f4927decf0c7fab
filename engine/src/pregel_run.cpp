// run(): LangGraph's Pregel loop (pregel/_loop.py PregelLoop, pregel/_runner.py PregelRunner;
// semantics reference §3): load the thread's checkpoint, apply the input, then supersteps of
// plan → execute (parallel) → apply → checkpoint until nothing is triggered.

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <random>
#include <thread>

#include <boost/asio/post.hpp>

#include "checkpoint_writer.hpp"
#include "loop_state.hpp"
#include "node_writers.hpp"
#include "stategraph/constants.hpp"
#include "stategraph/errors.hpp"
#include "task_scope.hpp"

namespace sg::detail {

namespace {

void validate_config(const Engine& e, const RunConfig& config) {
  if (config.recursion_limit < 1)
    throw ConfigError("sg.run.306", "recursion_limit must be at least 1 (got " +
                                        std::to_string(config.recursion_limit) + ")");
  if (e.saver && config.thread_id.empty())
    throw ConfigError("sg.run.303",
                      "this graph has a checkpointer, so every call needs RunConfig::thread_id "
                      "(e.g. {.thread_id = \"user-42\"})");
}

/// Runs the steps' tasks on the engine's pool; the calling thread works too, and helpers that
/// start after the work is done return at once (so nested runs on one pool cannot deadlock).
struct StepWork {
  std::mutex mutex;
  std::condition_variable done;
  std::size_t active = 0;
  bool closed = false;
  std::atomic<std::size_t> next{0};
  std::size_t count = 0;
  std::function<void(std::size_t)> run;

  void work() {
    for (std::size_t i; (i = next.fetch_add(1)) < count;) run(i);
  }
};

void run_parallel(const Engine& e, std::size_t max_concurrency, std::size_t n,
                  std::function<void(std::size_t)> fn) {
  if (n == 1) {
    fn(0);
    return;
  }
  std::size_t workers = std::min(n, e.threads + 1);
  if (max_concurrency != 0) workers = std::min(workers, max_concurrency);
  auto work = std::make_shared<StepWork>();
  work->count = n;
  work->run = std::move(fn);
  for (std::size_t h = 1; h < workers; ++h)
    boost::asio::post(*e.pool, [work] {
      {
        std::lock_guard lock(work->mutex);
        if (work->closed) return;
        ++work->active;
      }
      work->work();
      std::lock_guard lock(work->mutex);
      if (--work->active == 0) work->done.notify_all();
    });
  work->work();
  std::unique_lock lock(work->mutex);
  work->closed = true;
  work->done.wait(lock, [&] { return work->active == 0; });
}

std::chrono::duration<double> retry_delay(const RetryPolicy& p, int attempt) {
  double s = p.initial_interval.count();
  for (int i = 1; i < attempt; ++i) s *= p.backoff_factor;
  s = std::min(s, p.max_interval.count());
  if (p.jitter) {
    thread_local std::mt19937_64 rng{std::random_device{}()};
    s += std::uniform_real_distribution<double>(0.0, 1.0)(rng);
  }
  return std::chrono::duration<double>(s);
}

/// Sleeps `d`, waking early when the run is cancelled.
void sleep_for(std::chrono::duration<double> d, const CancellationToken& cancel) {
  auto until = std::chrono::steady_clock::now() + std::chrono::duration_cast<std::chrono::nanoseconds>(d);
  while (!cancel.cancelled() && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(std::min<std::chrono::nanoseconds>(std::chrono::milliseconds(10),
                                                                   until - std::chrono::steady_clock::now()));
}

std::string describe(const std::exception_ptr& ep) {
  try {
    std::rethrow_exception(ep);
  } catch (const std::exception& ex) {
    return ex.what();
  } catch (...) {
    return "unknown exception";
  }
}

class Loop {
 public:
  Loop(const Engine& e, const RunConfig& config, StreamModes modes, const EventSink& sink)
      : e_(e), config_(config), state_(e) {
    shared_.engine = &e;
    shared_.config = &config;
    shared_.modes = modes;
    shared_.sink = &sink;
    if (e.saver)
      writer_.emplace(*e.saver, config.durability == Durability::async && !e.saver->in_process(), *e.pool);
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
    if (e_.saver) {
      thread_lock_ = e_.saver->lock_thread(config_.thread_id, config_.thread_lock_wait);
      // A new input on a thread this graph ran last: reuse the state it kept, if the saver's
      // latest checkpoint is still the one it wrote.
      if (input.kind == RunInput::Kind::writes && !config_.checkpoint_id && e_.cache->enabled()) {
        if (auto latest = e_.saver->latest_checkpoint_id({config_.thread_id, config_.checkpoint_ns, std::nullopt}))
          if (auto hit = e_.cache->take(cache_key(), *latest)) {
            state_ = std::move(*hit->state);
            checkpoint_id_ = hit->checkpoint_id;
            parent_ = hit->config;
            last_step = hit->step;
            cached = true;
          }
      }
      if (!cached) tuple = e_.saver->get_tuple({config_.thread_id, config_.checkpoint_ns, config_.checkpoint_id});
    }
    if (config_.checkpoint_id && !tuple)
      throw ConfigError("sg.run.307", "thread \"" + config_.thread_id + "\" has no checkpoint \"" +
                                          *config_.checkpoint_id + "\"");
    if (tuple) {
      state_.load(tuple->checkpoint);
      state_.load_delta_chains(tuple->checkpoint.delta_chains);
      checkpoint_id_ = tuple->checkpoint.id;
      parent_ = tuple->config;
      if (tuple->metadata.contains("step") && tuple->metadata["step"].is_number_integer())
        last_step = tuple->metadata["step"].get<std::int64_t>();
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
      save_checkpoint("input");
      emit_values(updated);
    } else {
      if (!tuple)
        throw ConfigError("sg.run.304", e_.saver ? "thread \"" + config_.thread_id +
                                                       "\" has no checkpoint to resume; pass an input"
                                                 : "no input was given and the graph has no checkpointer to resume "
                                                   "from; pass an input");
      if (!replay) load_pending(*tuple);
      if (replay) {
        // Time travel: the run continues on a new branch whose root is a copy of that checkpoint.
        state_.mark_all_dirty();
        save_checkpoint("fork", /*same_step=*/true);
      }
      if (input.kind == RunInput::Kind::command) apply_command(std::move(input));
      // Resuming continues past the interrupt it stopped at, even when a Command changed the
      // state (LangGraph marks them seen before applying the Command's writes, which pauses again).
      state_.mark_interrupts_seen();
    }

    for (;;) {
      if (config_.cancel.cancelled()) throw Cancelled(step_);
      // LangGraph checks the limit before planning: a run needing more than recursion_limit
      // supersteps runs limit+1 of them and then fails (semantics reference §3.3).
      if (step_ > stop_) throw GraphRecursionError(config_.recursion_limit, last_nodes_);
      auto tasks = state_.plan(checkpoint_id_, config_.checkpoint_ns, step_, plan_from);
      if (tasks.empty()) break;
      attach_pending(tasks);

      const auto& before = config_.interrupt_before ? before_override_ : e_.interrupt_before;
      if (state_.should_interrupt(before, tasks)) return interrupted(static_interrupts(tasks, before, "before"));

      execute(tasks);
      if (auto r = after_execute(tasks)) return std::move(*r);

      std::vector<Task*> order;
      for (auto& t : tasks) order.push_back(&t);
      updated = state_.apply(order, step_);
      plan_from = &updated;
      last_nodes_.clear();
      for (const auto& t : tasks)
        if (t.node != kStartNode) last_nodes_.push_back(e_.nodes[t.node].name);
      emit_values(updated);
      save_checkpoint("loop");

      const auto& after = config_.interrupt_after ? after_override_ : e_.interrupt_after;
      if (state_.should_interrupt(after, tasks)) {
        ++step_;
        return interrupted(static_interrupts(tasks, after, "after"));
      }
      ++step_;
    }
    RawResult r = finish({});
    if (e_.saver && e_.cache->enabled() && !checkpoint_id_.empty()) {
      // Keep the state for the next run on this thread (a clean finish has no pending writes).
      // metadata_ is null when this run saved no checkpoint (resumed with nothing left to run).
      const std::int64_t step = metadata_.is_object() ? metadata_.value("step", step_ - 1) : step_ - 1;
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
      throw ConfigError("sg.run.306", "interrupt_before/after names unknown node \"" + unknown.front() + "\"");
    return m;
  }

  // ------------------------------------------------------------------ pending writes
  void load_pending(const CheckpointTuple& tuple) {
    for (const auto& w : tuple.pending_writes) {
      if (w.task_id == kNullTaskId) {
        if (w.channel == "__resume__") shared_.null_resume = w.value;
        continue;
      }
      pending_[w.task_id].push_back(w);
    }
  }

  void attach_pending(std::vector<Task>& tasks) {
    if (pending_.empty()) return;
    for (auto& t : tasks) {
      auto it = pending_.find(t.id);
      if (it == pending_.end()) continue;
      bool result = false;
      for (const auto& w : it->second) {
        if (w.channel == "__error__") {
          t.error_text = w.value.value("message", std::string("failed"));
        } else if (w.channel == "__interrupt__") {
          for (const auto& i : w.value)
            t.interrupts.push_back({i.value("id", ""), i.value("value", nlohmann::json()), i.value("node", ""),
                                    i.value("when", "during")});
        } else if (w.channel == "__resume__") {
          for (const auto& v : w.value) t.resume.push_back(v);
        } else if (w.channel == "__no_writes__") {
          result = true;
        } else {
          t.writes.push_back(state_.decode_write(w));
          result = true;
        }
      }
      if (result) {
        t.has_result = true;
        t.error_text.reset();
        t.interrupts.clear();
      } else {
        t.writes.clear();
      }
    }
    pending_.clear();  // belongs to the checkpoint the run has now moved past
  }

  void apply_command(RunInput in) {
    if (in.resume) shared_.null_resume = std::move(in.resume);
    shared_.resume_map = std::move(in.resume_map);
    std::vector<ErasedWrite> writes = std::move(in.writes);
    for (const auto& g : in.goto_) {
      if (g == END) continue;
      auto idx = e_.find_node(g);
      if (!idx || *idx == kStartNode)
        throw InvalidUpdate("sg.update.206", "Command goto names unknown node \"" + g + "\"");
      writes.push_back({e_.branch_channel[*idx], WriteKind::trigger, 0, nullptr});
    }
    for (auto& s : in.sends) writes.push_back(send_write(e_, std::move(s), "Command input"));
    std::vector<PendingWrite> saved;
    for (const auto& w : writes) saved.push_back(state_.encode_write(kNullTaskId, w));
    if (shared_.null_resume) saved.push_back({kNullTaskId, "__resume__", *shared_.null_resume});
    if (writer_ && !saved.empty() && config_.durability != Durability::exit)
      writer_->put_writes(current_config(), std::move(saved), kNullTaskId);
    if (!writes.empty()) state_.apply_external(writes);
  }

  // ------------------------------------------------------------------ execute
  void execute(std::vector<Task>& tasks) {
    std::vector<Task*> todo;
    for (auto& t : tasks)
      if (!t.has_result) todo.push_back(&t);
    for (auto* t : todo) {
      t->error = nullptr;
      t->error_text.reset();
      t->interrupts.clear();
    }
    run_parallel(e_, config_.max_concurrency, todo.size(), [&](std::size_t i) { run_task(*todo[i]); });
  }

  void run_task(Task& t) {
    if (config_.cancel.cancelled()) return;
    const NodeInfo& node = e_.nodes[t.node];
    const bool visible = t.node != kStartNode;
    if (visible && shared_.modes.has(StreamMode::debug))
      debug("task", {{"id", t.id}, {"name", node.name}, {"triggers", trigger_names(t)}});
    const std::optional<RetryPolicy>& policy = node.retry ? node.retry : e_.default_retry;
    TaskScope scope{&shared_, &t, step_, 1, 0};
    for (;;) {
      t.writes.clear();
      scope.interrupt_index = 0;
      try {
        produce_writes(t, scope);
        t.has_result = true;
        break;
      } catch (GraphInterruptSignal& sig) {
        t.interrupts.push_back(std::move(sig.interrupt));
        break;
      } catch (...) {
        auto ep = std::current_exception();
        const bool retry = policy && scope.attempt < policy->max_attempts && !config_.cancel.cancelled() &&
                           (policy->retry_on ? policy->retry_on(ep) : default_retry_on(ep));
        if (!retry) {
          t.error = ep;
          t.error_text = describe(ep);
          break;
        }
        sleep_for(retry_delay(*policy, scope.attempt), config_.cancel);
        ++scope.attempt;
      }
    }
    task_finished(t);
  }

  void produce_writes(Task& t, TaskScope& scope) {
    const NodeInfo& node = e_.nodes[t.node];
    RunContext ctx(scope);
    NodeOutput out;
    if (t.node == kStartNode) {
      out.writes = state_.start_writes();
    } else {
      const void* input = t.push ? t.input.get() : state_.state();
      out = node.fn(input, ctx);
    }
    t.writes = node_writes(e_, state_, t.node, std::move(out), ctx);
  }

  void task_finished(Task& t) {
    const NodeInfo& node = e_.nodes[t.node];
    const bool visible = t.node != kStartNode;
    if (t.has_result && visible && shared_.modes.has(StreamMode::updates)) {
      RawEvent ev;
      ev.mode = StreamMode::updates;
      ev.step = step_;
      ev.node = node.name;
      ev.data = state_.updates_json(t.writes);
      shared_.emit(std::move(ev));
    }
    if (!t.interrupts.empty() && shared_.modes.has(StreamMode::updates)) {
      RawEvent ev;
      ev.mode = StreamMode::updates;
      ev.step = step_;
      ev.node = "__interrupt__";
      ev.data = interrupts_json(t.interrupts);
      shared_.emit(std::move(ev));
    }
    if (visible && shared_.modes.has(StreamMode::debug))
      debug("task_result", {{"id", t.id},
                            {"name", node.name},
                            {"error", t.error_text ? nlohmann::json(*t.error_text) : nlohmann::json()},
                            {"result", t.has_result ? state_.updates_json(t.writes) : nlohmann::json()},
                            {"interrupts", interrupts_json(t.interrupts)}});
    if (!writer_) return;
    std::vector<PendingWrite> pw;
    if (t.has_result) {
      for (const auto& w : t.writes) pw.push_back(state_.encode_write(t.id, w));
      if (pw.empty()) pw.push_back({t.id, "__no_writes__", nullptr});
    } else if (t.error_text) {
      pw.push_back({t.id, "__error__", {{"message", *t.error_text}, {"node", node.name}}});
    } else if (!t.interrupts.empty()) {
      pw.push_back({t.id, "__interrupt__", interrupts_json(t.interrupts)});
      if (!t.resume.empty()) pw.push_back({t.id, "__resume__", t.resume});
    } else {
      return;  // cancelled before it started
    }
    if (config_.durability == Durability::exit) {
      std::lock_guard lock(exit_mutex_);
      exit_writes_.emplace_back(t.id, std::move(pw));
      return;
    }
    writer_->put_writes(current_config(), std::move(pw), t.id);
  }

  static nlohmann::json interrupts_json(const std::vector<Interrupt>& is) {
    nlohmann::json a = nlohmann::json::array();
    for (const auto& i : is) a.push_back({{"id", i.id}, {"value", i.value}, {"node", i.node}, {"when", i.when}});
    return a;
  }

  nlohmann::json trigger_names(const Task& t) const {
    nlohmann::json a = nlohmann::json::array();
    if (t.push) a.push_back("__pregel_push");
    for (auto c : t.triggers) a.push_back(e_.channels[c].name);
    return a;
  }

  /// After the tasks ran: errors end the run, interrupts pause it, a cancel stops it.
  std::optional<RawResult> after_execute(std::vector<Task>& tasks) {
    for (auto& t : tasks) {
      if (!t.error) continue;
      try {
        std::rethrow_exception(t.error);
      } catch (const InvalidUpdate&) {
        throw;
      } catch (...) {
        throw NodeError(e_.nodes[t.node].name, step_, *t.error_text);
      }
    }
    std::vector<Interrupt> all;
    for (const auto& t : tasks) all.insert(all.end(), t.interrupts.begin(), t.interrupts.end());
    if (!all.empty()) return interrupted(std::move(all));
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

  RawResult interrupted(std::vector<Interrupt> interrupts) {
    if (shared_.modes.has(StreamMode::updates) && !interrupts.empty() && interrupts.front().when != "during") {
      RawEvent ev;
      ev.mode = StreamMode::updates;
      ev.step = step_;
      ev.node = "__interrupt__";
      ev.data = interrupts_json(interrupts);
      shared_.emit(std::move(ev));
    }
    return finish(std::move(interrupts));
  }

  RawResult finish(std::vector<Interrupt> interrupts) {
    if (config_.durability == Durability::exit) save_exit();
    if (writer_) writer_->flush();
    RawResult r;
    r.values = state_.share_state();  // shared with the state cache, copied on write
    r.interrupts = std::move(interrupts);
    if (e_.saver) r.config = current_config();
    return r;
  }

  // ------------------------------------------------------------------ checkpoints and events
  CheckpointConfig current_config() const {
    return {config_.thread_id, config_.checkpoint_ns, checkpoint_id_.empty() ? std::nullopt : std::optional(checkpoint_id_)};
  }

  void save_checkpoint(const char* source, bool same_step = false) {
    if (!e_.saver) {
      // Nothing is stored; only the id moves on (task ids are derived from it).
      if (source == std::string("input")) ++step_;
      checkpoint_id_ = new_checkpoint_id();
      return;
    }
    metadata_ = config_.metadata.is_object() ? config_.metadata : nlohmann::json::object();
    metadata_["source"] = source;
    // input: step_ (then the loop starts one later); loop: step_; fork: the replayed step.
    metadata_["step"] = same_step ? step_ - 1 : step_;
    metadata_["parents"] = nlohmann::json::object();
    if (source == std::string("input")) ++step_;
    if (config_.durability == Durability::exit) {
      // Only the id moves on; the checkpoint is built and stored once, when the run ends.
      checkpoint_id_ = new_checkpoint_id();
      exit_pending_ = true;
      std::lock_guard lock(exit_mutex_);
      exit_writes_.clear();
      return;
    }
    ChannelVersions nv;
    Checkpoint cp = state_.checkpoint(nv);
    // A loop checkpoint is the result of the step its parent planned: the parent's writes are
    // applied in it and only tell history from now on.
    cp.parent_writes_applied = source == std::string("loop") && !e_.keep_applied_writes;
    cp.delta_chains = state_.delta_chains();
    CheckpointConfig parent = current_config();
    checkpoint_id_ = cp.id;
    emit_checkpoint_debug(cp);
    writer_->put(std::move(parent), std::move(cp), metadata_, std::move(nv));
  }

  void save_exit() {
    if (!e_.saver || !exit_pending_) return;
    exit_pending_ = false;
    ChannelVersions nv;
    Checkpoint cp = state_.checkpoint(nv);
    cp.id = checkpoint_id_;
    // Its parent is the checkpoint the run started from. After an input, that checkpoint's
    // unfinished tasks were dropped, not applied: their writes stay (they tell why they stopped).
    cp.parent_writes_applied = metadata_.value("source", "") == "loop" && !input_run_ && !e_.keep_applied_writes;
    cp.delta_chains = state_.delta_chains();
    writer_->put(parent_ ? *parent_ : CheckpointConfig{config_.thread_id, config_.checkpoint_ns, std::nullopt},
                 cp, metadata_, std::move(nv));
    std::lock_guard lock(exit_mutex_);
    for (auto& [id, pw] : exit_writes_) writer_->put_writes(current_config(), std::move(pw), id);
    exit_writes_.clear();
  }

  void emit_values(const std::vector<std::uint32_t>& updated) {
    if (!shared_.modes.has(StreamMode::values) || !state_.any_field_changed(updated)) return;
    RawEvent ev;
    ev.mode = StreamMode::values;
    ev.step = step_;
    ev.values = state_.share_state();
    shared_.emit(std::move(ev));
  }

  void emit_checkpoint_debug(const Checkpoint& cp) {
    if (!shared_.modes.has(StreamMode::debug)) return;
    debug("checkpoint", {{"config", {{"thread_id", config_.thread_id},
                                     {"checkpoint_ns", config_.checkpoint_ns},
                                     {"checkpoint_id", cp.id}}},
                         {"metadata", metadata_},
                         {"channel_versions", cp.channel_versions}});
  }

  void debug(const char* type, nlohmann::json payload) {
    RawEvent ev;
    ev.mode = StreamMode::debug;
    ev.step = step_;
    ev.data = {{"type", type}, {"step", step_}, {"timestamp", utc_now_iso8601()}, {"payload", std::move(payload)}};
    shared_.emit(std::move(ev));
  }

  const Engine& e_;
  const RunConfig& config_;
  std::unique_ptr<ThreadLock> thread_lock_;  // released last, after the writer has flushed
  LoopState state_;
  RunShared shared_;
  std::optional<CheckpointWriter> writer_;
  std::string checkpoint_id_;
  std::optional<CheckpointConfig> parent_;
  CheckpointMetadata metadata_;
  std::int64_t step_ = -1;
  std::int64_t stop_ = 0;
  std::vector<std::string> last_nodes_;
  std::vector<bool> before_override_;
  std::vector<bool> after_override_;
  std::map<std::string, std::vector<PendingWrite>> pending_;
  bool exit_pending_ = false;
  bool input_run_ = false;  // the run began with an input (not a resume, Command or replay)
  std::mutex exit_mutex_;
  std::vector<std::pair<std::string, std::vector<PendingWrite>>> exit_writes_;
};

}  // namespace

RawResult run(const Engine& engine, RunInput input, const RunConfig& config, StreamModes modes,
              const EventSink& sink) {
  validate_config(engine, config);
  Loop loop(engine, config, modes, sink);
  return loop.run(std::move(input));
}

}  // namespace sg::detail
