#pragma once
/// @file
/// The checkpoint data model: what a saver stores after every superstep.
///
/// Follows LangGraph's `Checkpoint` / `CheckpointMetadata` / `CheckpointTuple`
/// (langchain-ai/langgraph: libs/checkpoint/langgraph/checkpoint/base/__init__.py), with two
/// recorded differences:
///  - `channel_versions` holds only channels that currently have a value. LangGraph keeps a
///    version for every channel that was ever written, so its checkpoints grow with the number
///    of edges in the graph; ours stay as large as the live state.
///  - Values are JSON (nlohmann::json), never msgpack or pickles: the checkpoint layer knows JSON
///    values, not C++ state types.
///
/// Thread-safety: plain values; distinct objects may be used from distinct threads.

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "stategraph/checkpoint/format.hpp"

namespace sg {

/// Checkpoint metadata: a JSON object with at least
/// `source` ("input" | "loop" | "update" | "fork"), `step` (integer; -1 for the input
/// checkpoint of a fresh thread) and `parents` (object: checkpoint_ns → checkpoint id).
using CheckpointMetadata = nlohmann::json;

/// Current format version of Checkpoint::v (format::kCheckpointVersion).
inline constexpr int kCheckpointFormatVersion = format::kCheckpointVersion;

/// A channel's new value given as a change to an earlier version of the same channel, so that a
/// growing list (a conversation) is stored by what each step added, not again in full.
/// The value it stands for is: the first `keep` elements of the value at version `base` (a JSON
/// array), followed by the elements of `append`.
struct ChannelDelta {
  ChannelVersion base;  ///< a version of this channel stored earlier on the same thread and namespace
  std::size_t keep = 0;
  nlohmann::json append = nlohmann::json::array();

  friend bool operator==(const ChannelDelta&, const ChannelDelta&) = default;
};

/// A snapshot of a graph's channels after one superstep.
struct Checkpoint {
  int v = kCheckpointFormatVersion;  ///< format version
  std::string id;                    ///< time-ordered UUID (see new_checkpoint_id)
  std::string ts;                    ///< ISO-8601 UTC creation time, e.g. "2026-11-23T10:00:00.123456Z"
  /// channel → value, for every channel in channel_versions. When passed to
  /// BaseCheckpointSaver::put it may hold only the channels named in `new_versions`.
  std::map<std::string, nlohmann::json> channel_values;
  /// channel → version, for every channel that has a value.
  ChannelVersions channel_versions;
  /// node (or the pseudo-node "__interrupt__") → trigger channel → last version it saw.
  std::map<std::string, ChannelVersions> versions_seen;
  /// Only in BaseCheckpointSaver::put: channels of `new_versions` whose value is given as a
  /// delta instead of in channel_values. Savers resolve deltas on read; a CheckpointTuple's
  /// checkpoint has none, except from list with ListOptions::deltas (on the next tuple's version).
  std::map<std::string, ChannelDelta> channel_deltas;
  /// Only in BaseCheckpointSaver::put: true when this checkpoint is the result of the step that
  /// its parent (the put's config.checkpoint_id) planned, with every pending write stored against
  /// the parent applied. Those writes then only tell history, and the saver deletes the parent's
  /// value writes (stored index >= 0, see format::write_index) in the same transaction that
  /// stores this checkpoint, keeping its special writes (kErrorWrite, kInterruptWrite,
  /// kResumeWrite: negative indices), which are small and say what went wrong or was asked in
  /// that step (the engine sets it on "loop" checkpoints unless
  /// CompileOptions::keep_applied_writes). LangGraph keeps every write for good; nothing it does
  /// reads the value writes once the next checkpoint exists (replaying a checkpoint runs its tasks
  /// again: semantics reference §6, time travel). Never set on a CheckpointTuple's checkpoint.
  bool parent_writes_applied = false;
  /// The engine's bookkeeping of the list channels it stores as deltas (a JSON object; the
  /// engine alone gives it a shape: {channel: [chain length, full size, appended]}), so that the
  /// next run continues the chains. Stored with the checkpoint, never in its metadata (format 2;
  /// format 1 kept it in metadata["delta_chain"]: see upgrade_checkpoint). Savers store it as
  /// given and return it; an empty object is the default.
  nlohmann::json delta_chains = nlohmann::json::object();

  friend bool operator==(const Checkpoint&, const Checkpoint&) = default;
};

/// Addresses a checkpoint: (thread_id, checkpoint_ns, checkpoint_id). An empty checkpoint_id
/// means "the latest checkpoint of the thread and namespace". The root namespace is "".
struct CheckpointConfig {
  std::string thread_id;
  std::string checkpoint_ns;
  std::optional<std::string> checkpoint_id;

  friend bool operator==(const CheckpointConfig&, const CheckpointConfig&) = default;
};

/// A write that a task produced and that is not yet folded into a checkpoint. Special channels:
/// "__error__" (the task failed; value {"id","message"}), "__interrupt__", "__resume__",
/// "__no_writes__" (the task succeeded and wrote nothing).
struct PendingWrite {
  std::string task_id;
  std::string channel;
  nlohmann::json value;

  friend bool operator==(const PendingWrite&, const PendingWrite&) = default;
};

/// A checkpoint with everything needed to resume from it.
struct CheckpointTuple {
  CheckpointConfig config;  ///< always with checkpoint_id set
  Checkpoint checkpoint;    ///< channel_values complete
  CheckpointMetadata metadata;
  std::optional<CheckpointConfig> parent_config;  ///< the checkpoint this one followed
  std::vector<PendingWrite> pending_writes;        ///< ordered by (task_id, idx)
};

/// A new time-ordered UUID (version 6 layout, RFC 9562): ids created later compare greater as
/// strings, also within one process when created in the same 100 ns tick.
/// Thread-safe.
std::string new_checkpoint_id();

/// The current UTC time as ISO-8601 with microseconds ("2026-11-23T10:00:00.123456Z").
/// Thread-safe.
std::string utc_now_iso8601();

/// JSON forms used by savers and the CLI (stable: they are what savers persist).
/// `{"v","id","ts","channel_values","channel_versions","versions_seen"}`, and `"delta_chains"`
/// when it is not empty (format 2).
void to_json(nlohmann::json& j, const Checkpoint& c);
/// Reads the form of to_json; "delta_chains" may be absent (an empty object then).
/// @throws nlohmann::json::exception when a key is missing or has the wrong type.
void from_json(const nlohmann::json& j, Checkpoint& c);
/// Brings a checkpoint read as stored in an earlier format to what readers of this release see.
/// Format 1 (v <= 1) kept the engine's delta bookkeeping in
/// metadata[format::kLegacyDeltaChainKey]; it moves to checkpoint.delta_chains and the key leaves
/// the metadata. Checkpoint::v keeps the stored version. A no-op for format 2. Every saver
/// applies it to what it reads.
void upgrade_checkpoint(Checkpoint& checkpoint, CheckpointMetadata& metadata);
/// `{"base","keep","append"}`.
void to_json(nlohmann::json& j, const ChannelDelta& d);
void from_json(const nlohmann::json& j, ChannelDelta& d);
/// Checks the delta that put() was given for `channel` at `version`: based on a version other
/// than `version` (not empty), `append` an array. Whether the base is stored is the saver's check.
/// @throws SaverError [sg.saver.403] naming the channel and what is wrong.
void check_delta(const std::string& channel, const ChannelVersion& version, const ChannelDelta& delta);
/// Applies a delta to the value at its base version. @throws SaverCorrupt when `base_value` is
/// not an array or is shorter than `keep`.
nlohmann::json apply_delta(const nlohmann::json& base_value, const ChannelDelta& delta);
/// `{"task_id","channel","value"}`.
void to_json(nlohmann::json& j, const PendingWrite& w);
void from_json(const nlohmann::json& j, PendingWrite& w);

}  // namespace sg
