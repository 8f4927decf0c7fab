#include "stategraph/checkpoint/format.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

namespace sg::format {

namespace {

constexpr std::string_view kBranchPrefix = "branch:to:";
constexpr std::string_view kJoinPrefix = "join:";
constexpr char kJoinSourceSeparator = '+';

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

}  // namespace

std::string branch_channel(std::string_view node) {
  std::string name;
  name.reserve(kBranchPrefix.size() + node.size());
  name.append(kBranchPrefix).append(node);
  return name;
}

std::string join_channel(const std::vector<std::string>& sources, std::string_view node) {
  std::string name(kJoinPrefix);
  for (std::size_t i = 0; i < sources.size(); ++i) {
    if (i != 0) name += kJoinSourceSeparator;
    name += sources[i];
  }
  name += ':';
  name.append(node);
  return name;
}

ParsedChannel parse_channel(std::string_view name) {
  ParsedChannel out;
  if (name == kStartChannel) {
    out.kind = ChannelKind::start;
  } else if (name == kTasksChannel) {
    out.kind = ChannelKind::tasks;
  } else if (starts_with(name, kBranchPrefix)) {
    out.kind = ChannelKind::branch;
    out.node = std::string(name.substr(kBranchPrefix.size()));
  } else if (starts_with(name, kJoinPrefix)) {
    const std::size_t colon = name.rfind(':');
    const std::string_view sources = name.substr(kJoinPrefix.size(), colon - kJoinPrefix.size());
    if (colon <= kJoinPrefix.size() || colon + 1 >= name.size() || sources.empty()) {
      out.kind = ChannelKind::other_internal;
      return out;
    }
    out.kind = ChannelKind::join;
    out.node = std::string(name.substr(colon + 1));
    std::size_t from = 0;
    while (from <= sources.size()) {
      const std::size_t plus = sources.find(kJoinSourceSeparator, from);
      const std::size_t end = plus == std::string_view::npos ? sources.size() : plus;
      out.sources.emplace_back(sources.substr(from, end - from));
      from = end + 1;
    }
  } else if (starts_with(name, "__") || starts_with(name, "branch:")) {
    out.kind = ChannelKind::other_internal;
  }
  return out;
}

bool is_internal_channel(std::string_view name) { return parse_channel(name).kind != ChannelKind::field; }

std::uint64_t version_counter(std::string_view version) {
  std::uint64_t n = 0;
  for (char c : version) {
    if (c < '0' || c > '9') break;
    n = n * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return n == 0 ? 1 : n;
}

std::vector<std::string> send_nodes(const nlohmann::json& tasks_value) {
  std::vector<std::string> nodes;
  if (!tasks_value.is_array()) return nodes;
  for (const auto& send : tasks_value) {
    if (!send.is_object()) continue;
    const auto node = send.find(kSendNodeKey);
    if (node != send.end() && node->is_string()) nodes.push_back(node->get<std::string>());
  }
  return nodes;
}

bool join_complete(const ParsedChannel& join, const nlohmann::json& join_value) {
  if (join.kind != ChannelKind::join || !join_value.is_object()) return false;
  const auto seen = join_value.find(kJoinSeenKey);
  if (seen == join_value.end() || !seen->is_array()) return false;
  return std::all_of(join.sources.begin(), join.sources.end(), [&](const std::string& source) {
    return std::any_of(seen->begin(), seen->end(), [&](const nlohmann::json& s) { return s.is_string() && s.get_ref<const std::string&>() == source; });
  });
}

bool unseen(const std::map<std::string, ChannelVersions>& versions_seen, std::string_view node,
            std::string_view channel, std::string_view version) {
  const auto seen = versions_seen.find(std::string(node));
  if (seen == versions_seen.end()) return true;
  const auto v = seen->second.find(std::string(channel));
  return v == seen->second.end() || version_counter(v->second) < version_counter(version);
}

int write_index(std::string_view channel, int index) {
  if (channel == kErrorWrite) return -1;
  if (channel == kInterruptWrite) return -3;
  if (channel == kResumeWrite) return -4;
  return index;
}

bool is_special_write(std::string_view channel) {
  return channel == kErrorWrite || channel == kInterruptWrite || channel == kResumeWrite;
}

bool is_control_write(std::string_view channel) { return is_special_write(channel) || channel == kNoWritesWrite; }

std::string_view to_string(CheckpointSource source) {
  switch (source) {
    case CheckpointSource::input: return "input";
    case CheckpointSource::loop: return "loop";
    case CheckpointSource::update: return "update";
    case CheckpointSource::fork: return "fork";
  }
  return "loop";
}

std::optional<CheckpointSource> parse_source(std::string_view name) {
  for (auto s : {CheckpointSource::input, CheckpointSource::loop, CheckpointSource::update, CheckpointSource::fork})
    if (to_string(s) == name) return s;
  return std::nullopt;
}

std::string child_namespace(std::string_view parent, std::string_view node, std::string_view task_id) {
  std::string ns(parent);
  if (!ns.empty()) ns += kNamespaceSeparator;
  ns.append(node);
  if (!task_id.empty()) {
    ns += kNamespaceTaskSeparator;
    ns.append(task_id);
  }
  return ns;
}

std::vector<NamespaceLevel> parse_namespace(std::string_view ns) {
  std::vector<NamespaceLevel> levels;
  if (ns.empty()) return levels;
  std::size_t from = 0;
  while (from <= ns.size()) {
    const std::size_t bar = ns.find(kNamespaceSeparator, from);
    const std::size_t end = bar == std::string_view::npos ? ns.size() : bar;
    const std::string_view level = ns.substr(from, end - from);
    const std::size_t colon = level.find(kNamespaceTaskSeparator);
    if (colon == std::string_view::npos) {
      levels.push_back({std::string(level), {}});
    } else {
      levels.push_back({std::string(level.substr(0, colon)), std::string(level.substr(colon + 1))});
    }
    from = end + 1;
  }
  return levels;
}

std::string parent_namespace(std::string_view ns) {
  const std::size_t bar = ns.rfind(kNamespaceSeparator);
  return bar == std::string_view::npos ? std::string() : std::string(ns.substr(0, bar));
}

std::string namespace_path(std::string_view ns) {
  std::string out;
  for (const auto& level : parse_namespace(ns)) {
    if (!out.empty()) out += kNamespaceSeparator;
    out += level.node;
  }
  return out;
}

}  // namespace sg::format
