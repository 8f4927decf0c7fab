#pragma once
// RunManager's private records (run_manager.cpp, run_execution.cpp). Guarded by
// RunManager::mutex_ except where a field says otherwise.

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "agent_server/run_manager.hpp"
#include "agent_server/run_options.hpp"

namespace sg::server {

struct RunManager::Run {
  RunRecord record;
  RunOptions options;
  std::shared_ptr<const ServedGraph> graph;
  std::vector<RunEvent> log;
  bool started = false;
  bool ended = false;
  sg::CancellationToken cancel;
  std::string cancel_action;      ///< "interrupt" | "rollback" once cancelled
  nlohmann::json final_values;    ///< what /runs/wait answers
};

struct RunManager::Thread {
  ThreadRecord record;
  std::deque<std::shared_ptr<Run>> queue;  ///< its pending and running runs, in order
  bool scheduled = false;                  ///< the queue's head is in ready_ or running
};

}  // namespace sg::server
