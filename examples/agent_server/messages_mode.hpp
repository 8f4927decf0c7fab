#pragma once
// The legacy `messages` stream mode of the Agent Server API (before `messages-tuple`), as
// LangGraph's server streams it (@langchain/langgraph-api 1.x, api/stream: a run asked for
// "messages" is run with the graph's "values" mode and its chat models' tokens):
//
//   a chat model's first token of a message   "messages/metadata"  {<message id>: {"metadata": M}}
//   each token                                 "messages/partial"   [the message so far]
//   each state of the graph itself (values)    "messages/complete"  [the messages of `messages`
//                                              not sent complete before in this run] (none: no event)
//
// M is the token's metadata as `messages-tuple` sends it (langgraph_node, langgraph_step, ...);
// "the message so far" adds each chunk's `content` (text) and `tool_call_chunks` (by `index`,
// `args` text appended) to the first chunk; other keys of a later chunk replace the earlier ones.
// The first state of a run lists the thread's earlier messages too, so they come complete first,
// as LangGraph's do. Tokens without a message id are not sent (as LangGraph skips them). Not
// thread-safe: one per run, fed from the run's event sink.

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent_server/served_graph.hpp"

namespace sg::server {

class MessagesMode {
 public:
  /// The events (name, data) an engine event makes: a messages chunk (`metadata`: its
  /// messages-tuple metadata), or a values event of the graph itself (not of a subgraph).
  [[nodiscard]] std::vector<std::pair<std::string, nlohmann::json>> events(const ServedEvent& e,
                                                                           const nlohmann::json& metadata);

 private:
  std::map<std::string, nlohmann::json> partial_;  // message id → the message so far
  std::set<std::string> completed_;                 // message ids sent as messages/complete
};

}  // namespace sg::server
