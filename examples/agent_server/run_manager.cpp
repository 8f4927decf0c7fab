// RunManager (run_manager.hpp): thread and run records, per-thread run queues, the workers that
// execute runs, and the event logs streams read.
#include "agent_server/run_manager.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <random>

#include <boost/uuid/name_generator_sha1.hpp>
#include <boost/uuid/string_generator.hpp>
#include <boost/uuid/uuid_io.hpp>

#include <stategraph/checkpoint/saver.hpp>
#include <stategraph/errors.hpp>

#include "agent_server/run_options.hpp"
#include "agent_server/run_state.hpp"

namespace sg::server {

namespace {

std::string random_uuid() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  const std::uint64_t hi = (rng() & 0xFFFFFFFFFFFF0FFFULL) | 0x0000000000004000ULL;  // version 4
  const std::uint64_t lo = (rng() & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL;  // variant 10
  char buf[37];
  std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(hi >> 32),
                static_cast<unsigned>((hi >> 16) & 0xFFFF), static_cast<unsigned>(hi & 0xFFFF),
                static_cast<unsigned>(lo >> 48), static_cast<unsigned long long>(lo & 0xFFFFFFFFFFFFULL));
  return buf;
}

/// `items` from `offset` on, at most `limit` of them.
template <class T>
std::vector<T> page(std::vector<T> items, std::size_t offset, std::size_t limit) {
  if (offset >= items.size()) return {};
  items.erase(items.begin(), items.begin() + static_cast<std::ptrdiff_t>(offset));
  if (items.size() > limit) items.resize(limit);
  return items;
}

bool metadata_matches(const nlohmann::json& metadata, const nlohmann::json& filter) {
  if (!filter.is_object()) return true;
  for (const auto& [key, value] : filter.items()) {
    auto it = metadata.find(key);
    if (it == metadata.end() || *it != value) return false;
  }
  return true;
}

}  // namespace

std::string assistant_id_for(const std::string& graph_id) {
  static const boost::uuids::uuid ns = boost::uuids::string_generator()("6ba7b821-9dad-11d1-80b4-00c04fd430c8");
  return boost::uuids::to_string(boost::uuids::name_generator_sha1(ns)(graph_id));
}

std::string RunManager::now() {
  const auto t = std::chrono::system_clock::now();
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03d+00:00", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

RunManager::RunManager(std::map<std::string, std::shared_ptr<const ServedGraph>> graphs, std::size_t workers)
    : graphs_(std::move(graphs)) {
  for (std::size_t i = 0; i < std::max<std::size_t>(workers, 1); ++i) workers_.emplace_back([this] { worker_loop(); });
}

RunManager::~RunManager() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    for (auto& [id, run] : runs_)
      if (!run->ended) run->cancel.cancel();
  }
  work_.notify_all();
  changed_.notify_all();
  for (auto& w : workers_) w.join();
}

// Threads -----------------------------------------------------------------------------------

std::shared_ptr<RunManager::Thread> RunManager::adopt_from_saver_locked(const std::string& thread_id) const {
  for (const auto& [graph_id, graph] : graphs_) {
    const auto& saver = graph->checkpointer();
    if (!saver) continue;
    auto info = saver->list_threads({.thread_id = thread_id});
    if (info.empty()) continue;
    auto t = std::make_shared<Thread>();
    t->record.thread_id = thread_id;
    t->record.created_at = info.front().last_ts;
    t->record.updated_at = info.front().last_ts;
    t->record.graph_id = graphs_.size() == 1 ? graph_id : "";
    threads_.emplace(thread_id, t);
    return t;
  }
  return nullptr;
}

std::shared_ptr<RunManager::Thread> RunManager::find_thread_locked(const std::string& thread_id) const {
  if (auto it = threads_.find(thread_id); it != threads_.end()) return it->second;
  return adopt_from_saver_locked(thread_id);
}

ThreadRecord RunManager::create_thread(std::string thread_id, nlohmann::json metadata, const std::string& if_exists) {
  std::lock_guard lock(mutex_);
  if (thread_id.empty()) thread_id = random_uuid();
  if (auto existing = find_thread_locked(thread_id)) {
    if (if_exists == "do_nothing") return existing->record;
    throw RunRejected(AgentServerErrorId::already_exists, "thread " + thread_id + " already exists");
  }
  auto t = std::make_shared<Thread>();
  t->record.thread_id = thread_id;
  t->record.created_at = t->record.updated_at = now();
  t->record.metadata = metadata.is_object() ? std::move(metadata) : nlohmann::json::object();
  threads_.emplace(thread_id, t);
  return t->record;
}

std::optional<ThreadRecord> RunManager::thread(const std::string& thread_id) const {
  std::lock_guard lock(mutex_);
  if (auto t = find_thread_locked(thread_id)) return t->record;
  return std::nullopt;
}

std::vector<ThreadRecord> RunManager::search_threads(const nlohmann::json& metadata, const std::string& status,
                                                     std::size_t limit, std::size_t offset) const {
  std::vector<ThreadRecord> all;
  {
    std::lock_guard lock(mutex_);
    // Threads of earlier processes: every thread the savers hold.
    for (const auto& [graph_id, graph] : graphs_) {
      if (!graph->checkpointer()) continue;
      for (const auto& info : graph->checkpointer()->list_threads({}))
        if (!threads_.contains(info.thread_id)) adopt_from_saver_locked(info.thread_id);
    }
    for (const auto& [id, t] : threads_)
      if (metadata_matches(t->record.metadata, metadata)) all.push_back(t->record);
  }
  if (!status.empty())
    std::erase_if(all, [&](const ThreadRecord& r) { return thread_status(r) != status; });
  std::sort(all.begin(), all.end(), [](const ThreadRecord& a, const ThreadRecord& b) {
    return a.updated_at != b.updated_at ? a.updated_at > b.updated_at : a.thread_id < b.thread_id;
  });
  return page(std::move(all), offset, limit);
}

ThreadRecord RunManager::patch_thread(const std::string& thread_id, const nlohmann::json& metadata) {
  std::lock_guard lock(mutex_);
  auto t = find_thread_locked(thread_id);
  if (!t) throw RunRejected(AgentServerErrorId::not_found, "thread " + thread_id + " not found");
  if (metadata.is_object())
    for (const auto& [key, value] : metadata.items()) t->record.metadata[key] = value;
  t->record.updated_at = now();
  return t->record;
}

bool RunManager::delete_thread(const std::string& thread_id) {
  std::vector<std::shared_ptr<Run>> active;
  {
    std::lock_guard lock(mutex_);
    auto t = find_thread_locked(thread_id);
    if (!t) return false;
    for (auto& r : t->queue) {
      r->cancel_action = "interrupt";
      r->cancel.cancel();
    }
    threads_.erase(thread_id);
    changed_.notify_all();
    std::erase_if(runs_, [&](const auto& kv) { return kv.second->record.thread_id == thread_id && kv.second->ended; });
  }
  for (const auto& [graph_id, graph] : graphs_)
    if (graph->checkpointer()) graph->checkpointer()->delete_thread(thread_id);
  return true;
}

ThreadRecord RunManager::copy_thread(const std::string& thread_id) {
  ThreadRecord copy;
  {
    std::lock_guard lock(mutex_);
    auto t = find_thread_locked(thread_id);
    if (!t) throw RunRejected(AgentServerErrorId::not_found, "thread " + thread_id + " not found");
    copy = t->record;
  }
  copy.thread_id = random_uuid();
  copy.created_at = copy.updated_at = now();
  std::vector<const BaseCheckpointSaver*> done;
  for (const auto& [graph_id, graph] : graphs_) {
    const auto& saver = graph->checkpointer();
    if (!saver || std::find(done.begin(), done.end(), saver.get()) != done.end()) continue;
    done.push_back(saver.get());
    if (!saver->list_threads({.thread_id = thread_id}).empty()) saver->copy_thread(thread_id, copy.thread_id);
  }
  std::lock_guard lock(mutex_);
  auto t = std::make_shared<Thread>();
  t->record = copy;
  threads_.emplace(copy.thread_id, t);
  return copy;
}

std::shared_ptr<const ServedGraph> RunManager::graph_of(const ThreadRecord& thread) const {
  if (auto it = graphs_.find(thread.graph_id); it != graphs_.end()) return it->second;
  if (graphs_.size() == 1) return graphs_.begin()->second;
  return nullptr;
}

void RunManager::bind_thread(const std::string& thread_id, const std::string& graph_id) {
  std::lock_guard lock(mutex_);
  if (auto t = find_thread_locked(thread_id)) {
    t->record.graph_id = graph_id;
    t->record.updated_at = now();
  }
}

bool RunManager::thread_has_active_run_locked(const std::string& thread_id) const {
  auto it = threads_.find(thread_id);
  if (it == threads_.end()) return false;
  // A run cancelled before it started does not count: it will never run.
  return std::any_of(it->second->queue.begin(), it->second->queue.end(),
                     [](const std::shared_ptr<Run>& r) { return r->started || !r->cancel.cancelled(); });
}

bool RunManager::busy(const std::string& thread_id) const {
  std::lock_guard lock(mutex_);
  return thread_has_active_run_locked(thread_id);
}

std::string RunManager::thread_status(const ThreadRecord& thread) const {
  auto graph = graph_of(thread);
  return thread_status(thread, graph ? graph->state({.thread_id = thread.thread_id}, false) : std::nullopt);
}

std::string RunManager::thread_status(const ThreadRecord& thread, const std::optional<nlohmann::json>& state) const {
  if (busy(thread.thread_id)) return "busy";
  if (thread.failed) return "error";
  if (state && (!(*state)["next"].empty() || !(*state)["interrupts"].empty())) return "interrupted";
  return "idle";
}

// Runs --------------------------------------------------------------------------------------

RunRecord RunManager::create_run(const std::string& thread_id, const std::string& graph_id, const nlohmann::json& body) {
  auto graph_it = graphs_.find(graph_id);
  if (graph_it == graphs_.end()) throw RunRejected(AgentServerErrorId::not_found, "no assistant or graph \"" + graph_id + "\"");
  const RunOptions options = parse_run_options(body);  // throws RunRejected 400/422
  std::lock_guard lock(mutex_);
  if (stopping_) throw RunRejected(AgentServerErrorId::stopping, "the server is stopping");
  std::shared_ptr<Thread> t;
  bool temporary = false;
  if (thread_id.empty()) {
    t = std::make_shared<Thread>();
    t->record.thread_id = random_uuid();
    t->record.created_at = t->record.updated_at = now();
    threads_.emplace(t->record.thread_id, t);
    temporary = options.on_completion != "keep";
  } else {
    t = find_thread_locked(thread_id);
    if (!t) {
      if (options.if_not_exists != "create") throw RunRejected(AgentServerErrorId::not_found, "thread " + thread_id + " not found");
      t = std::make_shared<Thread>();
      t->record.thread_id = thread_id;
      t->record.created_at = t->record.updated_at = now();
      threads_.emplace(thread_id, t);
    }
  }
  if (thread_has_active_run_locked(t->record.thread_id)) {
    if (options.multitask_strategy == "reject")
      throw RunRejected(AgentServerErrorId::thread_busy, "Thread is already running a task. Wait for it to finish or choose a different multitask strategy.");
    if (options.multitask_strategy == "interrupt" || options.multitask_strategy == "rollback") {
      for (auto& r : t->queue) {
        r->cancel_action = options.multitask_strategy;
        r->cancel.cancel();
      }
      changed_.notify_all();
    }
  }
  auto run = std::make_shared<Run>();
  run->options = options;
  run->graph = graph_it->second;
  RunRecord& r = run->record;
  r.run_id = random_uuid();
  r.thread_id = t->record.thread_id;
  r.assistant_id = assistant_id_for(graph_id);
  r.graph_id = graph_id;
  r.created_at = r.updated_at = now();
  r.metadata = options.metadata;
  r.kwargs = options.kwargs;
  r.multitask_strategy = options.multitask_strategy;
  r.temporary = temporary;
  t->record.graph_id = graph_id;
  t->record.updated_at = r.created_at;
  t->record.metadata["graph_id"] = graph_id;  // as LangGraph's server marks a thread's graph
  t->record.metadata["assistant_id"] = r.assistant_id;
  t->queue.push_back(run);
  runs_.emplace(r.run_id, run);
  schedule_locked(r.thread_id);
  return r;
}

void RunManager::schedule_locked(const std::string& thread_id) {
  auto it = threads_.find(thread_id);
  if (it == threads_.end() || it->second->scheduled || it->second->queue.empty()) return;
  it->second->scheduled = true;
  ready_.push_back(it->second->queue.front());
  work_.notify_one();
}

void RunManager::worker_loop() {
  for (;;) {
    std::shared_ptr<Run> run;
    {
      std::unique_lock lock(mutex_);
      work_.wait(lock, [this] { return stopping_ || !ready_.empty(); });
      if (ready_.empty()) return;  // stopping
      run = std::move(ready_.front());
      ready_.pop_front();
    }
    execute(run);
  }
}

void RunManager::publish(Run& run, std::string event, nlohmann::json data) {
  {
    std::lock_guard lock(mutex_);
    run.log.push_back(RunEvent{run.log.size(), std::move(event), std::move(data)});
  }
  changed_.notify_all();
}

std::optional<RunRecord> RunManager::run(const std::string& run_id) const {
  std::lock_guard lock(mutex_);
  if (auto it = runs_.find(run_id); it != runs_.end()) return it->second->record;
  return std::nullopt;
}

std::vector<RunRecord> RunManager::list_runs(const std::string& thread_id, std::size_t limit, std::size_t offset,
                                             const std::string& status) const {
  std::vector<RunRecord> out;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [id, run] : runs_)
      if (run->record.thread_id == thread_id && (status.empty() || run->record.status == status))
        out.push_back(run->record);
  }
  std::sort(out.begin(), out.end(), [](const RunRecord& a, const RunRecord& b) {
    return a.created_at != b.created_at ? a.created_at > b.created_at : a.run_id > b.run_id;
  });
  return page(std::move(out), offset, limit);
}

bool RunManager::cancel_run(const std::string& run_id, const std::string& action) {
  std::lock_guard lock(mutex_);
  auto it = runs_.find(run_id);
  if (it == runs_.end()) return false;
  if (!it->second->ended) {
    it->second->cancel_action = action;
    it->second->cancel.cancel();
    if (!it->second->started) {
      // It never ran: it is over now, for every reader (its worker only tidies up).
      it->second->record.status = "interrupted";
      it->second->record.updated_at = now();
      if (action == "rollback") runs_.erase(it);
    }
  }
  changed_.notify_all();  // a run waiting for after_seconds
  return true;
}

bool RunManager::delete_run(const std::string& run_id) {
  std::lock_guard lock(mutex_);
  auto it = runs_.find(run_id);
  if (it == runs_.end()) return false;
  if (!it->second->ended) {
    it->second->cancel_action = "interrupt";
    it->second->cancel.cancel();
  }
  runs_.erase(it);
  return true;
}

RunManager::EventBatch RunManager::events(const std::string& run_id, std::uint64_t from,
                                          std::chrono::milliseconds wait) const {
  std::unique_lock lock(mutex_);
  auto it = runs_.find(run_id);
  if (it == runs_.end()) return {{}, true, false};
  const std::shared_ptr<Run> run = it->second;
  changed_.wait_for(lock, wait, [&] { return run->ended || run->log.size() > from || stopping_; });
  EventBatch out;
  for (std::size_t i = from; i < run->log.size(); ++i) out.events.push_back(run->log[i]);
  out.done = run->ended || stopping_;
  return out;
}

std::optional<nlohmann::json> RunManager::wait(const std::string& run_id, const sg::CancellationToken& cancel) const {
  std::unique_lock lock(mutex_);
  auto it = runs_.find(run_id);
  if (it == runs_.end()) return std::nullopt;
  const std::shared_ptr<Run> run = it->second;
  while (!run->ended && !stopping_ && !cancel.cancelled())
    changed_.wait_for(lock, std::chrono::milliseconds(200));
  return run->final_values;
}

}  // namespace sg::server
