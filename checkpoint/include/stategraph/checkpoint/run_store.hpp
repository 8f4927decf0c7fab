#pragma once
/// @file
/// sg::RunStore — the durable rows a server keeps beside a store's checkpoints: threads (a JSON
/// document each), runs (a queue of jobs that workers of any process claim with a lease) and
/// each run's events (what a stream of the run showed, so any process can replay and follow it).
/// The Agent Server (examples/agent_server) is its user: LangGraph Platform keeps the same three
/// things in its Postgres (langgraph-api storage: threads, runs, the run stream).
///
/// Tables, created when missing in the store's database (beside the saver's): sg_threads,
/// sg_runs, sg_run_events (run_store.cpp). Backends: SQLite (the saver's file; one writer at a
/// time, so a claim is atomic under BEGIN IMMEDIATE), Postgres (the saver's database and schema;
/// a claim is `UPDATE ... WHERE run_id = (SELECT ... FOR UPDATE SKIP LOCKED)`; thread rows are
/// locked `FOR UPDATE` while a run is admitted), and `memory` (an in-memory SQLite database,
/// private to the process). Opened by sg::open_run_store (open_store.hpp).
///
/// Times are milliseconds since the Unix epoch, from the calling process's clock: processes that
/// share a store must have clocks within a small fraction of the lease (NTP).
///
/// Errors: every call may throw sg::SaverError — [sg.saver.401] unreachable / busy database,
/// [sg.saver.402] a row that is not valid (its JSON does not parse), [sg.saver.407] another
/// database error.
/// Thread-safety: every member is thread-safe; calls of several processes on one store are
/// atomic as each member says.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace sg {

/// A thread row: its id, a JSON document the server owns (metadata, graph id, last values, ...),
/// and whether a run of it is pending or running right now (filled by reads, never stored).
struct StoredThread {
  std::string thread_id;
  nlohmann::json doc = nlohmann::json::object();
  std::int64_t created_ms = 0;
  std::int64_t updated_ms = 0;
  bool busy = false;  ///< read-only: a run of the thread is running, or pending and not cancelled
};

/// A run row. Status: "pending" (waits to be claimed; also after a graceful release),
/// "running" (claimed by `owner` until `lease_until_ms`), then "success", "error" or
/// "interrupted". A running row whose lease ran out is claimed again by anyone (attempt + 1).
struct StoredRun {
  std::string run_id;
  std::string thread_id;
  std::string graph_id;  ///< claimed only by processes that serve this graph
  std::int64_t seq = 0;  ///< creation order, assigned by the store
  std::string status = "pending";
  std::int64_t created_ms = 0;
  std::int64_t updated_ms = 0;
  std::int64_t not_before_ms = 0;  ///< not claimed before this time (after_seconds)
  std::string owner;               ///< the claiming process's id while running
  std::int64_t lease_until_ms = 0;
  int attempt = 0;     ///< claims so far
  bool watched = false;  ///< see RunStore::watch
  std::string cancel;  ///< a requested cancel: "" | "interrupt" | "rollback"
  nlohmann::json doc = nlohmann::json::object();     ///< the server's record of the run
  nlohmann::json result = nlohmann::json::object();  ///< set when it ends
};

/// One event of a run's stream: `seq` counts from 0 per run; `data` is JSON text.
struct StoredEvent {
  std::int64_t seq = 0;
  std::string event;
  std::string data;
};

namespace run_store_detail {
class Backend;
}

class RunStore {
 public:
  /// Takes a backend (open_run_store builds them).
  explicit RunStore(std::unique_ptr<run_store_detail::Backend> backend);
  ~RunStore();
  RunStore(const RunStore&) = delete;
  RunStore& operator=(const RunStore&) = delete;

  // Threads ---------------------------------------------------------------------------------
  /// Inserts the thread. @returns false (and changes nothing) when its id exists.
  bool create_thread(const StoredThread& thread);
  [[nodiscard]] std::optional<StoredThread> thread(std::string_view thread_id);
  /// Every thread, most recently updated first.
  [[nodiscard]] std::vector<StoredThread> threads();
  /// Applies `merge_patch` (RFC 7386) to the thread's document atomically, sets updated_ms.
  /// @returns the thread after the patch; nullopt when there is no such thread.
  std::optional<StoredThread> patch_thread(std::string_view thread_id, const nlohmann::json& merge_patch,
                                           std::int64_t now_ms);
  /// Deletes the thread's row, its runs and their events. @returns whether it existed.
  bool delete_thread(std::string_view thread_id);

  // Runs ------------------------------------------------------------------------------------
  /// What create_run did.
  struct Admission {
    bool thread_missing = false;  ///< no such thread and no row to create: nothing done
    bool rejected = false;        ///< strategy "reject" and the thread is busy: nothing done
    std::int64_t seq = 0;         ///< the new run's seq
    /// Runs of the thread ended by strategy interrupt/rollback while pending (rollback: deleted).
    std::vector<std::string> ended;
    /// Running runs of the thread asked to stop (their `cancel` set to the strategy).
    std::vector<std::string> stopping;
    /// The run was claimed in the same transaction (see `claim_owner`): running under it.
    bool claimed = false;
  };
  /// Admits `run` (status pending) on its thread in one transaction, the thread row locked:
  /// creates the thread from `create_thread` when it is missing (if given); applies
  /// `multitask_strategy` to the thread's active runs ("reject": refuse when there is one;
  /// "interrupt" / "rollback": end pending ones, ask running ones to stop; "enqueue": none);
  /// inserts the run and merge-patches the thread's document with `thread_patch`.
  /// `claim_owner` (non-empty): when the run may start at once (no other active run of its
  /// thread, not_before passed) and no older run waits that could start now (a pending run of a
  /// thread with no run running: first come, first served), it is inserted claimed by that owner until `lease_until_ms`
  /// (attempt 1) — the admitting process runs it without a claim of its own. `run.watched` is
  /// stored when the run is not claimed so.
  Admission create_run(const StoredRun& run, std::string_view multitask_strategy, const nlohmann::json& thread_patch,
                       const std::optional<StoredThread>& create_thread, std::string_view claim_owner = {},
                       std::int64_t lease_until_ms = 0);
  [[nodiscard]] std::optional<StoredRun> run(std::string_view run_id);
  /// The thread's runs, newest first.
  [[nodiscard]] std::vector<StoredRun> runs(std::string_view thread_id);
  /// The runs of every thread that are pending or running, oldest first (POST /runs/cancel by
  /// status). @throws SaverError as the other calls.
  [[nodiscard]] std::vector<StoredRun> active_runs();

  /// Claims the oldest run that may start now — pending, not cancelled, `not_before_ms` passed,
  /// the oldest active one of its thread and no run of its thread running — or a running one
  /// whose lease ran out — of one of `graph_ids` (the graphs the caller serves; ids must not
  /// contain ','); sets it running under `owner` until now + lease, attempt + 1.
  /// Atomic across processes (one claimant per run). @returns nullopt when there is none.
  /// `look_first`: a read transaction first, so that a poll that finds nothing takes no write
  /// lock (false when a run is known to wait, e.g. just admitted by this process).
  std::optional<StoredRun> claim(std::string_view owner, std::int64_t now_ms, std::int64_t lease_ms,
                                 std::span<const std::string> graph_ids, bool look_first = true);

  /// A run `owner` executes, as renew() finds it.
  struct Lease {
    std::string run_id;
    bool held = false;   ///< still running under `owner` (false: ended, deleted or taken over)
    std::string cancel;  ///< a cancel requested by anyone since
  };
  /// Extends the leases of `run_ids` that `owner` still holds to `until_ms`, in one statement.
  std::vector<Lease> renew(std::string_view owner, std::span<const std::string> run_ids, std::int64_t until_ms);
  /// What other processes asked of a run `owner` executes.
  struct Request {
    std::string run_id;
    std::string cancel;    ///< a requested cancel ("" for none)
    bool watched = false;  ///< a stream of it is open elsewhere: store its events (watch())
    bool operator==(const Request&) const = default;
  };
  /// The runs running under `owner` with a cancel requested or a watcher. A read.
  [[nodiscard]] std::vector<Request> requests(std::string_view owner);
  /// Marks the run as followed by a stream in a process that does not execute it: its executor
  /// then stores its events (from the first) for that stream to read.
  void watch(std::string_view run_id);

  /// Ends a run `owner` holds: status, result (JSON text, stored as it is), and a merge patch of
  /// its thread's document (with "status": the patch's "status" is only applied when no other
  /// run of the thread is active).
  /// `erase`: delete the run row and its events instead (a rolled-back run).
  /// `release`: back to pending for any process to claim (a graceful stop; "interrupted" when a
  /// cancel was requested meanwhile); status and thread_patch are ignored.
  /// `events_if_watched`: called (inside the transaction) only when the run is watched; its
  /// events are appended in the same transaction (as append_events), so a watcher that sees the
  /// run ended has all of them. On SQLite it may be called on another thread (the one that
  /// commits the process's queued writes together, then waiting on this one's and others') and
  /// more than once (when another write of that group fails): it must return the same events
  /// each time and must not wait for a lock that a thread may hold while it writes to this store
  /// or a saver of the same file.
  /// @returns false when `owner` no longer held it (nothing changed).
  bool finish(std::string_view run_id, std::string_view owner, std::string_view status, std::string_view result_json,
              const nlohmann::json& thread_patch, std::int64_t now_ms, bool erase = false, bool release = false,
              const std::function<std::vector<StoredEvent>()>& events_if_watched = {});

  /// What cancel() did.
  struct Cancel {
    bool found = false;
    bool ended = false;  ///< it was pending: it is "interrupted" now (rollback: deleted)
    std::string owner;   ///< it is running under this owner, who was asked to stop
  };
  /// Cancels a run: a pending one ends at once; a running one gets `cancel` = action for its
  /// owner to see (renew). A run that has ended is left as it is (found).
  Cancel cancel(std::string_view run_id, std::string_view action, std::int64_t now_ms);
  /// Deletes the run row and its events (a running run's owner sees held = false and stops).
  /// @returns whether it existed.
  bool delete_run(std::string_view run_id);

  // Events ----------------------------------------------------------------------------------
  /// Appends events (seqs as given; an existing (run, seq) is left as it is) in one transaction.
  void append_events(std::string_view run_id, std::span<const StoredEvent> events);
  /// The run's events with seq ≥ `from`, in order, at most `limit`.
  [[nodiscard]] std::vector<StoredEvent> events(std::string_view run_id, std::int64_t from, std::size_t limit);
  /// One more than the run's highest event seq (0 when it has none).
  [[nodiscard]] std::int64_t next_event_seq(std::string_view run_id);
  /// Deletes the events of runs that ended before `ended_before_ms`. @returns events deleted.
  std::size_t prune_events(std::int64_t ended_before_ms);

  /// "sqlite", "postgres" or "memory".
  [[nodiscard]] std::string_view backend_name() const noexcept;

 private:
  std::unique_ptr<run_store_detail::Backend> backend_;
};

}  // namespace sg
