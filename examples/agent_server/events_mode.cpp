#include "agent_server/events_mode.hpp"

#include <utility>

namespace sg::server {

EventsMode::EventsMode(std::string run_id, nlohmann::json metadata)
    : run_id_(std::move(run_id)), metadata_(std::move(metadata)) {}

nlohmann::json EventsMode::record(const char* event, const std::string& name, const std::string& run_id,
                                  nlohmann::json tags, nlohmann::json metadata, nlohmann::json data,
                                  nlohmann::json parent_ids) const {
  return {{"event", event},         {"name", name},         {"run_id", run_id},
          {"tags", std::move(tags)}, {"metadata", std::move(metadata)}, {"data", std::move(data)},
          {"parent_ids", std::move(parent_ids)}};
}

nlohmann::json EventsMode::task_metadata(const ServedEvent& e, const std::string& node,
                                         const nlohmann::json& triggers) const {
  nlohmann::json m = metadata_;
  m["langgraph_step"] = e.step;
  m["langgraph_node"] = node;
  if (!triggers.is_null()) m["langgraph_triggers"] = triggers;
  if (!e.ns.empty()) m["langgraph_checkpoint_ns"] = e.ns;
  return m;
}

nlohmann::json EventsMode::start(const nlohmann::json& input) const {
  return record("on_chain_start", "LangGraph", run_id_, nlohmann::json::array(), metadata_, {{"input", input}},
                nlohmann::json::array());
}

nlohmann::json EventsMode::end(const nlohmann::json& output) const {
  return record("on_chain_end", "LangGraph", run_id_, nlohmann::json::array(), metadata_, {{"output", output}},
                nlohmann::json::array());
}

std::vector<nlohmann::json> EventsMode::records(const ServedEvent& e) {
  std::vector<nlohmann::json> out;
  if (e.mode != StreamMode::messages && e.mode != StreamMode::debug) return out;
  const nlohmann::json& data = e.data.get();
  if (e.mode == StreamMode::messages) {
    const nlohmann::json meta = data.value("metadata", nlohmann::json::object());
    const std::string task = meta.value("task_id", "");
    nlohmann::json m = task_metadata(e, meta.value("node", e.node), nullptr);
    m["ls_model_type"] = "chat";
    if (meta.contains("model")) m["ls_model_name"] = meta["model"];
    out.push_back(record("on_chat_model_stream", meta.value("model", "ChatModel"), "run-" + task,
                         nlohmann::json::array(), std::move(m), {{"chunk", data.value("chunk", nlohmann::json())}},
                         nlohmann::json::array({run_id_, task})));
    return out;
  }
  if (e.mode != StreamMode::debug) return out;
  const std::string type = data.value("type", "");
  const nlohmann::json payload = data.value("payload", nlohmann::json::object());
  const std::string task = payload.value("id", "");
  const std::string name = payload.value("name", "");
  const nlohmann::json tags = nlohmann::json::array({"graph:step:" + std::to_string(e.step)});
  if (type == "task") {
    const nlohmann::json input = payload.value("input", nlohmann::json());
    inputs_[task] = input;
    out.push_back(record("on_chain_start", name, task, tags,
                         task_metadata(e, name, payload.value("triggers", nlohmann::json::array())), {{"input", input}},
                         nlohmann::json::array({run_id_})));
  } else if (type == "task_result") {
    nlohmann::json input;
    if (auto it = inputs_.find(task); it != inputs_.end()) {
      input = std::move(*it);
      inputs_.erase(task);
    }
    const nlohmann::json meta = task_metadata(e, name, nullptr);
    const nlohmann::json parents = nlohmann::json::array({run_id_});
    const nlohmann::json error = payload.value("error", nlohmann::json());
    if (!error.is_null()) {
      out.push_back(record("on_chain_end", name, task, tags, meta, {{"input", input}, {"error", error}}, parents));
      return out;
    }
    const nlohmann::json result = payload.value("result", nlohmann::json());
    out.push_back(record("on_chain_stream", name, task, tags, meta, {{"chunk", result}}, parents));
    out.push_back(record("on_chain_end", name, task, tags, meta, {{"input", input}, {"output", result}}, parents));
  }
  return out;
}

}  // namespace sg::server
