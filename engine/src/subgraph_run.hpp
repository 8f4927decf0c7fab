#pragma once
// Subgraph runs: a graph run started from inside a node of another run (a node added with a
// CompiledGraph, or a node calling another graph's invoke/stream) runs as that task's child
// (LangGraph: pregel/main.py Pregel.stream with CONFIG_KEY_CHECKPOINTER / CHECKPOINT_NS /
// CHECKPOINT_MAP inherited from the parent's config; semantics reference §3.7):
//  - same thread_id, checkpoint_ns "<parent ns>|<node>:<task id>" (SubgraphCheckpoints::stateful:
//    "<parent ns>|<node>"), the parent's checkpointer, and no lock of its own: the parent run's
//    lock covers its children, so a child never waits for its own parent;
//  - metadata "parents" = the parent's parents plus {parent ns: the checkpoint the parent's step
//    was planned from}; a child that finds its latest checkpoint written for that same parent
//    step resumes it (the parent runs the task again after an interrupt, error or crash);
//  - its events go up to the parent's stream (StreamModes::subgraphs), its interrupts pause the
//    parent task (GraphInterruptSignal), a Command to the parent ends it (ParentCommandSignal).

#include <string>

#include <nlohmann/json.hpp>

#include "stategraph/detail/engine.hpp"

namespace sg::detail {

struct RunShared;

/// What a subgraph run takes from the run of the task that started it.
struct SubgraphLink {
  RunShared* parent = nullptr;
  BaseCheckpointSaver* saver = nullptr;  ///< null: the subgraph stores nothing
  nlohmann::json parents = nlohmann::json::object();
  std::string parent_ns;
  std::string parent_checkpoint_id;
};

/// The Pregel loop (pregel_run.cpp); `link` is null for a top-level run.
RawResult run_loop(const Engine& engine, RunInput input, const RunConfig& config, StreamModes modes,
                   const EventSink& sink, const SubgraphLink* link);

/// Runs `engine` as a subgraph of the task `parent` (see above). `user` is the config the node
/// passed: its interrupt_before/after and context are used (the parent's context when it has
/// none); thread_id, checkpoint_ns, checkpoint_id, durability, limits, metadata and the cancel
/// token are the parent's.
/// @throws GraphInterruptSignal when the subgraph paused, ParentCommandSignal, and whatever the
///         run throws.
RawResult run_subgraph(const Engine& engine, RunInput input, const RunConfig& user, StreamModes modes,
                       const EventSink& sink, TaskScope& parent);

/// The graph whose runs use checkpoint namespace `ns` under `root`: each level of `ns` names a
/// node of the graph above it that runs a subgraph (add_node with a CompiledGraph). A namespace
/// whose first level names no such node is `root`'s own (a top-level run may use any namespace).
/// @throws ConfigError sg.run.312 when a deeper level names no subgraph, or the graph found has
///         another state type than `root` (the typed API would misread its values).
const Engine& engine_for_namespace(const Engine& root, const std::string& ns);

}  // namespace sg::detail
