#pragma once
/// @file
/// The checkpoint format: every name, key and number that a stored checkpoint spells, owned here
/// and nowhere else. The engine writes checkpoints with these builders, every saver stores and
/// reads them, and `sg-checkpoints` interprets them without the graph that wrote them; none of
/// them spells a channel name, special write, metadata key or namespace separator of its own.
///
/// Follows LangGraph's constants (langchain-ai/langgraph: libs/langgraph/langgraph/_internal/
/// _constants.py — START, TASKS, ERROR, INTERRUPT, RESUME, NULL_TASK_ID, NS_SEP, NS_END,
/// CONFIG_KEY_*; libs/checkpoint/langgraph/checkpoint/base/__init__.py — WRITES_IDX_MAP) and its
/// channel naming (pregel/_algo.py, graph/state.py: "branch:to:X", "join:A+B:X").
///
/// Thread-safety: constants and pure functions; every function may be called from any thread.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace sg {

/// A channel's version: a 20-digit zero-padded counter, '.', and 16 hex digits of salt
/// ("00000000000000000007.9f3ac1d2e4b5a6c7"). Versions of one thread compare by their counter
/// (format::version_counter); the salt keeps versions produced on two forks of a thread
/// distinct, so a value stored by (thread, ns, channel, version) is never confused between forks.
using ChannelVersion = std::string;

/// channel name → version.
using ChannelVersions = std::map<std::string, ChannelVersion>;

namespace format {

// ---- format version ---------------------------------------------------------------------------

/// Current value of Checkpoint::v. Readers accept every earlier version.
///  1: the first format; the engine's delta bookkeeping in metadata[kLegacyDeltaChainKey].
///  2: that bookkeeping in Checkpoint::delta_chains (upgrade_checkpoint reads format 1 so).
inline constexpr int kCheckpointVersion = 2;

// ---- channels ---------------------------------------------------------------------------------

/// The input channel: a run's input is written here and triggers the virtual node "__start__"
/// (LangGraph: START).
inline constexpr std::string_view kStartChannel = "__start__";
/// The Send topic: a JSON array of {"node", "arg"} objects, the push tasks of the next step
/// (LangGraph: TASKS).
inline constexpr std::string_view kTasksChannel = "__pregel_tasks";
/// The virtual entry node's name (the same string as kStartChannel; LangGraph: START).
inline constexpr std::string_view kStartNode = "__start__";
/// The virtual exit node (LangGraph: END).
inline constexpr std::string_view kEndNode = "__end__";
/// The pseudo-node of versions_seen that records what a static interrupt last saw (LangGraph:
/// INTERRUPT as a versions_seen key).
inline constexpr std::string_view kInterruptSeenKey = "__interrupt__";

/// What a channel of a checkpoint is, by its name.
enum class ChannelKind {
  field,   ///< a state field (any name that is none of the below)
  start,   ///< kStartChannel
  tasks,   ///< kTasksChannel
  branch,  ///< "branch:to:X": node X was triggered by an edge, a router or a goto
  join,    ///< "join:A+B:X": the barrier before X over sources A and B (value {"seen": [...]})
  other_internal,  ///< another "__..." name the engine may add later; never a state field
};

/// A channel name taken apart.
struct ParsedChannel {
  ChannelKind kind = ChannelKind::field;
  std::string node;                  ///< branch, join: the node it triggers
  std::vector<std::string> sources;  ///< join: the nodes it waits for, in the order spelled
};

/// "branch:to:<node>".
std::string branch_channel(std::string_view node);
/// "join:<s1>+<s2>+...:<node>", the sources in the order given (the order of the add_edge call).
std::string join_channel(const std::vector<std::string>& sources, std::string_view node);
/// Classifies `name`; a malformed "join:" name (no sources or no target) is other_internal.
ParsedChannel parse_channel(std::string_view name);
/// True for every channel that is not a state field (the engine's own bookkeeping).
bool is_internal_channel(std::string_view name);

// ---- values of the engine's channels ----------------------------------------------------------

/// A Send stored in kTasksChannel's value (a JSON array of them): {"node": name, "arg": value}.
inline constexpr std::string_view kSendNodeKey = "node";
inline constexpr std::string_view kSendArgKey = "arg";
/// A start write stored in kStartChannel's value (a JSON array of them): {"channel": field,
/// "value": the write}.
inline constexpr std::string_view kInputChannelKey = "channel";
inline constexpr std::string_view kInputValueKey = "value";
/// A join's value: {"seen": [the sources that wrote since it last fired, in source order],
/// "finished": bool (a deferred target's turn has come)}. A branch channel's value is that bool.
inline constexpr std::string_view kJoinSeenKey = "seen";
inline constexpr std::string_view kJoinFinishedKey = "finished";

/// The target nodes of the Sends in a kTasksChannel value, in order (one entry per Send);
/// entries without a string "node" are skipped, a value that is not an array has none.
std::vector<std::string> send_nodes(const nlohmann::json& tasks_value);
/// True when a join channel (`join`, from parse_channel) has heard from every source: each of
/// join.sources is listed under kJoinSeenKey in `join_value`. False for a malformed value.
bool join_complete(const ParsedChannel& join, const nlohmann::json& join_value);

// ---- versions ---------------------------------------------------------------------------------

/// The counter of a version ("00000000000000000007.9f3a..." → 7). A version that does not start
/// with a digit (a foreign saver's) counts as 1: it has a value.
std::uint64_t version_counter(std::string_view version);

/// The engine's trigger test: true when `node` has not seen `version` of `channel`, i.e.
/// versions_seen[node][channel] is missing or has a smaller counter (LangGraph: pregel/_algo.py
/// `_triggers`). `versions_seen` is Checkpoint::versions_seen.
bool unseen(const std::map<std::string, ChannelVersions>& versions_seen, std::string_view node,
            std::string_view channel, std::string_view version);

// ---- pending writes ---------------------------------------------------------------------------

/// The task failed; value {"message", "node"} (LangGraph: ERROR).
inline constexpr std::string_view kErrorWrite = "__error__";
/// The task was interrupted; value: a list of {"id","value","node","when"} (LangGraph: INTERRUPT).
inline constexpr std::string_view kInterruptWrite = "__interrupt__";
/// Resume values given to the task (task id) or to the run (null task id) (LangGraph: RESUME).
inline constexpr std::string_view kResumeWrite = "__resume__";
/// The task succeeded and wrote nothing (LangGraph: NO_WRITES).
inline constexpr std::string_view kNoWritesWrite = "__no_writes__";
/// The task id of writes that come from the run's Command input rather than from a task
/// (LangGraph: NULL_TASK_ID).
inline constexpr std::string_view kNullTaskId = "00000000-0000-0000-0000-000000000000";

/// The stored index of write number `index` of a task on `channel`: the special channels have
/// fixed negative indices and replace an earlier write of the same task (LangGraph's
/// WRITES_IDX_MAP: __error__ -1, __scheduled__ -2, __interrupt__ -3, __resume__ -4); any other
/// channel keeps `index`, and a second write with the same (task, index) keeps the first.
int write_index(std::string_view channel, int index);
/// True for kErrorWrite, kInterruptWrite and kResumeWrite (they replace, see write_index).
bool is_special_write(std::string_view channel);
/// True for every special write channel, kNoWritesWrite included: writes that carry no state.
bool is_control_write(std::string_view channel);

// ---- metadata ---------------------------------------------------------------------------------

/// Metadata keys the engine writes (LangGraph's CheckpointMetadata).
inline constexpr std::string_view kSourceKey = "source";    ///< a CheckpointSource name
inline constexpr std::string_view kStepKey = "step";        ///< integer; -1 for a fresh thread's input
inline constexpr std::string_view kParentsKey = "parents";  ///< object: ancestor ns → checkpoint id
/// In a subgraph's checkpoints (when its parent takes what the subgraph's nodes wrote): the field
/// writes its step applied, an array of [channel, value] in the order applied (LangGraph once kept
/// a step's writes in metadata under the same key). A resumed subgraph reads them back to give its
/// parent the writes of the steps an interrupt separated from the end.
inline constexpr std::string_view kWritesKey = "writes";
/// On a "fork" made by update_state(..., AS_COPY): the id of the checkpoint it copies.
inline constexpr std::string_view kCopyOfKey = "copy_of";
/// Format 1 kept the engine's delta bookkeeping in metadata under this key; format 2 moved it to
/// Checkpoint::delta_chains. Read only, never written.
inline constexpr std::string_view kLegacyDeltaChainKey = "delta_chain";

/// Why a checkpoint was made (metadata "source"; LangGraph: CheckpointMetadata.source).
enum class CheckpointSource {
  input,   ///< a run's input was written (step -1 on a fresh thread)
  loop,    ///< a superstep completed
  update,  ///< update_state
  fork,    ///< a copy of an earlier checkpoint (replay from it, or update_state AS_COPY)
};
/// "input", "loop", "update", "fork".
std::string_view to_string(CheckpointSource source);
/// The source a metadata "source" string names; nullopt for anything else.
std::optional<CheckpointSource> parse_source(std::string_view name);

// ---- namespaces -------------------------------------------------------------------------------

/// The root namespace (checkpoint_ns of a top-level run).
inline constexpr std::string_view kRootNamespace = "";
/// Separates the levels of a nested namespace (LangGraph: NS_SEP).
inline constexpr char kNamespaceSeparator = '|';
/// Separates a level's node name from its task id (LangGraph: NS_END).
inline constexpr char kNamespaceTaskSeparator = ':';

/// One level of a namespace: the node that ran the child and the task id it ran under.
struct NamespaceLevel {
  std::string node;
  std::string task_id;  ///< empty when the level names no task ("node" alone)
  friend bool operator==(const NamespaceLevel&, const NamespaceLevel&) = default;
};

/// The namespace of a child run: "<parent>|<node>:<task_id>" ("<node>:<task_id>" under the root).
std::string child_namespace(std::string_view parent, std::string_view node, std::string_view task_id);
/// The levels of `ns`, outermost first; the root namespace has none.
std::vector<NamespaceLevel> parse_namespace(std::string_view ns);
/// The namespace one level up ("" for a first-level child and for the root).
std::string parent_namespace(std::string_view ns);
/// `ns` without task ids ("a:1|b:2" → "a|b"): the address of a graph, not of a run of it.
std::string namespace_path(std::string_view ns);

}  // namespace format
}  // namespace sg
