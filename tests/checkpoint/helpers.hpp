#pragma once
// Builders shared by the checkpoint tests: versions, metadata, and a simulated run that puts
// one checkpoint per step the way the engine does (only changed values, parent = previous).

#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "stategraph/checkpoint/checkpoint.hpp"
#include "stategraph/checkpoint/saver.hpp"

namespace sgtest {

/// Version number `n` in the saver format: 20-digit counter, '.', 16 hex digits of salt.
inline sg::ChannelVersion version(long n) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%020ld.%016x", n, 0xabcU);
  return buf;
}

/// Metadata {"source","step","parents":{}} merged with the keys of `extra`.
inline nlohmann::json metadata(const std::string& source, int step,
                               const nlohmann::json& extra = nlohmann::json::object()) {
  nlohmann::json m = {{"source", source}, {"step", step}, {"parents", nlohmann::json::object()}};
  m.update(extra);
  return m;
}

/// A checkpoint with a fresh id, holding every channel of `values` at version `at`.
inline sg::Checkpoint checkpoint(const std::map<std::string, nlohmann::json>& values, long at = 1) {
  sg::Checkpoint c;
  c.id = sg::new_checkpoint_id();
  c.ts = sg::utc_now_iso8601();
  c.channel_values = values;
  for (const auto& [channel, value] : values) c.channel_versions[channel] = version(at);
  c.versions_seen["node"] = c.channel_versions;
  return c;
}

/// new_versions naming every channel of `c`.
inline sg::ChannelVersions all_versions(const sg::Checkpoint& c) { return c.channel_versions; }

/// The checkpoint ids of list results, in order.
inline std::vector<std::string> ids_of(const std::vector<sg::CheckpointTuple>& tuples) {
  std::vector<std::string> ids;
  for (const auto& t : tuples) ids.push_back(t.config.checkpoint_id.value_or(""));
  return ids;
}

/// Simulates a graph run on one (thread, namespace): each step sets or removes channels, bumps
/// the versions of the changed ones, and puts a checkpoint holding only the changed values.
/// `history` keeps the full checkpoints (all values), oldest first, for comparing loads.
class Run {
 public:
  Run(sg::BaseCheckpointSaver& saver, std::string thread, std::string ns = "")
      : saver_(saver), thread_(std::move(thread)), ns_(std::move(ns)) {}

  sg::CheckpointConfig step(const std::map<std::string, nlohmann::json>& changes,
                            const std::vector<std::string>& removed = {},
                            const nlohmann::json& extra_metadata = nlohmann::json::object()) {
    ++counter_;
    sg::Checkpoint full = history.empty() ? sg::Checkpoint{} : history.back();
    full.id = sg::new_checkpoint_id();
    full.ts = sg::utc_now_iso8601();
    sg::Checkpoint sent = full;
    sent.channel_values.clear();
    sg::ChannelVersions new_versions;
    for (const auto& [channel, value] : changes) {
      full.channel_values[channel] = value;
      full.channel_versions[channel] = version(counter_);
      sent.channel_values[channel] = value;
      new_versions[channel] = version(counter_);
    }
    for (const auto& channel : removed) {
      full.channel_values.erase(channel);
      full.channel_versions.erase(channel);
    }
    sent.channel_versions = full.channel_versions;
    full.versions_seen["node"] = full.channel_versions;
    sent.versions_seen = full.versions_seen;
    const int step = static_cast<int>(history.size()) - 1;
    const auto meta = metadata(step < 0 ? "input" : "loop", step, extra_metadata);
    sg::CheckpointConfig parent{thread_, ns_, std::nullopt};
    if (!history.empty()) parent.checkpoint_id = history.back().id;
    auto config = saver_.put(parent, sent, meta, new_versions);
    history.push_back(std::move(full));
    metadata_history.push_back(meta);
    return config;
  }

  [[nodiscard]] sg::CheckpointConfig config_of(std::size_t i) const {
    return {thread_, ns_, history.at(i).id};
  }
  [[nodiscard]] sg::CheckpointConfig latest_config() const { return {thread_, ns_, std::nullopt}; }

  std::vector<sg::Checkpoint> history;
  std::vector<nlohmann::json> metadata_history;

 private:
  sg::BaseCheckpointSaver& saver_;
  std::string thread_;
  std::string ns_;
  long counter_ = 0;
};

}  // namespace sgtest
