// RunManager (run_manager.hpp): thread and run records, per-thread run queues, the workers that
// execute runs, and the event logs streams read.
#include "agent_server/run_manager.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <random>
#include <utility>

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

std::int64_t RunManager::now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string RunManager::now() { return iso_time(now_ms()); }

std::string RunManager::iso_time(std::int64_t epoch_ms) {
  const std::time_t secs = static_cast<std::time_t>(epoch_ms / 1000);
  const auto ms = epoch_ms % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03d+00:00", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

namespace {

ThreadRecord thread_record(const StoredThread& t) {
  ThreadRecord r;
  r.thread_id = t.thread_id;
  r.created_at = RunManager::iso_time(t.created_ms);
  r.updated_at = RunManager::iso_time(t.updated_ms);
  r.metadata = t.doc.value("metadata", nlohmann::json::object());
  r.graph_id = t.doc.value("graph_id", "");
  r.failed = t.doc.value("failed", false);
  r.error = t.doc.value("error", nlohmann::json());
  r.busy = t.busy;
  return r;
}

nlohmann::json thread_doc(const ThreadRecord& r) {
  nlohmann::json doc{{"metadata", r.metadata}, {"graph_id", r.graph_id}};
  if (r.failed) doc["failed"] = true;
  if (!r.error.is_null()) doc["error"] = r.error;
  return doc;
}

StoredThread new_thread(const std::string& thread_id, nlohmann::json metadata) {
  StoredThread t;
  t.thread_id = thread_id;
  t.created_ms = t.updated_ms = RunManager::now_ms();
  t.doc = {{"metadata", metadata.is_object() ? std::move(metadata) : nlohmann::json::object()}, {"graph_id", ""}};
  return t;
}

}  // namespace

RunRecord run_record(const StoredRun& row) {
  RunRecord r;
  r.run_id = row.run_id;
  r.thread_id = row.thread_id;
  r.assistant_id = row.doc.value("assistant_id", "");
  r.graph_id = row.doc.value("graph_id", "");
  r.status = row.status;
  r.created_at = RunManager::iso_time(row.created_ms);
  r.updated_at = RunManager::iso_time(row.updated_ms);
  r.metadata = row.doc.value("metadata", nlohmann::json::object());
  r.kwargs = row.doc.value("kwargs", nlohmann::json::object());
  r.multitask_strategy = row.doc.value("multitask_strategy", "reject");
  r.temporary = row.doc.value("temporary", false);
  return r;
}

// Threads -----------------------------------------------------------------------------------

std::optional<ThreadRecord> RunManager::adopt_from_saver(const std::string& thread_id) const {
  for (const auto& [graph_id, graph] : graphs_) {
    const auto& saver = graph->checkpointer();
    if (!saver) continue;
    auto info = saver->list_threads({.thread_id = thread_id});
    if (info.empty()) continue;
    StoredThread t = new_thread(thread_id, nlohmann::json::object());
    t.doc["graph_id"] = graphs_.size() == 1 ? graph_id : "";
    store_->create_thread(t);  // another process may have made the row meanwhile: theirs stays
    if (auto row = store_->thread(thread_id)) return thread_record(*row);
  }
  return std::nullopt;
}

ThreadRecord RunManager::create_thread(std::string thread_id, nlohmann::json metadata, const std::string& if_exists) {
  if (thread_id.empty()) thread_id = random_uuid();
  const StoredThread t = new_thread(thread_id, std::move(metadata));
  // An existing row, one only the savers knew (adopted by thread()), or one made meanwhile.
  if (thread(thread_id) || !store_->create_thread(t)) {
    if (if_exists == "do_nothing") return *thread(thread_id);
    throw RunRejected(AgentServerErrorId::already_exists, "thread " + thread_id + " already exists");
  }
  return thread_record(t);
}

std::optional<ThreadRecord> RunManager::thread(const std::string& thread_id) const {
  if (auto row = store_->thread(thread_id)) return thread_record(*row);
  return adopt_from_saver(thread_id);
}

std::vector<ThreadRecord> RunManager::search_threads(const nlohmann::json& metadata, const std::string& status,
                                                     std::size_t limit, std::size_t offset) const {
  bool adopt = false;
  {
    std::lock_guard lock(mutex_);
    adopt = !std::exchange(adopted_, true);
  }
  if (adopt) {  // threads of a store written before there were thread rows: once per process
    for (const auto& [graph_id, graph] : graphs_) {
      if (!graph->checkpointer()) continue;
      for (const auto& info : graph->checkpointer()->list_threads({}))
        if (!store_->thread(info.thread_id)) (void)adopt_from_saver(info.thread_id);
    }
  }
  std::vector<ThreadRecord> all;
  for (const auto& t : store_->threads()) {  // most recently updated first
    ThreadRecord r = thread_record(t);
    if (metadata_matches(r.metadata, metadata)) all.push_back(std::move(r));
  }
  if (!status.empty()) std::erase_if(all, [&](const ThreadRecord& r) { return thread_status(r) != status; });
  return page(std::move(all), offset, limit);
}

ThreadRecord RunManager::patch_thread(const std::string& thread_id, const nlohmann::json& metadata) {
  if (!thread(thread_id)) throw RunRejected(AgentServerErrorId::not_found, "thread " + thread_id + " not found");
  nlohmann::json patch = nlohmann::json::object();
  if (metadata.is_object() && !metadata.empty()) patch["metadata"] = metadata;
  auto row = store_->patch_thread(thread_id, patch, now_ms());
  if (!row) throw RunRejected(AgentServerErrorId::not_found, "thread " + thread_id + " not found");
  return thread_record(*row);
}

bool RunManager::delete_thread(const std::string& thread_id) {
  if (!thread(thread_id)) return false;
  {
    std::lock_guard lock(mutex_);
    for (auto& run : active_)
      if (run->record.thread_id == thread_id) {
        run->cancel_action = "interrupt";
        run->cancel.cancel();
      }
    wake_arrivals();
  }
  store_->delete_thread(thread_id);  // runs of other processes see their rows gone and stop
  for (const auto& [graph_id, graph] : graphs_)
    if (graph->checkpointer()) graph->checkpointer()->delete_thread(thread_id);
  return true;
}

ThreadRecord RunManager::copy_thread(const std::string& thread_id) {
  auto source = thread(thread_id);
  if (!source) throw RunRejected(AgentServerErrorId::not_found, "thread " + thread_id + " not found");
  ThreadRecord copy = *source;
  copy.thread_id = random_uuid();
  copy.busy = false;
  StoredThread row = new_thread(copy.thread_id, copy.metadata);
  row.doc = thread_doc(copy);
  std::vector<const BaseCheckpointSaver*> done;
  for (const auto& [graph_id, graph] : graphs_) {
    const auto& saver = graph->checkpointer();
    if (!saver || std::find(done.begin(), done.end(), saver.get()) != done.end()) continue;
    done.push_back(saver.get());
    if (!saver->list_threads({.thread_id = thread_id}).empty()) saver->copy_thread(thread_id, copy.thread_id);
  }
  store_->create_thread(row);
  return thread_record(row);
}

std::shared_ptr<const ServedGraph> RunManager::graph_of(const ThreadRecord& thread) const {
  if (auto it = graphs_.find(thread.graph_id); it != graphs_.end()) return it->second;
  if (graphs_.size() == 1) return graphs_.begin()->second;
  return nullptr;
}

void RunManager::bind_thread(const std::string& thread_id, const std::string& graph_id) {
  store_->patch_thread(thread_id, {{"graph_id", graph_id}}, now_ms());
}

bool RunManager::busy(const std::string& thread_id) const {
  auto row = store_->thread(thread_id);
  return row && row->busy;
}

std::string RunManager::thread_status(const ThreadRecord& thread) const {
  auto graph = graph_of(thread);
  return thread_status(thread, graph ? graph->state({.thread_id = thread.thread_id}, false) : std::nullopt);
}

std::string RunManager::thread_status(const ThreadRecord& thread, const std::optional<nlohmann::json>& state) const {
  if (thread.busy) return "busy";
  if (thread.failed) return "error";
  if (state && (!(*state)["next"].empty() || !(*state)["interrupts"].empty())) return "interrupted";
  return "idle";
}

// Runs --------------------------------------------------------------------------------------

std::string RunManager::new_id() { return random_uuid(); }

RunRecord RunManager::create_run(const std::string& thread_id, const std::string& graph_id, const nlohmann::json& body,
                                 const std::string& run_id, bool streamed) {
  auto graph_it = graphs_.find(graph_id);
  if (graph_it == graphs_.end()) throw RunRejected(AgentServerErrorId::not_found, "no assistant or graph \"" + graph_id + "\"");
  const RunOptions options = parse_run_options(body);  // throws RunRejected 400/422
  {
    std::lock_guard lock(mutex_);
    if (stopping_) throw RunRejected(AgentServerErrorId::stopping, "the server is stopping");
  }
  const bool stateless = thread_id.empty();
  StoredRun row;
  row.run_id = run_id.empty() ? random_uuid() : run_id;
  row.thread_id = stateless ? random_uuid() : thread_id;
  row.graph_id = graph_id;
  row.created_ms = row.updated_ms = now_ms();
  row.not_before_ms = row.created_ms + static_cast<std::int64_t>(options.after_seconds * 1000);
  const std::string assistant_id = assistant_id_for(graph_id);
  row.doc = {{"assistant_id", assistant_id},
             {"graph_id", graph_id},
             {"metadata", options.metadata},
             {"kwargs", options.kwargs},
             {"multitask_strategy", options.multitask_strategy},
             {"temporary", stateless && options.on_completion != "keep"},
             {"request", body}};
  std::optional<StoredThread> create;
  if (stateless || options.if_not_exists == "create") create = new_thread(row.thread_id, nlohmann::json::object());
  // As LangGraph's server marks a thread with the graph and assistant of its runs.
  const nlohmann::json thread_patch{{"graph_id", graph_id},
                                    {"metadata", {{"graph_id", graph_id}, {"assistant_id", assistant_id}}}};
  row.watched = streamed;
  // A worker of this process is free: the run is claimed in its admission and handed to it.
  bool self = false;
  {
    std::lock_guard lock(mutex_);
    self = executing_ + ready_.size() < options_.workers + options_.claim_ahead;
  }
  const std::string claimant = self ? owner_ : std::string();
  const std::int64_t lease_until = row.created_ms + options_.lease.count();
  RunStore::Admission admission =
      store_->create_run(row, options.multitask_strategy, thread_patch, create, claimant, lease_until);
  if (admission.thread_missing && adopt_from_saver(thread_id))  // a thread only the savers knew
    admission = store_->create_run(row, options.multitask_strategy, thread_patch, create, claimant, lease_until);
  if (admission.thread_missing) throw RunRejected(AgentServerErrorId::not_found, "thread " + thread_id + " not found");
  if (admission.rejected)
    throw RunRejected(AgentServerErrorId::thread_busy, "Thread is already running a task. Wait for it to finish or choose a different multitask strategy.");
  {
    std::lock_guard lock(mutex_);
    for (const auto& id : admission.stopping)
      if (auto it = local_.find(id); it != local_.end() && !it->second->ended) {
        it->second->cancel_action = options.multitask_strategy;
        it->second->cancel.cancel();
      }
    ++wakeups_;
  }
  row.seq = admission.seq;
  // "pending" as LangGraph answers a new run, even when a worker has it already.
  const RunRecord created = run_record(row);
  if (admission.claimed) {
    row.status = "running";
    row.owner = owner_;
    row.lease_until_ms = lease_until;
    row.attempt = 1;
    row.watched = false;
    auto run = adopt_claimed(row);
    std::lock_guard lock(mutex_);
    run->awaited = streamed;  // this caller streams it from memory
    ready_.push_back(std::move(run));
  }
  work_.notify_one();
  return created;
}

std::shared_ptr<RunManager::Run> RunManager::local_run(const std::string& run_id) const {
  std::lock_guard lock(mutex_);
  if (auto it = local_.find(run_id); it != local_.end()) return it->second;
  return nullptr;
}

std::optional<RunRecord> RunManager::run(const std::string& run_id) const {
  if (auto row = store_->run(run_id)) return run_record(*row);
  return std::nullopt;
}

std::vector<RunRecord> RunManager::list_runs(const std::string& thread_id, std::size_t limit, std::size_t offset,
                                             const std::string& status) const {
  std::vector<RunRecord> out;
  for (const auto& row : store_->runs(thread_id))  // newest first
    if (status.empty() || row.status == status) out.push_back(run_record(row));
  return page(std::move(out), offset, limit);
}

std::vector<std::string> RunManager::active_run_ids(const std::string& thread_id, const std::string& status) const {
  std::vector<std::string> out;
  for (const auto& row : thread_id.empty() ? store_->active_runs() : store_->runs(thread_id))
    if ((row.status == "pending" || row.status == "running") && (status == "all" || row.status == status))
      out.push_back(row.run_id);
  return out;
}

bool RunManager::cancel_run(const std::string& run_id, const std::string& action) {
  const RunStore::Cancel c = store_->cancel(run_id, action, now_ms());
  if (!c.found) return false;
  {
    std::lock_guard lock(mutex_);
    if (auto it = local_.find(run_id); it != local_.end() && !it->second->ended) {
      it->second->cancel_action = action;
      it->second->cancel.cancel();
    }
    wake_arrivals();
  }
  return true;
}

bool RunManager::delete_run(const std::string& run_id) {
  {
    std::lock_guard lock(mutex_);
    if (auto it = local_.find(run_id); it != local_.end() && !it->second->ended) {
      it->second->cancel_action = "interrupt";
      it->second->cancel.cancel();
    }
  }
  return store_->delete_run(run_id);
}

}  // namespace sg::server
