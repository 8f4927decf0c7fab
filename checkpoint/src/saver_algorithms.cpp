#include "saver_algorithms.hpp"

#include <algorithm>
#include <unordered_set>

namespace sg::saver_detail {

std::string describe(const Location& at) {
  std::string s = "checkpoint \"";
  s.append(at.checkpoint).append("\" of thread \"").append(at.thread).append("\" (namespace \"").append(at.ns);
  s += '"';
  if (!at.store.empty()) s.append(", ").append(at.store);
  s += ')';
  return s;
}

SaverCorrupt damaged(const Location& at, std::string_view detail) {
  std::string message = describe(at);
  message.append(": ").append(detail).append(" (damaged data)");
  return SaverCorrupt(message);
}

SaverCorrupt missing_value(const Location& at, std::string_view channel, std::string_view version,
                           std::string_view of_version) {
  std::string message = describe(at);
  message.append(" refers to channel \"").append(channel).append("\" at version \"").append(version).append("\"");
  if (!of_version.empty() && of_version != version)
    message.append(" (a delta base of version \"").append(of_version).append("\")");
  message.append(", which is not stored");
  return SaverCorrupt(message);
}

SaverError unknown_delta_base(const CheckpointConfig& config, std::string_view channel, std::string_view version,
                              std::string_view base) {
  std::string message = "put: the delta of channel \"";
  message.append(channel).append("\" at version \"").append(version).append("\" is based on version \"").append(base);
  message.append("\", which thread \"").append(config.thread_id).append("\" (namespace \"").append(config.checkpoint_ns);
  message.append("\") has not stored");
  return SaverError(ErrorId::saver_invalid_argument, message);
}

SaverError destination_exists(std::string_view to) {
  return SaverError(ErrorId::saver_invalid_argument, "copy_thread: destination thread \"" + std::string(to) +
                                        "\" already exists; delete it first or pick another id");
}

bool metadata_matches(const nlohmann::json& metadata, const nlohmann::json& filter) {
  if (!filter.is_object() || filter.empty()) return true;
  if (!metadata.is_object()) return false;
  for (const auto& [key, value] : filter.items()) {
    const auto it = metadata.find(key);
    if (it == metadata.end() || *it != value) return false;
  }
  return true;
}

nlohmann::json resolve_value(const Location& at, const std::string& channel, std::string_view version,
                             const VersionLookup& lookup) {
  // A chain longer than this is checked for a loop (only damaged data loops: a put refuses a
  // delta on a version that is not stored yet).
  constexpr std::size_t kLoopCheckAfter = 256;
  struct Link {
    std::string_view version;
    const ChannelDelta* delta;
    ChannelDelta* owned;  // may be moved from
  };
  std::vector<Link> chain;  // newest first
  std::unordered_set<std::string_view> seen;
  nlohmann::json value;
  for (std::string_view v = version;;) {
    if (chain.size() > kLoopCheckAfter && !seen.insert(v).second)
      throw damaged(at, "the deltas of channel \"" + channel + "\" form a cycle at version \"" + std::string(v) + "\"");
    const auto stored = lookup(v);
    if (!stored || (stored->value == nullptr && stored->owned == nullptr && stored->delta == nullptr))
      throw missing_value(at, channel, v, version);
    if (stored->owned != nullptr) {
      value = std::move(*stored->owned);
      break;
    }
    if (stored->value != nullptr) {
      value = *stored->value;
      break;
    }
    chain.push_back({v, stored->delta, stored->owned_delta});
    v = stored->delta->base;
  }
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    const ChannelDelta& delta = *it->delta;
    if (!delta.append.is_array())
      throw damaged(at, "the delta of channel \"" + channel + "\" at version \"" + std::string(it->version) +
                            "\" appends no array");
    if (!value.is_array() || value.size() < delta.keep)
      throw damaged(at, "the delta of channel \"" + channel + "\" at version \"" + std::string(it->version) + "\" keeps " +
                            std::to_string(delta.keep) + " elements of version \"" + delta.base +
                            "\", which is not an array of at least that many");
    auto& array = value.get_ref<nlohmann::json::array_t&>();
    array.erase(array.begin() + static_cast<std::ptrdiff_t>(delta.keep), array.end());
    // insert grows the array geometrically; reserving the exact size here would move the whole
    // list once per delta (quadratic along a chain of thousands).
    if (it->owned != nullptr) {
      auto& append = it->owned->append.get_ref<nlohmann::json::array_t&>();
      array.insert(array.end(), std::make_move_iterator(append.begin()), std::make_move_iterator(append.end()));
    } else {
      array.insert(array.end(), delta.append.begin(), delta.append.end());
    }
  }
  return value;
}

std::vector<std::size_t> pruned_positions(const std::vector<std::string>& ids, const PruneOptions& rule) {
  std::vector<std::size_t> out;
  const std::size_t count = ids.size();
  if (count <= 1 || (!rule.keep_last && !rule.before)) return out;
  const std::size_t keep = std::max<std::size_t>(rule.keep_last.value_or(count), 1);
  for (std::size_t position = 0; position + 1 < count; ++position) {
    const bool too_old = count - position > keep;
    const bool before = rule.before && ids[position] < *rule.before;
    if (too_old || before) out.push_back(position);
  }
  return out;
}

std::vector<ValueKey> unreferenced_values(const std::map<ValueKey, std::optional<std::string>>& stored,
                                          const std::vector<ChannelVersions>& live) {
  std::set<ValueKey> referenced;
  for (const auto& versions : live) {
    for (const auto& [channel, version] : versions) {
      // A referenced value keeps the bases of its delta chain too.
      for (ValueKey key{channel, version}; referenced.insert(key).second;) {
        const auto it = stored.find(key);
        if (it == stored.end() || !it->second) break;
        key.second = *it->second;
      }
    }
  }
  std::vector<ValueKey> out;
  for (const auto& [key, base] : stored)
    if (referenced.count(key) == 0) out.push_back(key);
  return out;
}

std::map<std::string, std::uint64_t> attribute_bytes(const std::vector<CheckpointSize>& checkpoints,
                                                     std::map<ValueKey, std::uint64_t> value_bytes,
                                                     const std::map<std::string, std::uint64_t>& write_bytes) {
  std::map<std::string, std::uint64_t> out;
  for (const auto& c : checkpoints) {
    std::uint64_t bytes = c.own;
    if (const auto w = write_bytes.find(c.id); w != write_bytes.end()) bytes += w->second;
    for (const auto& [channel, version] : c.versions) {
      // The oldest checkpoint referring to a value is charged with it (once).
      const auto b = value_bytes.find(ValueKey{channel, version});
      if (b == value_bytes.end()) continue;
      bytes += b->second;
      value_bytes.erase(b);
    }
    out.emplace(c.id, bytes);
  }
  return out;
}

}  // namespace sg::saver_detail
