// The legacy `messages` stream mode (messages_mode.hpp).
#include "agent_server/messages_mode.hpp"

#include <algorithm>

namespace sg::server {
namespace {

/// Adds `chunk` to the message so far (see messages_mode.hpp).
void add_chunk(nlohmann::json& so_far, const nlohmann::json& chunk) {
  for (const auto& [key, value] : chunk.items()) {
    if (key == "content" && value.is_string() && so_far.value("content", nlohmann::json()).is_string()) {
      so_far["content"] = so_far["content"].get<std::string>() + value.get<std::string>();
    } else if (key == "tool_call_chunks" && value.is_array()) {
      nlohmann::json& calls = so_far["tool_call_chunks"];
      if (!calls.is_array()) calls = nlohmann::json::array();
      for (const auto& c : value) {
        auto same = std::find_if(calls.begin(), calls.end(), [&](const nlohmann::json& mine) {
          return c.contains("index") && mine.value("index", nlohmann::json()) == c["index"];
        });
        if (same == calls.end()) {
          calls.push_back(c);
          continue;
        }
        for (const auto& [k, v] : c.items()) {
          if (k == "args" && v.is_string() && same->value("args", nlohmann::json()).is_string())
            (*same)["args"] = (*same)["args"].get<std::string>() + v.get<std::string>();
          else if (!v.is_null())
            (*same)[k] = v;
        }
      }
    } else if (key != "content" || !value.is_string()) {
      so_far[key] = value;
    }
  }
}

}  // namespace

std::vector<std::pair<std::string, nlohmann::json>> MessagesMode::events(const ServedEvent& e,
                                                                         const nlohmann::json& metadata) {
  std::vector<std::pair<std::string, nlohmann::json>> out;
  if (e.mode == StreamMode::messages) {
    const nlohmann::json chunk = e.data.get().value("chunk", nlohmann::json());
    const std::string id = chunk.is_object() ? chunk.value("id", "") : "";
    if (id.empty()) return out;
    auto [it, first] = partial_.try_emplace(id, chunk);
    if (first) out.emplace_back("messages/metadata", nlohmann::json{{id, {{"metadata", metadata}}}});
    else add_chunk(it->second, chunk);
    out.emplace_back("messages/partial", nlohmann::json::array({it->second}));
    return out;
  }
  if (e.mode != StreamMode::values || !e.ns.empty()) return out;
  const nlohmann::json& state = e.data.get();
  const auto messages = state.is_object() ? state.find("messages") : state.end();
  if (!state.is_object() || messages == state.end() || !messages->is_array()) return out;
  nlohmann::json fresh = nlohmann::json::array();
  for (const auto& m : *messages) {
    const std::string id = m.is_object() ? m.value("id", "") : "";
    if (id.empty() || !completed_.insert(id).second) continue;
    fresh.push_back(m);
  }
  if (!fresh.empty()) out.emplace_back("messages/complete", std::move(fresh));
  return out;
}

}  // namespace sg::server
