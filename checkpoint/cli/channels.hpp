#pragma once
// sg-checkpoints: what a checkpoint's channels say without the graph that wrote them — which
// channels are the engine's own, which changed since the parent, and which nodes run next.

#include <optional>
#include <string>
#include <vector>

#include <stategraph/checkpoint/checkpoint.hpp>

namespace sgcli {

/// The engine's trigger channels: "__start__", "__pregel_tasks", "branch:to:X", "join:A+B:X"
/// (and any other "__" name). State fields are everything else.
bool is_internal_channel(const std::string& name);

/// State channels whose version differs between `parent` (none: the first checkpoint) and
/// `child`, including channels added or removed; sorted.
std::vector<std::string> changed_channels(const sg::Checkpoint* parent, const sg::Checkpoint& child);

/// The nodes the engine will run from `checkpoint` (LangGraph's StateSnapshot.next), derived
/// from its trigger channels the way the engine plans (engine/src/loop_state.cpp): a node runs
/// when a trigger channel of its own ("branch:to:X", a complete "join:...:X", "__start__" for
/// "__start__") has a newer version than versions_seen[X] records, and a Send in
/// "__pregel_tasks" runs its node. Like the engine's StateSnapshot::next: one entry per Send, in
/// Send order, then the other nodes sorted by name.
/// Joins and Sends need the values of their channels: when `checkpoint` has none
/// (ListOptions::values = false) and such a channel is pending, returns nullopt — load the
/// checkpoint with values and ask again. A deferred node (add_node with defer) whose turn has
/// not come is listed too: the graph, not the checkpoint, knows it is deferred.
std::optional<std::vector<std::string>> next_nodes(const sg::Checkpoint& checkpoint);

}  // namespace sgcli
