// The JSON shapes of served_graph.hpp (LangGraph: langgraph-api state.mjs
// stateSnapshotToThreadState, utils/runnableConfig.mjs runnableConfigToCheckpoint).
#include "agent_server/served_graph.hpp"

namespace sg {

nlohmann::json checkpoint_json(const CheckpointConfig& config) {
  return {{"thread_id", config.thread_id},
          {"checkpoint_ns", config.checkpoint_ns},
          {"checkpoint_id", config.checkpoint_id ? nlohmann::json(*config.checkpoint_id) : nlohmann::json()},
          {"checkpoint_map", nullptr}};
}

namespace detail {

nlohmann::json schema_of_defaults(const nlohmann::json& defaults) {
  nlohmann::json properties = nlohmann::json::object();
  for (const auto& [name, value] : defaults.items()) {
    nlohmann::json p = nlohmann::json::object();
    if (value.is_array()) p["type"] = "array";
    else if (value.is_string()) p["type"] = "string";
    else if (value.is_boolean()) p["type"] = "boolean";
    else if (value.is_number_integer()) p["type"] = "integer";
    else if (value.is_number()) p["type"] = "number";
    else if (value.is_object()) p["type"] = "object";
    properties[name] = std::move(p);
  }
  return {{"title", "State"}, {"type", "object"}, {"properties", std::move(properties)}};
}

}  // namespace detail

nlohmann::json interrupt_json(const Interrupt& interrupt) {
  return {{"value", interrupt.value}, {"id", interrupt.id}};
}

namespace {

nlohmann::json interrupts_json(const std::vector<Interrupt>& interrupts) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& i : interrupts) out.push_back(interrupt_json(i));
  return out;
}

/// A subgraph's snapshot as TaskInfo::subgraph_state holds it, in the ThreadState shape.
nlohmann::json nested_state_json(const nlohmann::json& s) {
  if (!s.is_object()) return nullptr;
  nlohmann::json tasks = nlohmann::json::array();
  for (const auto& t : s.value("tasks", nlohmann::json::array())) {
    tasks.push_back({{"id", t.value("id", "")},
                     {"name", t.value("name", "")},
                     {"error", t.contains("error") ? t["error"] : nlohmann::json()},
                     {"interrupts", t.value("interrupts", nlohmann::json::array())},
                     {"checkpoint", nullptr},
                     {"state", nested_state_json(t.value("subgraph_state", nlohmann::json()))}});
  }
  const nlohmann::json config = s.value("config", nlohmann::json::object());
  return {{"values", s.value("values", nlohmann::json::object())},
          {"next", s.value("next", nlohmann::json::array())},
          {"tasks", std::move(tasks)},
          {"metadata", s.value("metadata", nlohmann::json::object())},
          {"created_at", s.value("created_at", "")},
          {"checkpoint", {{"thread_id", config.value("thread_id", "")},
                          {"checkpoint_ns", config.value("checkpoint_ns", "")},
                          {"checkpoint_id", config.value("checkpoint_id", nlohmann::json())},
                          {"checkpoint_map", nullptr}}},
          {"parent_checkpoint", nullptr},
          {"interrupts", s.value("interrupts", nlohmann::json::array())}};
}

}  // namespace

nlohmann::json thread_state_json(nlohmann::json values, const std::vector<std::string>& next,
                                 const std::vector<TaskInfo>& tasks, const CheckpointMetadata& metadata,
                                 const std::string& created_at, const CheckpointConfig& config,
                                 const std::optional<CheckpointConfig>& parent_config,
                                 const std::vector<Interrupt>& interrupts) {
  nlohmann::json task_list = nlohmann::json::array();
  for (const auto& t : tasks) {
    nlohmann::json task{{"id", t.id},
                        {"name", t.name},
                        {"error", t.error ? nlohmann::json(*t.error) : nlohmann::json()},
                        {"interrupts", interrupts_json(t.interrupts)},
                        {"checkpoint", t.subgraph_config ? checkpoint_json(*t.subgraph_config) : nlohmann::json()},
                        {"state", nested_state_json(t.subgraph_state)}};
    if (t.result) task["result"] = *t.result;
    task_list.push_back(std::move(task));
  }
  return {{"values", std::move(values)},
          {"next", next},
          {"tasks", std::move(task_list)},
          {"metadata", metadata.is_null() ? nlohmann::json::object() : metadata},
          {"created_at", created_at},
          {"checkpoint", checkpoint_json(config)},
          {"parent_checkpoint", parent_config ? checkpoint_json(*parent_config) : nlohmann::json()},
          {"interrupts", interrupts_json(interrupts)}};
}

}  // namespace sg
