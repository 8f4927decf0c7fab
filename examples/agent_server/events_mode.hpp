#pragma once
// The `events` stream mode of the Agent Server API: a run's progress as LangChain's
// `astream_events` (version "v2") records, as LangGraph's server streams them under
// `stream_mode: "events"` (langgraph-api: stream.py maps astream_events to SSE "events"; record
// shape: langchain_core/runnables/schema.py StreamEvent). Built from the engine's debug and
// messages events:
//
//   the run starts          on_chain_start    name "LangGraph", run_id = the run's id, data {input}
//   a task starts           on_chain_start    name = the node, run_id = the task id, tags
//                                             ["graph:step:N"], data {input}, parent_ids [run id]
//   a chat model's token    on_chat_model_stream  name = the model, data {chunk}, parent_ids
//                                             [run id, task id]
//   a task ends             on_chain_stream + on_chain_end  data {chunk} / {input, output} (its
//                                             writes as {channel: value}); a task that failed:
//                                             on_chain_end with data {input, error}
//   the run ends            on_chain_end      name "LangGraph", data {output: the final state}
//
// Every record: {"event", "name", "run_id", "tags", "metadata", "data", "parent_ids"}; metadata
// holds graph_id, assistant_id, run_id and thread_id, and for a task's records langgraph_step,
// langgraph_node, langgraph_triggers (and langgraph_checkpoint_ns in a subgraph). Not emitted:
// the records of runnables inside a node other than a chat model (LangGraph traces every
// LangChain runnable: prompts, parsers, tools), on_chat_model_start/end, and on_chain_stream of
// the graph itself. Not thread-safe: one per run, fed from the run's event sink.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent_server/served_graph.hpp"

namespace sg::server {

class EventsMode {
 public:
  /// `metadata`: the run's {graph_id, assistant_id, run_id, thread_id}.
  EventsMode(std::string run_id, nlohmann::json metadata);

  /// The run's on_chain_start; `input` is its input or command.
  [[nodiscard]] nlohmann::json start(const nlohmann::json& input) const;
  /// The records an engine event makes (none for most): a debug "task" or "task_result", a
  /// messages chunk.
  [[nodiscard]] std::vector<nlohmann::json> records(const ServedEvent& e);
  /// The run's on_chain_end.
  [[nodiscard]] nlohmann::json end(const nlohmann::json& output) const;

 private:
  nlohmann::json record(const char* event, const std::string& name, const std::string& run_id, nlohmann::json tags,
                        nlohmann::json metadata, nlohmann::json data, nlohmann::json parent_ids) const;
  nlohmann::json task_metadata(const ServedEvent& e, const std::string& node, const nlohmann::json& triggers) const;

  std::string run_id_;
  nlohmann::json metadata_;
  /// Inputs of the tasks started and not ended, by task id (on_chain_end repeats them).
  nlohmann::json inputs_ = nlohmann::json::object();
};

}  // namespace sg::server
