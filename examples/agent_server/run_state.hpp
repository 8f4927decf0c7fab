#pragma once
// RunManager's record of a run this process executes (run_manager.cpp, run_execution.cpp,
// run_workers.cpp). Guarded by RunManager::mutex_ except where a field says otherwise.

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "agent_server/run_manager.hpp"
#include "agent_server/run_options.hpp"

namespace sg::server {

/// A run row as the API shows it.
[[nodiscard]] RunRecord run_record(const StoredRun& row);

struct RunManager::Run {
  StoredRun row;  ///< as claimed (const after the claim)
  RunRecord record;
  RunOptions options;
  std::shared_ptr<const ServedGraph> graph;
  std::uint64_t first_seq = 0;  ///< the id of log[0] (later than the events of earlier attempts)
  std::vector<RunEvent> log;    ///< this attempt's events
  std::size_t flushed = 0;      ///< log entries in the store
  bool watched = false;         ///< a stream in another process follows it: store its events
  /// Its events are read by RunManager::events without a StreamHold (kept until the linger).
  bool read = false;
  /// A /runs/stream created it and its stream has not taken its hold yet (kept until it does).
  bool awaited = false;
  int streams = 0;  ///< StreamHolds on it (RunManager::drop_unheld_events)
  std::mutex flushing;          ///< one writer of the log to the store at a time (no mutex_ held)
  bool ended = false;
  std::condition_variable cv;   ///< its log grew or it ended (waited on with mutex_)
  /// It ended, or the manager stops (waited on with mutex_ by RunManager::wait, which is not woken
  /// by every event as `cv`'s waiters are).
  std::condition_variable ended_cv;
  sg::CancellationToken cancel;
  std::string cancel_action;    ///< "interrupt" | "rollback" | "release" (a stop) | "lost" once cancelled
  /// What /runs/wait answers, until the run ends; then it is encoded once as `final_text` (the
  /// run's result in the store and every wait's answer) and freed — a run lingers in memory for
  /// RunManagerOptions::linger holding its result as text, a fraction of the tree's size.
  nlohmann::json final_values;
  std::shared_ptr<const std::string> final_text;  ///< set when `ended` is
};

}  // namespace sg::server
