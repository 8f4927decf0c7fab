#pragma once
/// @file
/// A run's options from the Agent Server's RunCreate body (LangGraph: langgraph-api
/// schemas.mjs RunCreate, api/runs.mjs createValidRun), and what they become for the engine.
///
///   input, command {resume, update, goto}, config {configurable {checkpoint_id, checkpoint_ns,
///   ...}, recursion_limit, metadata}, metadata, stream_mode (a mode or a list; default
///   ["values"]), stream_subgraphs, interrupt_before / interrupt_after (lists of nodes),
///   checkpoint {checkpoint_id, checkpoint_ns}, checkpoint_id, multitask_strategy (reject |
///   enqueue | interrupt | rollback; default reject), if_not_exists (create | reject),
///   on_completion (delete | keep), on_disconnect (cancel | continue), durability (sync | async |
///   exit; or the deprecated checkpoint_during: true = async, false = exit, not with durability),
///   after_seconds.
///
/// Thread-safety: pure functions.

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <stategraph/run_config.hpp>
#include <stategraph/stream.hpp>

namespace sg::server {

struct RunOptions {
  nlohmann::json kwargs = nlohmann::json::object();    ///< the body's run fields (Run.kwargs)
  nlohmann::json metadata = nlohmann::json::object();  ///< the run's metadata
  nlohmann::json input;                                ///< null: continue the thread
  nlohmann::json command;                              ///< null: none
  std::vector<std::string> stream_mode{"values"};      ///< as requested
  bool stream_subgraphs = false;
  /// Keep the run's events once it ended, for a stream joined later (LangGraph's
  /// `stream_resumable`): for its linger in memory, and in the store when another process
  /// watches it. Without it, an ended run whose events nobody read or watched drops them at once.
  bool stream_resumable = false;
  std::optional<std::string> checkpoint_id;
  std::string checkpoint_ns;
  std::optional<std::vector<std::string>> interrupt_before;
  std::optional<std::vector<std::string>> interrupt_after;
  std::optional<int> recursion_limit;
  sg::Durability durability = sg::Durability::async;
  nlohmann::json config_metadata = nlohmann::json::object();  ///< config.metadata
  std::string multitask_strategy = "reject";
  std::string if_not_exists = "reject";
  std::string on_completion = "delete";
  std::string on_disconnect = "continue";
  double after_seconds = 0;  ///< the run stays pending this long (a run worker waits with it)
};

/// Reads a RunCreate body.
/// @throws RunRejected (run_manager.hpp) invalid_request naming the field that is malformed or has a value
///         outside its set (as LangGraph's validation answers).
[[nodiscard]] RunOptions parse_run_options(const nlohmann::json& body);

/// The engine's stream modes for the requested ones ("messages-tuple" → messages; "events" is
/// built from debug and messages events by the run (events_mode.hpp); "messages" (the legacy
/// message-stream events) has no counterpart and is ignored).
[[nodiscard]] sg::StreamModes stream_modes(const RunOptions& options);

/// The RunConfig of a run of `options` on `thread_id`.
[[nodiscard]] sg::RunConfig run_config(const RunOptions& options, const std::string& thread_id,
                                       const sg::CancellationToken& cancel);

}  // namespace sg::server
