#include "channels.hpp"

#include <set>

#include <stategraph/checkpoint/format.hpp>

namespace sgcli {

namespace format = sg::format;

bool is_internal_channel(const std::string& name) { return format::is_internal_channel(name); }

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
    const format::ParsedChannel parsed = format::parse_channel(channel);
    switch (parsed.kind) {
      case format::ChannelKind::start:
        if (format::unseen(c.versions_seen, format::kStartNode, channel, version)) pull.insert(std::string(format::kStartNode));
        break;
      case format::ChannelKind::branch:
        if (format::unseen(c.versions_seen, parsed.node, channel, version)) pull.insert(parsed.node);
        break;
      case format::ChannelKind::join: {
        if (!format::unseen(c.versions_seen, parsed.node, channel, version)) break;
        if (!have_values) return std::nullopt;
        const auto value = c.channel_values.find(channel);
        if (value != c.channel_values.end() && format::join_complete(parsed, value->second)) pull.insert(parsed.node);
        break;
      }
      case format::ChannelKind::tasks: {
        if (!have_values) return std::nullopt;
        const auto value = c.channel_values.find(channel);
        if (value == c.channel_values.end()) break;
        for (auto& node : format::send_nodes(value->second)) push.push_back(std::move(node));
        break;
      }
      case format::ChannelKind::field:
      case format::ChannelKind::other_internal:
        break;
    }
  }
  push.insert(push.end(), pull.begin(), pull.end());
  return push;
}

}  // namespace sgcli
