// parse_run_options, stream_modes, run_config (run_options.hpp).
#include "agent_server/run_options.hpp"

#include <algorithm>

#include "agent_server/run_manager.hpp"

namespace sg::server {
namespace {

[[noreturn]] void bad_field(const std::string& field, const std::string& why) {
  throw RunRejected(AgentServerErrorId::invalid_request, "invalid run request: " + field + " " + why);
}

std::string one_of(const nlohmann::json& body, const char* field, std::string fallback,
                   std::initializer_list<const char*> allowed) {
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) return fallback;
  if (!it->is_string()) bad_field(field, "must be a string");
  const auto& value = it->get_ref<const std::string&>();
  for (const char* a : allowed)
    if (value == a) return value;
  std::string list;
  for (const char* a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
  bad_field(field, "must be one of " + list + ", got \"" + value + "\"");
}

std::optional<std::vector<std::string>> node_list(const nlohmann::json& body, const char* field) {
  auto it = body.find(field);
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (it->is_string()) return std::vector<std::string>{it->get<std::string>()};
  if (!it->is_array()) bad_field(field, "must be a list of node names");
  std::vector<std::string> out;
  for (const auto& n : *it) {
    if (!n.is_string()) bad_field(field, "must be a list of node names");
    out.push_back(n.get<std::string>());
  }
  return out;
}

}  // namespace

RunOptions parse_run_options(const nlohmann::json& body) {
  if (!body.is_object()) throw RunRejected(AgentServerErrorId::invalid_request, "invalid run request: the body must be a JSON object");
  RunOptions o;
  for (const char* key : {"input", "command", "config", "context", "stream_mode", "stream_subgraphs", "stream_resumable",
                          "interrupt_before", "interrupt_after", "checkpoint", "checkpoint_id", "durability", "checkpoint_during",
                          "on_disconnect", "multitask_strategy", "if_not_exists", "on_completion", "after_seconds"})
    if (auto it = body.find(key); it != body.end() && !it->is_null()) o.kwargs[key] = *it;
  if (auto it = body.find("metadata"); it != body.end() && !it->is_null()) {
    if (!it->is_object()) bad_field("metadata", "must be an object");
    o.metadata = *it;
  }
  o.input = body.value("input", nlohmann::json());
  o.command = body.value("command", nlohmann::json());
  if (!o.command.is_null() && !o.command.is_object()) bad_field("command", "must be an object {resume, update, goto}");
  if (auto it = body.find("stream_mode"); it != body.end() && !it->is_null()) {
    o.stream_mode.clear();
    const nlohmann::json list = it->is_array() ? *it : nlohmann::json::array({*it});
    for (const auto& m : list) {
      static const std::vector<std::string> known{"values", "updates", "messages", "messages-tuple", "custom",
                                                  "debug", "events", "tasks", "checkpoints"};
      if (!m.is_string() || std::find(known.begin(), known.end(), m.get<std::string>()) == known.end())
        bad_field("stream_mode", "has an unknown mode " + m.dump());
      o.stream_mode.push_back(m.get<std::string>());
    }
    if (o.stream_mode.empty()) o.stream_mode.emplace_back("values");
  }
  if (auto it = body.find("stream_subgraphs"); it != body.end() && !it->is_null()) {
    if (!it->is_boolean()) bad_field("stream_subgraphs", "must be a boolean");
    o.stream_subgraphs = it->get<bool>();
  }
  if (auto it = body.find("stream_resumable"); it != body.end() && !it->is_null()) {
    if (!it->is_boolean()) bad_field("stream_resumable", "must be a boolean");
    o.stream_resumable = it->get<bool>();
  }
  o.interrupt_before = node_list(body, "interrupt_before");
  o.interrupt_after = node_list(body, "interrupt_after");
  const nlohmann::json config = body.value("config", nlohmann::json::object());
  if (!config.is_object()) bad_field("config", "must be an object");
  const nlohmann::json configurable = config.value("configurable", nlohmann::json::object());
  auto take_checkpoint = [&o](const nlohmann::json& j) {
    if (!j.is_object()) return;
    if (auto id = j.find("checkpoint_id"); id != j.end() && id->is_string()) o.checkpoint_id = id->get<std::string>();
    if (auto ns = j.find("checkpoint_ns"); ns != j.end() && ns->is_string()) o.checkpoint_ns = ns->get<std::string>();
  };
  take_checkpoint(configurable);
  take_checkpoint(body.value("checkpoint", nlohmann::json()));
  if (auto it = body.find("checkpoint_id"); it != body.end() && it->is_string()) o.checkpoint_id = it->get<std::string>();
  if (auto it = config.find("recursion_limit"); it != config.end() && !it->is_null()) {
    if (!it->is_number_integer() || it->get<int>() < 1) bad_field("config.recursion_limit", "must be a positive integer");
    o.recursion_limit = it->get<int>();
  }
  if (auto it = config.find("metadata"); it != config.end() && it->is_object()) o.config_metadata = *it;
  std::string durability = one_of(body, "durability", "async", {"sync", "async", "exit"});
  // checkpoint_during, durability's deprecated form (LangGraph: Pregel.stream maps True to
  // "async" and False to "exit", and refuses both at once).
  if (auto it = body.find("checkpoint_during"); it != body.end() && !it->is_null()) {
    if (!it->is_boolean()) bad_field("checkpoint_during", "must be a boolean");
    if (body.contains("durability") && !body["durability"].is_null())
      bad_field("checkpoint_during", "cannot be given with durability (its replacement)");
    durability = it->get<bool>() ? "async" : "exit";
  }
  o.durability = durability == "sync" ? sg::Durability::sync
                 : durability == "exit" ? sg::Durability::exit
                                        : sg::Durability::async;
  o.multitask_strategy = one_of(body, "multitask_strategy", "reject", {"reject", "enqueue", "interrupt", "rollback"});
  o.if_not_exists = one_of(body, "if_not_exists", "reject", {"create", "reject"});
  o.on_completion = one_of(body, "on_completion", "delete", {"delete", "keep"});
  o.on_disconnect = one_of(body, "on_disconnect", "continue", {"cancel", "continue"});
  if (auto it = body.find("after_seconds"); it != body.end() && !it->is_null()) {
    if (!it->is_number() || it->get<double>() < 0 || it->get<double>() > 86400)
      bad_field("after_seconds", "must be a number of seconds from 0 to 86400");
    o.after_seconds = it->get<double>();
  }
  return o;
}

sg::StreamModes stream_modes(const RunOptions& options) {
  sg::StreamModes modes;
  for (const auto& m : options.stream_mode) {
    if (m == "values") modes = modes | sg::StreamMode::values;
    else if (m == "updates") modes = modes | sg::StreamMode::updates;
    else if (m == "custom") modes = modes | sg::StreamMode::custom;
    else if (m == "messages-tuple") modes = modes | sg::StreamMode::messages;
    else if (m == "debug") modes = modes | sg::StreamMode::debug;
  }
  if (options.stream_subgraphs) modes = modes | sg::subgraphs;
  return modes;
}

sg::RunConfig run_config(const RunOptions& options, const std::string& thread_id, const sg::CancellationToken& cancel) {
  sg::RunConfig c;
  c.thread_id = thread_id;
  c.checkpoint_ns = options.checkpoint_ns;
  c.checkpoint_id = options.checkpoint_id;
  if (options.recursion_limit) c.recursion_limit = *options.recursion_limit;
  c.durability = options.durability;
  c.interrupt_before = options.interrupt_before;
  c.interrupt_after = options.interrupt_after;
  c.metadata = options.config_metadata;
  c.cancel = cancel;
  return c;
}

}  // namespace sg::server
