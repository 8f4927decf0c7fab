#include "step_runner.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <thread>

#include "node_writers.hpp"
#include "saved_writes.hpp"
#include "stategraph/checkpoint/format.hpp"
#include "stategraph/errors.hpp"

namespace sg::detail {

namespace {

/// A superstep's tasks, shared by the invoking thread and its helpers on the graph's executor.
/// The invoking thread works too, so a step never waits for a free worker. Each helper that starts
/// while tasks are unclaimed posts the next helper before taking one, so a step of short tasks
/// costs about one post while blocking tasks soon run one per thread; helpers that start after
/// the work is claimed return at once (so nested runs on one executor cannot deadlock).
struct StepWork {
  std::mutex mutex;
  std::condition_variable done;
  std::size_t active = 0;        // helpers working
  std::size_t helpers_left = 0;  // helpers that may still be posted
  bool closed = false;           // the invoking thread ran out of tasks
  std::atomic<std::size_t> next{0};
  std::size_t count = 0;
  std::function<void(std::size_t)> run;
  Executor* executor = nullptr;

  void work() {
    for (std::size_t i; (i = next.fetch_add(1)) < count;) run(i);
  }
};

void help(const std::shared_ptr<StepWork>& work);

/// Posts one more helper while tasks are unclaimed and the limit allows.
void post_helper(const std::shared_ptr<StepWork>& work) {
  {
    std::lock_guard lock(work->mutex);
    if (work->helpers_left == 0 || work->next.load() >= work->count) return;
    --work->helpers_left;
  }
  try {
    work->executor->post([work] { help(work); });
  } catch (...) {
    // No thread for another helper: the threads already on the step finish it.
  }
}

void help(const std::shared_ptr<StepWork>& work) {
  {
    std::lock_guard lock(work->mutex);
    if (work->closed || work->next.load() >= work->count) return;
    ++work->active;
  }
  post_helper(work);
  work->work();
  std::lock_guard lock(work->mutex);
  if (--work->active == 0) work->done.notify_all();
}

/// Runs fn(0) … fn(n - 1) on e's executor, at most e.max_tasks and `max_concurrency` at once
/// (0 = no limit besides the executor's cap).
void run_parallel(const Engine& e, std::size_t max_concurrency, std::size_t n, std::function<void(std::size_t)> fn) {
  std::size_t workers = n;
  if (e.max_tasks != 0) workers = std::min(workers, e.max_tasks);
  if (max_concurrency != 0) workers = std::min(workers, max_concurrency);
  if (workers <= 1) {
    for (std::size_t i = 0; i < n; ++i) fn(i);
    return;
  }
  auto work = std::make_shared<StepWork>();
  work->count = n;
  work->run = std::move(fn);
  work->executor = e.executor.get();
  work->helpers_left = std::min(workers - 1, e.executor->max_threads());
  post_helper(work);
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

}  // namespace

void StepRunner::emit_cached(const std::vector<Task>& tasks, std::int64_t step) const {
  if (!shared_.modes.has(StreamMode::updates)) return;
  for (const auto& t : tasks) {
    if (!t.has_result || t.node == kStartNode) continue;
    RawEvent ev;
    ev.mode = StreamMode::updates;
    ev.step = step;
    ev.node = e_.nodes[t.node].name;
    ev.data = state_.updates_json(t.writes);
    ev.cached = true;
    shared_.emit(std::move(ev));
  }
}

void StepRunner::run(std::vector<Task>& tasks, std::int64_t step, const CheckpointConfig& at) {
  step_ = step;
  at_ = at;
  defer_results_ = writer_ != nullptr && config_.durability == Durability::async && !e_.keep_applied_writes;
  std::vector<Task*> todo;
  todo.reserve(tasks.size());
  for (auto& t : tasks)
    if (!t.has_result) todo.push_back(&t);
  for (auto* t : todo) {
    t->error = nullptr;
    t->error_text.reset();
    t->interrupts.clear();
  }
  unfinished_.store(todo.size());
  run_parallel(e_, config_.max_concurrency, todo.size(), [&](std::size_t i) { run_task(*todo[i]); });
}

void StepRunner::save_writes(const CheckpointConfig& at, std::string task_id, std::vector<PendingWrite> writes,
                             bool now) {
  if (writer_ == nullptr) return;
  if (config_.durability == Durability::exit) {
    std::lock_guard lock(held_mutex_);
    held_.emplace_back(std::move(task_id), std::move(writes));
    return;
  }
  writer_->put_writes({at, std::move(task_id), std::move(writes)}, now && config_.durability == Durability::sync);
}

std::vector<TaskWrites> StepRunner::take_unsaved(std::vector<Task>& tasks) {
  std::vector<TaskWrites> out;
  for (auto& t : tasks) {
    if (!t.result_unsaved) continue;
    t.result_unsaved = false;
    out.push_back({at_, t.id, result_writes(t)});
  }
  return out;
}

void StepRunner::save_unsaved(std::vector<Task>& tasks) {
  if (writer_ == nullptr) return;
  for (auto& w : take_unsaved(tasks)) writer_->put_writes(std::move(w), false);
}

std::vector<std::pair<std::string, std::vector<PendingWrite>>> StepRunner::take_held() {
  std::lock_guard lock(held_mutex_);
  return std::exchange(held_, {});
}

void StepRunner::clear_held() {
  std::lock_guard lock(held_mutex_);
  held_.clear();
}

/// A task's input as LangGraph's debug events show it: the state a pull task reads, {field:
/// value}; null for a Send task (its argument has no JSON form here).
nlohmann::json StepRunner::task_input_json(const Task& t) const {
  if (t.push) return nullptr;
  const std::shared_ptr<const void> state = state_.share_state();
  nlohmann::json out = nlohmann::json::object();
  for (const auto& f : e_.state->fields) out[f.name] = f.encode(state.get());
  return out;
}

void StepRunner::run_task(Task& t) {
  if (config_.cancel.cancelled()) return;
  const NodeInfo& node = e_.nodes[t.node];
  const bool visible = t.node != kStartNode;
  if (visible && shared_.modes.has(StreamMode::debug))
    shared_.debug(step_, "task", {{"id", t.id}, {"name", node.name}, {"input", task_input_json(t)}, {"triggers", trigger_names(t)}});
  const std::optional<RetryPolicy>& policy = node.retry ? node.retry : e_.default_retry;
  TaskScope scope{&shared_, &t, step_, 1, 0};
  for (;;) {
    t.writes.clear();
    scope.interrupt_index = 0;
    scope.subgraph_runs = 0;
    try {
      produce_writes(t, scope);
      t.has_result = true;
      break;
    } catch (GraphInterruptSignal& sig) {
      // interrupt() in the node, or a subgraph it ran paused: the task pauses with it.
      t.interrupts.insert(t.interrupts.end(), std::make_move_iterator(sig.interrupts.begin()),
                          std::make_move_iterator(sig.interrupts.end()));
      break;
    } catch (const ParentCommandSignal& sig) {
      // This node's own Command to the parent graph: the run ends and passes it up (not retried).
      t.error = std::current_exception();
      t.error_text = "node \"" + sig.node + "\" returned a Command to the parent graph";
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

void StepRunner::produce_writes(Task& t, TaskScope& scope) {
  const NodeInfo& node = e_.nodes[t.node];
  RunContext ctx(scope);
  NodeOutput out;
  if (t.node == kStartNode) {
    out.writes = state_.start_writes();
  } else {
    const void* input = t.push ? t.input.get() : state_.state();
    try {
      TaskScopeGuard running(&scope);  // a graph run from the node is its subgraph
      out = node.fn(input, ctx);
    } catch (ParentCommandSignal& sig) {
      if (sig.from == &shared_) throw;
      // A subgraph this node ran returned a Command to this graph: it is this task's output
      // (its update and goto, not this node's own edges; LangGraph: ParentCommand in _runner.py).
      if (sig.state_type != e_.state->type)
        throw InvalidUpdate(ErrorId::update_parent_command_invalid,
                            "node \"" + sig.node + "\" of the subgraph run by \"" + node.name +
                                "\" returned a Command to its parent graph, but the parent's state is of another type");
      t.writes = node_writes(e_, state_, t.node, std::move(sig.output), ctx, /*with_edges=*/false);
      return;
    }
    if (out.to_parent) throw ParentCommandSignal{std::move(out), e_.state->type, &shared_, node.name};
  }
  t.writes = node_writes(e_, state_, t.node, std::move(out), ctx);
}

void StepRunner::task_finished(Task& t) {
  // Under sync, the writes of a task that finishes while others still run are stored at once (a
  // crash then does not lose them); the last task's go with the step's checkpoint.
  const bool others_running = unfinished_.fetch_sub(1) > 1;
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
    ev.node = format::kInterruptWrite;
    ev.data = SavedWrites::interrupts_json(t.interrupts);
    shared_.emit(std::move(ev));
  }
  if (visible && shared_.modes.has(StreamMode::debug))
    shared_.debug(step_, "task_result", {{"id", t.id},
                          {"name", node.name},
                          {"error", t.error_text ? nlohmann::json(*t.error_text) : nlohmann::json()},
                          {"result", t.has_result ? state_.updates_json(t.writes) : nlohmann::json()},
                          {"interrupts", SavedWrites::interrupts_json(t.interrupts)}});
  if (writer_ == nullptr) return;
  std::vector<PendingWrite> pw;
  if (t.has_result && defer_results_) {
    t.result_unsaved = true;  // made when needed: take_unsaved
    return;
  }
  if (t.has_result) {
    pw = result_writes(t);
  } else if (t.error_text) {
    pw.push_back({t.id, std::string(format::kErrorWrite), {{"message", *t.error_text}, {"node", node.name}}});
  } else if (!t.interrupts.empty()) {
    pw.push_back({t.id, std::string(format::kInterruptWrite), SavedWrites::interrupts_json(t.interrupts)});
    if (!t.resume.empty()) pw.push_back({t.id, std::string(format::kResumeWrite), t.resume});
  } else {
    return;  // cancelled before it started
  }
  save_writes(at_, t.id, std::move(pw), others_running);
}

std::vector<PendingWrite> StepRunner::result_writes(const Task& t) const {
  std::vector<PendingWrite> pw;
  pw.reserve(std::max<std::size_t>(t.writes.size(), 1));
  for (const auto& w : t.writes) pw.push_back(state_.encode_write(t.id, w));
  if (pw.empty()) pw.push_back({t.id, std::string(format::kNoWritesWrite), nullptr});
  return pw;
}

nlohmann::json StepRunner::trigger_names(const Task& t) const {
  nlohmann::json a = nlohmann::json::array();
  if (t.push) a.push_back("__pregel_push");
  for (auto c : t.triggers) a.push_back(e_.channels[c].name);
  return a;
}

}  // namespace sg::detail
