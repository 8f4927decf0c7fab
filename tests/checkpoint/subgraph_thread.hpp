#pragma once
// A thread whose graph ran subgraphs, written through the saver API the way the engine will
// write one (the engine cannot yet): child runs under format::child_namespace in the same
// thread, each child checkpoint's metadata naming its ancestors' checkpoints under
// format::kParentsKey. Shared by the saver conformance suite and the CLI tests.

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "helpers.hpp"
#include "stategraph/checkpoint/format.hpp"

namespace sgtest {

/// Metadata {"parents": {ancestor ns: checkpoint id, ...}} (format::kParentsKey), for the
/// extra_metadata of a step.
inline nlohmann::json parents_metadata(const std::map<std::string, std::string>& parents) {
  nlohmann::json object = nlohmann::json::object();
  for (const auto& [ns, id] : parents) object[ns] = id;
  return {{std::string(sg::format::kParentsKey), std::move(object)}};
}

/// One run on (thread, namespace), like Run, that can also grow a list channel by a
/// ChannelDelta on its previous version (as the engine stores a conversation), and whose
/// metadata carries the `parents` in force at each step (a stateful child's change per parent
/// step). `history` holds the full checkpoints a read must give back, oldest first; a step's
/// versions count them (assigning another run's history continues that run).
class NsRun {
 public:
  NsRun(sg::BaseCheckpointSaver& saver, std::string thread, std::string ns, std::map<std::string, std::string> parents = {})
      : saver_(saver), thread_(std::move(thread)), ns_(std::move(ns)), parents_(std::move(parents)) {}

  void set_parents(std::map<std::string, std::string> parents) { parents_ = std::move(parents); }

  /// One checkpoint: `set` channels get whole values, `append` channels (lists the run holds
  /// already) get their elements appended, stored as a delta.
  sg::CheckpointConfig step(const std::map<std::string, nlohmann::json>& set,
                            const std::map<std::string, nlohmann::json>& append = {}) {
    const sg::ChannelVersion v = version(static_cast<long>(history.size()) + 1);
    sg::Checkpoint full = history.empty() ? sg::Checkpoint{} : history.back();
    full.id = sg::new_checkpoint_id();
    full.ts = sg::utc_now_iso8601();
    sg::Checkpoint sent = full;
    sent.channel_values.clear();
    sg::ChannelVersions new_versions;
    for (const auto& [channel, value] : set) {
      full.channel_values[channel] = value;
      sent.channel_values[channel] = value;
      full.channel_versions[channel] = v;
      new_versions[channel] = v;
    }
    for (const auto& [channel, elements] : append) {
      nlohmann::json& list = full.channel_values.at(channel);
      sent.channel_deltas[channel] = sg::ChannelDelta{full.channel_versions.at(channel), list.size(), elements};
      for (const auto& e : elements) list.push_back(e);
      full.channel_versions[channel] = v;
      new_versions[channel] = v;
    }
    sent.channel_versions = full.channel_versions;
    full.versions_seen["node"] = full.channel_versions;
    sent.versions_seen = full.versions_seen;
    const int step = static_cast<int>(history.size()) - 1;
    const auto meta = metadata(step < 0 ? "input" : "loop", step, parents_metadata(parents_));
    sg::CheckpointConfig parent{thread_, ns_, std::nullopt};
    if (!history.empty()) parent.checkpoint_id = history.back().id;
    auto config = saver_.put(parent, sent, meta, new_versions);
    history.push_back(std::move(full));
    metadata_history.push_back(meta);
    return config;
  }

  [[nodiscard]] sg::CheckpointConfig config_of(std::size_t i) const { return {thread_, ns_, history.at(i).id}; }
  [[nodiscard]] const std::string& ns() const { return ns_; }
  [[nodiscard]] const std::string& id(std::size_t i) const { return history.at(i).id; }

  std::vector<sg::Checkpoint> history;
  std::vector<nlohmann::json> metadata_history;

 private:
  sg::BaseCheckpointSaver& saver_;
  std::string thread_;
  std::string ns_;
  std::map<std::string, std::string> parents_;
};

/// Task ids of the subgraph runs below (any string without a separator works).
inline constexpr const char* kResearchTask1 = "7c9e6679-7425-40de-944b-e07fc1f90ae7";
inline constexpr const char* kResearchTask2 = "16fd2706-8baf-433b-82eb-8c7fada847da";
inline constexpr const char* kSearchTask = "a3bb189e-8bf9-3888-9912-ace4e6543002";

/// A root run of 4 checkpoints whose node "research" ran a subgraph twice and "memory" a
/// stateful one (a namespace without task id, across two parent steps), checkpoints put in
/// time order:
///   root r0 (input), r1
///     research:T1  c0 (input), c1, c2 (notes grown by a delta; pending writes)   parents {"": r1}
///       research:T1|search:S  g0 (input), g1   parents {"": r1, research:T1: c1}
///     memory  m0 (input)   parents {"": r1}
///   root r2
///     research:T2  d0 (input), d1   parents {"": r2}
///     memory  m1   parents {"": r2}
///   root r3
/// 13 checkpoints in 5 namespaces.
struct SubgraphThread {
  std::string thread;
  NsRun root, research1, search, memory, research2;

  SubgraphThread(sg::BaseCheckpointSaver& saver, std::string thread_id)
      : thread(std::move(thread_id)),
        root(saver, thread, ""),
        research1(saver, thread, sg::format::child_namespace("", "research", kResearchTask1)),
        search(saver, thread, sg::format::child_namespace(research1.ns(), "search", kSearchTask)),
        memory(saver, thread, sg::format::child_namespace("", "memory", "")),
        research2(saver, thread, sg::format::child_namespace("", "research", kResearchTask2)) {
    root.step({{"question", "why is the sky blue?"}});
    root.step({{"plan", "research"}});
    research1.set_parents({{"", root.id(1)}});
    research1.step({{"topic", "sky"}});
    research1.step({{"notes", nlohmann::json::array({"rayleigh"})}});
    search.set_parents({{"", root.id(1)}, {research1.ns(), research1.id(1)}});
    search.step({{"query", "rayleigh scattering"}});
    search.step({{"hits", 3}});
    research1.step({}, {{"notes", nlohmann::json::array({"blue light scatters more"})}});
    saver.put_writes(research1.config_of(2), std::vector<sg::PendingWrite>{{"", "summary", "short"}}, "task-r1");
    memory.set_parents({{"", root.id(1)}});
    memory.step({{"facts", nlohmann::json::array({"asked about the sky"})}});
    root.step({{"answer", "scattering"}});
    research2.set_parents({{"", root.id(2)}});
    research2.step({{"topic", "sunsets"}});
    research2.step({{"notes", nlohmann::json::array({"longer path"})}});
    memory.set_parents({{"", root.id(2)}});
    memory.step({}, {{"facts", nlohmann::json::array({"asked about sunsets"})}});
    root.step({{"answer", "scattering, and sunsets are red"}});
  }

  /// Every run, root first.
  [[nodiscard]] std::vector<const NsRun*> runs() const { return {&root, &research1, &search, &memory, &research2}; }
  [[nodiscard]] std::size_t checkpoints() const {
    std::size_t n = 0;
    for (const NsRun* r : runs()) n += r->history.size();
    return n;
  }
};

}  // namespace sgtest
