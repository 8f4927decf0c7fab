#include "channels.hpp"

#include <algorithm>
#include <cstdlib>
#include <set>

namespace sgcli {

namespace {

bool starts_with(const std::string& s, std::string_view prefix) { return s.compare(0, prefix.size(), prefix) == 0; }

// The counter of a version ("00000000000000000007.9f3a..." → 7); versions of one thread compare
// by it (the salt after '.' only tells forks apart).
unsigned long long counter(const std::string& version) { return std::strtoull(version.c_str(), nullptr, 10); }

// True when `node` has not seen the current version of `channel`.
bool unseen(const sg::Checkpoint& c, const std::string& node, const std::string& channel, const std::string& version) {
  const auto seen = c.versions_seen.find(node);
  if (seen == c.versions_seen.end()) return true;
  const auto v = seen->second.find(channel);
  return v == seen->second.end() || counter(v->second) < counter(version);
}

}  // namespace

bool is_internal_channel(const std::string& name) {
  return starts_with(name, "__") || starts_with(name, "branch:") || starts_with(name, "join:");
}

std::vector<std::string> changed_channels(const sg::Checkpoint* parent, const sg::Checkpoint& child) {
  std::set<std::string> out;
  for (const auto& [channel, version] : child.channel_versions) {
    if (is_internal_channel(channel)) continue;
    if (parent == nullptr) {
      out.insert(channel);
      continue;
    }
    const auto before = parent->channel_versions.find(channel);
    if (before == parent->channel_versions.end() || before->second != version) out.insert(channel);
  }
  if (parent != nullptr)
    for (const auto& [channel, version] : parent->channel_versions)
      if (!is_internal_channel(channel) && child.channel_versions.count(channel) == 0) out.insert(channel);
  return {out.begin(), out.end()};
}

std::optional<std::vector<std::string>> next_nodes(const sg::Checkpoint& c) {
  const bool have_values = !c.channel_values.empty() || c.channel_versions.empty();
  std::set<std::string> pull;
  std::vector<std::string> push;  // one per Send, in Send order (the engine lists them first)
  for (const auto& [channel, version] : c.channel_versions) {
    if (channel == "__start__") {
      if (unseen(c, "__start__", channel, version)) pull.insert("__start__");
    } else if (starts_with(channel, "branch:to:")) {
      const std::string node = channel.substr(10);
      if (unseen(c, node, channel, version)) pull.insert(node);
    } else if (starts_with(channel, "join:")) {
      const std::size_t colon = channel.rfind(':');
      if (colon <= 5) continue;
      const std::string node = channel.substr(colon + 1);
      if (!unseen(c, node, channel, version)) continue;
      if (!have_values) return std::nullopt;
      // Complete when every source has written: the stored "seen" lists them in source order.
      const auto value = c.channel_values.find(channel);
      if (value == c.channel_values.end() || !value->second.is_object()) continue;
      const auto seen = value->second.find("seen");
      if (seen == value->second.end() || !seen->is_array()) continue;
      std::string joined;
      for (const auto& source : *seen) {
        if (!source.is_string()) continue;
        if (!joined.empty()) joined += '+';
        joined += source.get<std::string>();
      }
      if (joined == channel.substr(5, colon - 5)) pull.insert(node);
    } else if (channel == "__pregel_tasks") {
      if (!have_values) return std::nullopt;
      const auto value = c.channel_values.find(channel);
      if (value == c.channel_values.end() || !value->second.is_array()) continue;
      for (const auto& send : value->second)
        if (send.is_object() && send.contains("node") && send.at("node").is_string())
          push.push_back(send.at("node").get<std::string>());
    }
  }
  push.insert(push.end(), pull.begin(), pull.end());
  return push;
}

}  // namespace sgcli
