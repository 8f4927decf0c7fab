#pragma once
/// @file
/// sg::server::RunManager: the Agent Server's threads and runs — records, a per-thread queue of
/// runs, worker threads that execute them on their ServedGraph, and each run's event log that any
/// number of HTTP streams join (LangGraph: langgraph-api storage/ops.mjs Threads/Runs,
/// queue.mjs worker, stream.mjs streamState).
///
/// Lifecycle of a run: created "pending" (multitask_strategy decides what happens to the runs
/// already pending or running on its thread: reject → RunRejected, enqueue → it waits its turn,
/// interrupt / rollback → they are cancelled first), "running" on a worker, then "success"
/// (an interrupt() in the graph is a success: the *thread* becomes "interrupted"), "error", or
/// "interrupted" when cancelled. A thread is "busy" while one of its runs is pending or running,
/// else "interrupted" when its latest checkpoint has tasks left, "error" after a failed run,
/// "idle" otherwise.
///
/// Where things live: checkpoints in the graphs' savers; thread and run rows and each run's
/// events in a sg::RunStore (stategraph/checkpoint/run_store.hpp) — with a SQLite or Postgres
/// store, durable and shared by every server process on it. A run is admitted as a pending row;
/// any process's worker claims it with a lease (renewed every lease/4); a run whose process dies
/// is claimed again when its lease runs out and continues from its thread's last checkpoint
/// (a step whose checkpoint was saved is not run again). The executing process keeps the run's
/// events in memory for its own streams and writes them to the store every flush interval
/// (and all of them before the run ends), where streams served by other processes read them.
/// A graceful stop gives running runs back (pending again) for another process to continue.
///
/// Thread-safety: every member is thread-safe.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>
#include <stategraph/checkpoint/run_store.hpp>

#include "agent_server/lazy_json.hpp"
#include "agent_server/served_graph.hpp"
#include "agent_server/server_error.hpp"

namespace sg::server {

/// One server-sent event of a run: `event` is "metadata", "values", "updates|<ns>", ... and
/// `data` its JSON (a values event's made when first read: a run nobody streams never encodes its
/// states); `id` counts from 0 in the run's log. Copies share `data`.
struct RunEvent {
  std::uint64_t id = 0;
  std::string event;
  LazyJson data;
};

/// A run as the API shows it, and what the server keeps of it.
struct RunRecord {
  std::string run_id;
  std::string thread_id;
  std::string assistant_id;
  std::string graph_id;
  std::string status = "pending";  ///< pending | running | success | error | interrupted
  std::string created_at;
  std::string updated_at;
  nlohmann::json metadata = nlohmann::json::object();
  /// The create request's run options (input, command, config, stream_mode, ...), as the API's
  /// Run.kwargs shows them.
  nlohmann::json kwargs = nlohmann::json::object();
  std::string multitask_strategy = "reject";
  bool temporary = false;  ///< a stateless run's thread, deleted when the run ends
};

/// A thread as the API shows it (the values and interrupts are read from the saver).
struct ThreadRecord {
  std::string thread_id;
  std::string created_at;
  std::string updated_at;
  nlohmann::json metadata = nlohmann::json::object();
  std::string graph_id;  ///< the graph of its runs ("" before the first)
  bool failed = false;   ///< the last run ended in an error
  nlohmann::json error;  ///< that error, {"error", "message"}
  bool busy = false;     ///< a run of it is pending or running
};

/// How a RunManager runs its runs.
struct RunManagerOptions {
  std::size_t workers = 4;  ///< runs executing at once in this process
  /// Runs this process claims in their admission while its workers are all busy, to start next
  /// in admission order — each saves a claim transaction, and it takes them only when no older
  /// run waits in the store (RunStore::create_run); a process that dies holding them leaves
  /// them to the others when their leases run out. 0: a run is claimed in its admission only
  /// when a worker is free.
  std::size_t claim_ahead = 32;
  /// A claimed run's lease: another process may take the run over once it ran out unrenewed.
  std::chrono::milliseconds lease{10000};
  /// How often an idle worker looks for runs created by other processes (its own wake it at once),
  /// and a stream of another process's run looks for new events.
  std::chrono::milliseconds poll{100};
  /// How often a running run's events are written to the store.
  std::chrono::milliseconds flush{20};
  /// How long a finished run's events stay in the store (joinable).
  std::chrono::milliseconds event_retention{600000};
  /// How long an ended run stays in memory, and a stateless run's thread in the store.
  std::chrono::milliseconds linger{5000};
  /// Log lines (store failures in the background); empty: std::cerr.
  std::function<void(std::string_view)> log;
};

/// A request the RunManager refuses: `id` says why (server_error.hpp: not_found, already_exists,
/// thread_busy under multitask_strategy reject, invalid_request for a bad field, stopping).
class RunRejected : public std::runtime_error {
 public:
  RunRejected(AgentServerErrorId id, const std::string& message) : std::runtime_error(message), id_(id) {}
  [[nodiscard]] AgentServerErrorId id() const noexcept { return id_; }

 private:
  AgentServerErrorId id_;
};

/// The assistant id of a served graph: UUID v5 of the graph id in the namespace LangGraph's
/// server uses for its system assistants (6ba7b821-9dad-11d1-80b4-00c04fd430c8), so the id a
/// client saw from LangGraph for graph "agent" is the same here.
[[nodiscard]] std::string assistant_id_for(const std::string& graph_id);

class RunManager {
  struct Run;  // run_state.hpp

 public:
  /// @param graphs graph id → graph (each with its checkpointer).
  /// @param store the thread and run rows (shared by every process that serves these graphs).
  RunManager(std::map<std::string, std::shared_ptr<const ServedGraph>> graphs, std::shared_ptr<RunStore> store,
             RunManagerOptions options);
  /// Stops claiming, gives the runs it executes back to the store (pending again: another process
  /// or the next start continues them) and joins its threads.
  ~RunManager();
  RunManager(const RunManager&) = delete;
  RunManager& operator=(const RunManager&) = delete;

  [[nodiscard]] const std::map<std::string, std::shared_ptr<const ServedGraph>>& graphs() const noexcept {
    return graphs_;
  }

  // Threads ---------------------------------------------------------------------------------
  /// Creates a thread (a new random id when `thread_id` is empty). `if_exists`: "raise" (409) or
  /// "do_nothing" (returns the existing one). @throws RunRejected already_exists.
  ThreadRecord create_thread(std::string thread_id, nlohmann::json metadata, const std::string& if_exists);
  /// The thread, also one that only the savers know (checkpoints from an earlier process).
  [[nodiscard]] std::optional<ThreadRecord> thread(const std::string& thread_id) const;
  /// Threads whose metadata contains every key of `metadata` (and status, when given), most
  /// recently updated first.
  [[nodiscard]] std::vector<ThreadRecord> search_threads(const nlohmann::json& metadata, const std::string& status,
                                                         std::size_t limit, std::size_t offset) const;
  /// Merges `metadata` into the thread's. @throws RunRejected not_found.
  ThreadRecord patch_thread(const std::string& thread_id, const nlohmann::json& metadata);
  /// Deletes the thread, its runs (cancelled) and its checkpoints in every served graph's saver.
  /// @returns false when there was no such thread.
  bool delete_thread(const std::string& thread_id);
  /// A new thread with a copy of `thread_id`'s checkpoints and metadata. @throws RunRejected
  /// not_found.
  ThreadRecord copy_thread(const std::string& thread_id);
  /// Whether the thread has a run pending or running.
  [[nodiscard]] bool busy(const std::string& thread_id) const;
  /// "idle" | "busy" | "interrupted" | "error" (reads the thread's state).
  [[nodiscard]] std::string thread_status(const ThreadRecord& thread) const;
  /// The same from a state already read (ThreadState JSON; nullopt: no checkpoint).
  [[nodiscard]] std::string thread_status(const ThreadRecord& thread, const std::optional<nlohmann::json>& state) const;
  /// The graph that serves the thread's state: the graph of its runs, else the only one, else
  /// null.
  [[nodiscard]] std::shared_ptr<const ServedGraph> graph_of(const ThreadRecord& thread) const;
  /// Records that `graph_id` works on the thread (an update_state before any run).
  void bind_thread(const std::string& thread_id, const std::string& graph_id);

  // Runs ------------------------------------------------------------------------------------
  /// Creates a run of `graph_id` on `thread_id` ("" for a stateless run on a temporary thread)
  /// from the API's RunCreate body, applies its multitask strategy and queues it.
  /// @throws RunRejected (not_found: graph or thread; thread_busy under reject; invalid_request;
  ///         stopping).
  /// `run_id`: the new run's id (new_id() when empty). `streamed`: the caller will stream it —
  /// when this process cannot run it at once, it is marked watched so that whichever process
  /// runs it stores its events for the stream.
  RunRecord create_run(const std::string& thread_id, const std::string& graph_id, const nlohmann::json& body,
                       const std::string& run_id = {}, bool streamed = false);
  /// A new random id (UUID v4) for a thread or run.
  [[nodiscard]] static std::string new_id();
  [[nodiscard]] std::optional<RunRecord> run(const std::string& run_id) const;
  [[nodiscard]] std::vector<RunRecord> list_runs(const std::string& thread_id, std::size_t limit, std::size_t offset,
                                                 const std::string& status) const;
  /// The ids of the runs that are `status` ("pending", "running" or "all": either) in the store,
  /// of `thread_id` or (empty) of every thread. Thread-safe.
  [[nodiscard]] std::vector<std::string> active_run_ids(const std::string& thread_id, const std::string& status) const;
  /// Cancels a pending or running run ("interrupt": its progress stays; "rollback": the run and
  /// the checkpoints it wrote are deleted). @returns false when there is no such run.
  bool cancel_run(const std::string& run_id, const std::string& action);
  /// Deletes a finished run's record. @returns false when there is no such run.
  bool delete_run(const std::string& run_id);

  /// The run's events from `from` on, waiting up to `wait` for one when there are none yet.
  /// `done` is set when the run has ended and every event was returned.
  struct EventBatch {
    std::vector<RunEvent> events;
    bool done = false;
    bool found = true;  ///< false: no such run
  };
  [[nodiscard]] EventBatch events(const std::string& run_id, std::uint64_t from, std::chrono::milliseconds wait) const;

  /// Held by a stream for as long as it reads a run's events from this process's memory. A run
  /// that ended, was not created `stream_resumable` and is not watched from another process
  /// frees its events (each values event a copy of the state) when the last hold on it is let
  /// go — or at its end when no hold was taken, none is awaited (a /runs/stream whose stream has
  /// not begun) and nobody read them without one; a stream joined later gets none of them, as
  /// from LangGraph's server without `stream_resumable`. Its result (wait) stays for the linger.
  /// Empty (false) for a run this process does not have in memory. Movable; let go when
  /// destroyed or assigned over. Not thread-safe itself (one stream's).
  class StreamHold {
   public:
    StreamHold() = default;
    StreamHold(StreamHold&& other) noexcept;
    StreamHold& operator=(StreamHold&& other) noexcept;
    StreamHold(const StreamHold&) = delete;
    StreamHold& operator=(const StreamHold&) = delete;
    ~StreamHold() { let_go(); }
    explicit operator bool() const noexcept { return run_ != nullptr; }

   private:
    friend class RunManager;
    void let_go() noexcept;
    const RunManager* manager_ = nullptr;
    std::shared_ptr<Run> run_;
  };
  /// A hold on the run's events (see StreamHold) for a stream that reads them from now on.
  [[nodiscard]] StreamHold hold_stream(const std::string& run_id) const;
  /// Blocks until the run ended (or `cancel` is cancelled); then its final values as
  /// /runs/wait answers them: the last values event's data, with "__interrupt__" when the run
  /// paused, or {"__error__": {"error", "message"}} when it failed. nullopt: no such run.
  [[nodiscard]] std::optional<nlohmann::json> wait(const std::string& run_id, const sg::CancellationToken& cancel) const;
  /// The same as JSON text (json_text.hpp), as a response sends it: a run that ended in this
  /// process answers with the text its end encoded once (no copy of the state, no encoding).
  [[nodiscard]] std::optional<std::string> wait_text(const std::string& run_id,
                                                     const sg::CancellationToken& cancel) const;

  /// UTC now as ISO 8601 with milliseconds and "+00:00".
  [[nodiscard]] static std::string now();
  /// A time in milliseconds since the epoch as now() writes it.
  [[nodiscard]] static std::string iso_time(std::int64_t ms);
  /// Milliseconds since the epoch (the store's clock).
  [[nodiscard]] static std::int64_t now_ms();

 private:
  void worker_loop();
  void housekeeper_loop();
  void execute(const std::shared_ptr<Run>& run);
  void publish(Run& run, std::string event, LazyJson data);
  void publish(Run& run, std::string event, nlohmann::json data) {
    publish(run, std::move(event), LazyJson(std::move(data)));
  }
  void flush_events(Run& run);
  /// The run's events not in the store yet — none unless it is watched or `unwatched_too`
  /// (`upto`: the log size they reach).
  [[nodiscard]] std::vector<StoredEvent> unflushed_events(Run& run, std::size_t& upto, bool unwatched_too = false) const;
  void finish(const std::shared_ptr<Run>& run, const std::string& status, nlohmann::json thread_patch);
  [[nodiscard]] std::shared_ptr<Run> local_run(const std::string& run_id) const;
  /// A claimed row as a run of this process (in local_, so its lease is renewed).
  std::shared_ptr<Run> adopt_claimed(const StoredRun& row);
  [[nodiscard]] std::optional<ThreadRecord> adopt_from_saver(const std::string& thread_id) const;
  void log(const std::string& line) const;
  /// Drops ended runs whose linger passed (all: every one) from memory; deletes stateless threads.
  void forget_ended(bool all);
  /// (mutex_ held) Moves an ended run's events into `dropped` (freed by the caller after the
  /// lock) unless a stream holds or awaits them, one read them without a hold, a process
  /// elsewhere watches the run or it is stream_resumable. Their ids stay taken.
  void drop_unheld_events(Run& run, std::vector<RunEvent>& dropped) const;

  std::map<std::string, std::shared_ptr<const ServedGraph>> graphs_;
  std::shared_ptr<RunStore> store_;
  RunManagerOptions options_;
  std::string owner_;  ///< this process's id in the store's run rows
  mutable std::mutex mutex_;
  /// Callers waiting for a run of another process (or not claimed yet) to become local here, by
  /// run id: woken when that run is adopted here, or all at once (a cancel, a thread deleted, a
  /// stop) — not by every run's end, which woke every waiter of the process.
  struct Arrival {
    std::condition_variable cv;
    std::size_t waiters = 0;
  };
  mutable std::map<std::string, Arrival, std::less<>> arrivals_;
  /// Waits (`lock` holds mutex_) until `run_id` is local here, the manager stops, `until`, or a
  /// wake_arrivals().
  void await_local(std::unique_lock<std::mutex>& lock, const std::string& run_id,
                   std::chrono::steady_clock::time_point until) const;
  /// Wakes every await_local (mutex_ held).
  void wake_arrivals() const;
  std::condition_variable housekeeping_;     // the housekeeper's sleep (woken to stop)
  std::condition_variable work_;             // a run was admitted or ended here
  std::uint64_t wakeups_ = 0;
  std::map<std::string, std::shared_ptr<Run>> local_;  // runs this process executes or just ended
  /// local_'s runs that have not ended: what the housekeeper walks every flush interval and
  /// delete_thread looks through (local_ also holds every run of the last linger — thousands
  /// at a thousand runs a second, walked under mutex_ fifty times a second before).
  std::vector<std::shared_ptr<Run>> active_;
  std::deque<std::shared_ptr<Run>> ready_;  // claimed at admission, for the next free worker
  std::size_t executing_ = 0;               // workers running a run
  /// Ended runs stay in local_ this long (streams and waits of this process read them from
  /// memory), then leave it — and a stateless run's thread is deleted then, not before, so a
  /// stream of the run served by another process can still read its events.
  struct Ended {
    std::chrono::steady_clock::time_point until;
    std::string run_id;
    std::string delete_thread;  ///< a stateless run's thread, or ""
  };
  std::deque<Ended> ended_;
  bool stopping_ = false;
  bool workers_done_ = false;
  std::atomic<bool> store_down_{false};  // the last store call of a worker failed (logged once)
  mutable bool adopted_ = false;  // every saver thread has a row
  std::vector<std::thread> workers_;
  std::thread housekeeper_;
};

}  // namespace sg::server
