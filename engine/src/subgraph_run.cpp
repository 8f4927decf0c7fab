#include "subgraph_run.hpp"

#include "stategraph/checkpoint/format.hpp"
#include "stategraph/errors.hpp"
#include "task_scope.hpp"

namespace sg::detail {

RawResult run_subgraph(const Engine& engine, RunInput input, const RunConfig& user, StreamModes modes,
                       const EventSink& sink, TaskScope& parent) {
  RunShared& up = *parent.run;
  const RunConfig& pc = *up.config;
  const std::string& node = up.engine->nodes[parent.task->node].name;

  RunConfig config;
  config.thread_id = pc.thread_id;
  config.checkpoint_ns = format::child_namespace(
      pc.checkpoint_ns, node,
      engine.subgraph_checkpoints == SubgraphCheckpoints::stateful ? std::string() : parent.task->id);
  config.recursion_limit = pc.recursion_limit;
  config.max_concurrency = pc.max_concurrency;
  config.durability = pc.durability;
  config.interrupt_before = user.interrupt_before;
  config.interrupt_after = user.interrupt_after;
  config.metadata = pc.metadata;
  config.cancel = pc.cancel;
  config.context = user.context.has_value() ? user.context : pc.context;

  if (engine.subgraph_checkpoints != SubgraphCheckpoints::none && up.saver != nullptr && parent.subgraph_runs++ > 0)
    throw ConfigError(ErrorId::run_multiple_subgraphs,
                      "node \"" + node + "\" ran a second subgraph in one task; both would keep their checkpoints "
                      "under \"" + config.checkpoint_ns + "\" (LangGraph: MultipleSubgraphsError). Run each from "
                      "its own node, compile it with subgraph_checkpoints = none, or give it another thread_id");

  SubgraphLink link;
  link.parent = &up;
  link.saver = engine.subgraph_checkpoints == SubgraphCheckpoints::none ? nullptr : up.saver;
  link.parents = up.parents;
  link.parents[pc.checkpoint_ns] = up.step_checkpoint_id;
  link.parent_ns = pc.checkpoint_ns;
  link.parent_checkpoint_id = up.step_checkpoint_id;

  RawResult result = run_loop(engine, std::move(input), config, modes, sink, &link);
  if (!result.interrupts.empty()) throw GraphInterruptSignal{std::move(result.interrupts)};
  return result;
}

const Engine& engine_for_namespace(const Engine& root, const std::string& ns) {
  const Engine* e = &root;
  const auto levels = format::parse_namespace(ns);
  for (std::size_t i = 0; i < levels.size(); ++i) {
    auto idx = e->find_node(levels[i].node);
    if (!idx || !e->nodes[*idx].subgraph) {
      if (i == 0) return root;
      throw ConfigError(ErrorId::run_unknown_subgraph_namespace,
                        "checkpoint_ns \"" + ns + "\": \"" + levels[i].node + "\" is not a subgraph node of the graph at \"" +
                            format::namespace_path(ns) + "\" level " + std::to_string(i));
    }
    e = e->nodes[*idx].subgraph.get();
  }
  if (e->state->type != root.state->type)
    throw ConfigError(ErrorId::run_unknown_subgraph_namespace,
                      "checkpoint_ns \"" + ns + "\" belongs to a subgraph whose state type is not this graph's; read "
                      "or update it with the subgraph's own CompiledGraph and the same RunConfig");
  return *e;
}

RawResult run(const Engine& engine, RunInput input, const RunConfig& config, StreamModes modes,
              const EventSink& sink) {
  // Started from a node: the run is that task's subgraph, unless it names another thread.
  if (TaskScope* parent = current_task_scope();
      parent != nullptr && (config.thread_id.empty() || config.thread_id == parent->run->config->thread_id))
    return run_subgraph(engine, std::move(input), config, modes, sink, *parent);
  return run_loop(engine, std::move(input), config, modes, sink, nullptr);
}

}  // namespace sg::detail
