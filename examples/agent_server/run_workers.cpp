// RunManager's threads (run_manager.hpp): the workers that claim runs from the store, the
// housekeeper that writes events, renews leases and passes on cancels, and the readers of a run's
// events and end (its own process's from memory, another's from the store).
#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <random>
#include <utility>

#include "agent_server/json_text.hpp"
#include "agent_server/run_manager.hpp"
#include "agent_server/run_options.hpp"
#include "agent_server/run_state.hpp"

namespace sg::server {
namespace {

bool terminal(const std::string& status) { return status == "success" || status == "error" || status == "interrupted"; }

std::string process_id() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  std::mt19937_64 rng{std::random_device{}()};
  char tail[9];
  std::snprintf(tail, sizeof tail, "%08x", static_cast<unsigned>(rng()));
  return std::string(host) + ":" + std::to_string(getpid()) + ":" + tail;
}

/// `base` ± 25 %, so the workers of many processes do not poll in step.
std::chrono::milliseconds jittered(std::chrono::milliseconds base) {
  thread_local std::mt19937 rng{std::random_device{}()};
  const auto quarter = std::max<std::int64_t>(base.count() / 4, 1);
  return std::chrono::milliseconds(base.count() - quarter + static_cast<std::int64_t>(rng() % (2 * quarter + 1)));
}

RunEvent run_event(const StoredEvent& e) {
  auto data = nlohmann::json::parse(e.data, nullptr, false);
  return {static_cast<std::uint64_t>(e.seq), e.event, LazyJson(data.is_discarded() ? nlohmann::json() : std::move(data))};
}

}  // namespace

RunManager::RunManager(std::map<std::string, std::shared_ptr<const ServedGraph>> graphs,
                       std::shared_ptr<RunStore> store, RunManagerOptions options)
    : graphs_(std::move(graphs)), store_(std::move(store)), options_(std::move(options)), owner_(process_id()) {
  for (std::size_t i = 0; i < std::max<std::size_t>(options_.workers, 1); ++i)
    workers_.emplace_back([this] { worker_loop(); });
  housekeeper_ = std::thread([this] { housekeeper_loop(); });
}

RunManager::~RunManager() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    for (auto& [id, run] : local_) {
      if (!run->ended) {
        run->cancel_action = "release";  // another process (or the next start) continues it
        run->cancel.cancel();
      }
      run->cv.notify_all();
      run->ended_cv.notify_all();
    }
    wake_arrivals();
  }
  work_.notify_all();
  for (auto& w : workers_) w.join();
  {
    std::lock_guard lock(mutex_);
    workers_done_ = true;
  }
  housekeeping_.notify_all();
  housekeeper_.join();
}

void RunManager::log(const std::string& line) const {
  if (options_.log) options_.log(line);
  else std::cerr << "sg-agent-server: " << line << "\n";
}

void RunManager::worker_loop() {
  std::vector<std::string> served;
  for (const auto& [id, graph] : graphs_) served.push_back(id);
  bool woken = false;  // by this process's admission of a run: one waits, no need to look first
  std::chrono::milliseconds backoff{0};
  for (;;) {
    std::uint64_t seen = 0;
    std::shared_ptr<Run> handed;  // claimed at its admission in this process (given back at a stop)
    {
      std::lock_guard lock(mutex_);
      if (stopping_ && ready_.empty()) return;
      seen = wakeups_;
      if (!ready_.empty()) {
        handed = std::move(ready_.front());
        ready_.pop_front();
        ++executing_;
      }
    }
    if (handed) {
      execute(handed);
      std::lock_guard lock(mutex_);
      --executing_;
      continue;
    }
    std::optional<StoredRun> row;
    try {
      row = store_->claim(owner_, now_ms(), options_.lease.count(), served, !woken);
      if (store_down_.exchange(false)) log("the run store answers again");
      backoff = std::chrono::milliseconds(0);
    } catch (const std::exception& e) {
      // Logged once per outage; the workers retry less and less often, up to every 5 s.
      if (!store_down_.exchange(true)) log(std::string("the run store failed; retrying: ") + e.what());
      backoff = std::min<std::chrono::milliseconds>(std::max(backoff * 2, options_.poll), std::chrono::seconds(5));
      std::unique_lock lock(mutex_);
      work_.wait_for(lock, jittered(backoff), [&] { return stopping_; });
      continue;
    }
    if (!row) {
      std::unique_lock lock(mutex_);
      woken = work_.wait_for(lock, jittered(options_.poll),
                             [&] { return stopping_ || wakeups_ != seen || !ready_.empty(); });
      continue;
    }
    woken = true;  // busy: look for the next one straight away
    auto run = adopt_claimed(*row);
    {
      std::lock_guard lock(mutex_);
      ++executing_;
    }
    execute(run);
    std::lock_guard lock(mutex_);
    --executing_;
  }
}

std::shared_ptr<RunManager::Run> RunManager::adopt_claimed(const StoredRun& row) {
  auto run = std::make_shared<Run>();
  run->row = row;
  run->record = run_record(row);
  run->record.status = "running";
  run->graph = graphs_.at(row.graph_id);
  run->watched = row.watched;
  try {
    // A run taken over from a process that died: its events go on after the stored ones (with a
    // gap, as events the dead process had not stored yet may have reached a client).
    if (row.attempt > 1) run->first_seq = static_cast<std::uint64_t>(store_->next_event_seq(row.run_id)) + 10000;
  } catch (const std::exception& e) {
    log("reading run " + row.run_id + "'s events failed: " + e.what());
    run->first_seq = 1000000;
  }
  {
    std::lock_guard lock(mutex_);
    local_[row.run_id] = run;
    active_.push_back(run);
    if (stopping_) {
      run->cancel_action = "release";
      run->cancel.cancel();
    }
    if (auto a = arrivals_.find(row.run_id); a != arrivals_.end()) a->second.cv.notify_all();
  }
  return run;
}

void RunManager::await_local(std::unique_lock<std::mutex>& lock, const std::string& run_id,
                             std::chrono::steady_clock::time_point until) const {
  auto& arrival = arrivals_[run_id];
  ++arrival.waiters;
  arrival.cv.wait_until(lock, until, [&] { return stopping_ || local_.contains(run_id); });
  if (--arrival.waiters == 0) arrivals_.erase(run_id);
}

void RunManager::wake_arrivals() const {
  for (auto& [id, arrival] : arrivals_) arrival.cv.notify_all();
}

void RunManager::publish(Run& run, std::string event, LazyJson data) {
  {
    std::lock_guard lock(mutex_);
    run.log.push_back(RunEvent{run.first_seq + run.log.size(), std::move(event), std::move(data)});
  }
  run.cv.notify_all();
}

std::vector<StoredEvent> RunManager::unflushed_events(Run& run, std::size_t& upto, bool unwatched_too) const {
  std::vector<StoredEvent> batch;
  std::lock_guard lock(mutex_);
  upto = run.flushed;
  if (!run.watched && !unwatched_too) return batch;  // nobody elsewhere reads them
  upto = run.log.size();
  for (std::size_t i = run.flushed; i < upto; ++i)
    batch.push_back({static_cast<std::int64_t>(run.log[i].id), run.log[i].event, json_text(run.log[i].data.get())});
  return batch;
}

void RunManager::flush_events(Run& run) {
  std::lock_guard flushing(run.flushing);
  std::size_t upto = 0;
  const std::vector<StoredEvent> batch = unflushed_events(run, upto);
  if (batch.empty()) return;
  store_->append_events(run.row.run_id, batch);
  std::lock_guard lock(mutex_);
  run.flushed = upto;
}

void RunManager::housekeeper_loop() {
  using clock = std::chrono::steady_clock;
  auto next_renew = clock::now() + options_.lease / 4;
  auto next_cancel_poll = clock::now() + options_.poll;
  auto next_prune = clock::now() + std::chrono::seconds(5);
  for (;;) {
    std::vector<std::shared_ptr<Run>> runs;
    {
      std::unique_lock lock(mutex_);
      housekeeping_.wait_for(lock, options_.flush, [&] { return stopping_ && workers_done_; });
      if (stopping_ && workers_done_) break;
      runs = active_;
    }
    try {
      for (const auto& run : runs) flush_events(*run);
      const auto now = clock::now();
      auto stop = [&](const std::string& run_id, const std::string& action) {
        std::lock_guard lock(mutex_);
        auto it = local_.find(run_id);
        if (it == local_.end() || it->second->ended || it->second->cancel.cancelled()) return;
        it->second->cancel_action = action;
        it->second->cancel.cancel();
      };
      if (!runs.empty() && now >= next_cancel_poll) {  // asked through another process
        next_cancel_poll = now + options_.poll;
        for (const auto& request : store_->requests(owner_)) {
          if (!request.cancel.empty()) stop(request.run_id, request.cancel);
          if (request.watched) {
            std::lock_guard lock(mutex_);
            if (auto it = local_.find(request.run_id); it != local_.end()) it->second->watched = true;
          }
        }
      }
      if (!runs.empty() && now >= next_renew) {
        next_renew = now + options_.lease / 4;
        std::vector<std::string> ids;
        for (const auto& run : runs) ids.push_back(run->row.run_id);
        for (const auto& lease : store_->renew(owner_, ids, now_ms() + options_.lease.count()))
          if (!lease.held) stop(lease.run_id, "lost");  // deleted, or taken over after a stall
      }
      forget_ended(false);
      if (now >= next_prune) {
        next_prune = now + std::chrono::minutes(1);
        store_->prune_events(now_ms() - options_.event_retention.count());
      }
    } catch (const std::exception& e) {
      if (!store_down_.exchange(true)) log(std::string("the run store failed; retrying: ") + e.what());
    }
  }
  forget_ended(true);
}

void RunManager::forget_ended(bool all) {
  std::vector<std::pair<std::string, std::string>> threads;  // (run, thread to delete)
  // Destroyed after the lock is released: a run holds its event log and final state (a whole
  // conversation), and freeing many under mutex_ stalled every run and stream of the process.
  std::vector<std::shared_ptr<Run>> gone;
  {
    std::lock_guard lock(mutex_);
    const auto now = std::chrono::steady_clock::now();
    while (!ended_.empty() && (all || ended_.front().until <= now)) {
      if (auto it = local_.find(ended_.front().run_id); it != local_.end()) {
        gone.push_back(std::move(it->second));
        local_.erase(it);
      }
      if (!ended_.front().delete_thread.empty()) threads.emplace_back(ended_.front().run_id, ended_.front().delete_thread);
      ended_.pop_front();
    }
  }
  for (const auto& [run_id, thread_id] : threads) {  // stateless runs' threads
    try {
      store_->delete_thread(thread_id);
      for (const auto& [graph_id, graph] : graphs_)
        if (graph->checkpointer()) graph->checkpointer()->delete_thread(thread_id);
    } catch (const std::exception& e) {
      log("deleting stateless run " + run_id + "'s thread failed: " + e.what());
    }
  }
}

RunManager::EventBatch RunManager::events(const std::string& run_id, std::uint64_t from,
                                          std::chrono::milliseconds wait) const {
  const auto deadline = std::chrono::steady_clock::now() + wait;
  bool watching = false;
  for (;;) {
    auto run = local_run(run_id);
    bool ended_elsewhere = false;  // this process's attempt ended and the run went on elsewhere
    if (run && from < run->first_seq) {
      // Joined from before this process took the run over: what the earlier attempt stored.
      auto stored = store_->events(run_id, static_cast<std::int64_t>(from), 1000);
      std::erase_if(stored, [&](const StoredEvent& e) { return static_cast<std::uint64_t>(e.seq) >= run->first_seq; });
      if (!stored.empty()) {
        EventBatch out;
        for (const auto& e : stored) out.events.push_back(run_event(e));
        return out;
      }
      from = run->first_seq;
    }
    if (run) {
      std::unique_lock lock(mutex_);
      if (run->streams == 0) run->read = true;
      run->cv.wait_until(lock, deadline,
                         [&] { return run->ended || run->first_seq + run->log.size() > from || stopping_; });
      EventBatch out;
      for (std::size_t i = from - run->first_seq; i < run->log.size(); ++i) out.events.push_back(run->log[i]);
      // A run given back or lost goes on elsewhere: its stream goes on from the store.
      const bool elsewhere = run->cancel_action == "release" || run->cancel_action == "lost";
      out.done = (run->ended && !elsewhere) || stopping_;
      if (!run->ended || !elsewhere || !out.events.empty()) return out;
      ended_elsewhere = true;
    }
    // Another process's run (or this one's earlier attempt, or one not claimed yet): the store.
    constexpr std::size_t kPage = 1000;
    const auto row = store_->run(run_id);
    if (!row) return {{}, true, false};
    const bool ended = terminal(row->status);
    // It ran here meanwhile: its events are in memory (not when this process's attempt is the one
    // that went elsewhere: looking again would spin until the run leaves memory).
    if (ended && !ended_elsewhere && local_run(run_id)) continue;
    if (!ended && !row->watched && !watching) {  // ask its executor to store its events
      store_->watch(run_id);
      watching = true;
    }
    const auto stored = store_->events(run_id, static_cast<std::int64_t>(from), kPage);
    if (!stored.empty() || ended || std::chrono::steady_clock::now() >= deadline) {
      EventBatch out;
      for (const auto& e : stored) out.events.push_back(run_event(e));
      out.done = ended && stored.size() < kPage;
      return out;
    }
    std::unique_lock lock(mutex_);
    await_local(lock, run_id, std::min(deadline, std::chrono::steady_clock::now() + options_.poll));
    if (stopping_) return {{}, true, true};
  }
}

RunManager::StreamHold RunManager::hold_stream(const std::string& run_id) const {
  StreamHold hold;
  std::lock_guard lock(mutex_);
  auto it = local_.find(run_id);
  if (it == local_.end()) return hold;
  hold.manager_ = this;
  hold.run_ = it->second;
  ++hold.run_->streams;
  hold.run_->awaited = false;
  return hold;
}

RunManager::StreamHold::StreamHold(StreamHold&& other) noexcept
    : manager_(std::exchange(other.manager_, nullptr)), run_(std::move(other.run_)) {}

RunManager::StreamHold& RunManager::StreamHold::operator=(StreamHold&& other) noexcept {
  if (this != &other) {
    let_go();
    manager_ = std::exchange(other.manager_, nullptr);
    run_ = std::move(other.run_);
  }
  return *this;
}

void RunManager::StreamHold::let_go() noexcept {
  if (!run_) return;
  std::vector<RunEvent> dropped;  // freed after the lock
  {
    std::lock_guard lock(manager_->mutex_);
    --run_->streams;
    manager_->drop_unheld_events(*run_, dropped);
  }
  run_.reset();
  manager_ = nullptr;
}

void RunManager::drop_unheld_events(Run& run, std::vector<RunEvent>& dropped) const {
  // `ended` first: the run's options are written by its worker before it ends, under no lock.
  if (!run.ended || run.streams > 0 || run.awaited || run.read || run.watched || run.options.stream_resumable) return;
  run.first_seq += run.log.size();
  run.flushed = 0;
  dropped.swap(run.log);
}

std::optional<nlohmann::json> RunManager::wait(const std::string& run_id, const sg::CancellationToken& cancel) const {
  auto text = wait_text(run_id, cancel);
  if (!text) return std::nullopt;
  return nlohmann::json::parse(*text);
}

std::optional<std::string> RunManager::wait_text(const std::string& run_id, const sg::CancellationToken& cancel) const {
  for (;;) {
    if (auto run = local_run(run_id)) {
      std::unique_lock lock(mutex_);
      while (!run->ended && !stopping_ && !cancel.cancelled()) run->ended_cv.wait_for(lock, std::chrono::milliseconds(200));
      const bool elsewhere = run->cancel_action == "release" || run->cancel_action == "lost";
      if (run->ended && !elsewhere) return *run->final_text;
      if (!run->ended) return std::string("{}");  // the caller went away, or the server stops
    }
    const auto row = store_->run(run_id);
    if (!row) return std::nullopt;
    if (terminal(row->status) || cancel.cancelled()) return json_text(row->result);
    std::unique_lock lock(mutex_);
    await_local(lock, run_id, std::chrono::steady_clock::now() + options_.poll);
    if (stopping_) return json_text(row->result);
  }
}

}  // namespace sg::server
