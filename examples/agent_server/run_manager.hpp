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
/// Where things live: checkpoints are in the graphs' savers (durable); thread records (metadata,
/// status) and run records with their event logs are kept in this process's memory — a restart
/// forgets runs and thread metadata, though every thread with checkpoints is still found
/// through the saver (README "Serving a graph": not yet durable rows).
///
/// Thread-safety: every member is thread-safe.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent_server/served_graph.hpp"
#include "agent_server/server_error.hpp"

namespace sg::server {

/// One server-sent event of a run: `event` is "metadata", "values", "updates|<ns>", ... and
/// `data` its JSON; `id` counts from 0 in the run's log.
struct RunEvent {
  std::uint64_t id = 0;
  std::string event;
  nlohmann::json data;
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
 public:
  /// @param graphs graph id → graph (each with its checkpointer).
  /// @param workers runs executing at once.
  RunManager(std::map<std::string, std::shared_ptr<const ServedGraph>> graphs, std::size_t workers);
  /// Cancels every run and joins the workers.
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
  RunRecord create_run(const std::string& thread_id, const std::string& graph_id, const nlohmann::json& body);
  [[nodiscard]] std::optional<RunRecord> run(const std::string& run_id) const;
  [[nodiscard]] std::vector<RunRecord> list_runs(const std::string& thread_id, std::size_t limit, std::size_t offset,
                                                 const std::string& status) const;
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
  /// Blocks until the run ended (or `cancel` is cancelled); then its final values as
  /// /runs/wait answers them: the last values event's data, with "__interrupt__" when the run
  /// paused, or {"__error__": {"error", "message"}} when it failed. nullopt: no such run.
  [[nodiscard]] std::optional<nlohmann::json> wait(const std::string& run_id, const sg::CancellationToken& cancel) const;

  /// UTC now as ISO 8601 with milliseconds and "+00:00".
  [[nodiscard]] static std::string now();

 private:
  struct Run;
  struct Thread;
  void worker_loop();
  void execute(const std::shared_ptr<Run>& run);
  void publish(Run& run, std::string event, nlohmann::json data);
  void finish(const std::shared_ptr<Run>& run, const std::string& status);
  std::shared_ptr<Thread> find_thread_locked(const std::string& thread_id) const;
  std::shared_ptr<Thread> adopt_from_saver_locked(const std::string& thread_id) const;
  [[nodiscard]] bool thread_has_active_run_locked(const std::string& thread_id) const;
  void schedule_locked(const std::string& thread_id);

  std::map<std::string, std::shared_ptr<const ServedGraph>> graphs_;
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;  // a run's events or status changed
  std::condition_variable work_;             // a run became ready
  mutable std::map<std::string, std::shared_ptr<Thread>> threads_;
  std::map<std::string, std::shared_ptr<Run>> runs_;
  std::deque<std::shared_ptr<Run>> ready_;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace sg::server
