#pragma once
// sg-checkpoints: checkpoint namespaces. A subgraph runs under a child namespace of its parent
// graph's (sg::format::child_namespace) in the same thread, and each of its checkpoints names,
// in metadata "parents" (sg::format::kParentsKey), the checkpoint of every ancestor namespace it
// ran from. This checks a --ns value and places the checkpoints of child namespaces under those
// parent checkpoints, for `history`. The grammar is sg::format's; nothing here spells it.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <stategraph/checkpoint/checkpoint.hpp>

namespace sgcli {

/// Checks a --ns value: "" (the root namespace), or levels NODE or NODE:TASK_ID joined by
/// sg::format::kNamespaceSeparator — what sg::format::parse_namespace reads and
/// sg::format::child_namespace writes back unchanged, every node name and given task id not empty.
/// @throws CliError sg.cli.713 (exit 2) naming the value and the grammar.
void check_namespace(std::string_view ns);

/// True when `ns` is strictly inside `ancestor` (a child, grandchild, ... of it): its levels
/// start with all of the ancestor's. Every namespace but the root is inside the root.
bool is_inside(std::string_view ns, std::string_view ancestor);

/// A checkpoint in a history and the checkpoints of the child namespaces that ran from it.
struct HistoryNode {
  const sg::CheckpointTuple* tuple = nullptr;
  /// Checkpoints of child namespaces whose metadata parents[this namespace] is this checkpoint:
  /// grouped by namespace, the group with the newest checkpoint first, each group newest first.
  std::vector<HistoryNode> children;
};

/// A namespace's history with its child namespaces placed under their parent checkpoints.
struct HistoryTree {
  std::vector<HistoryNode> rows;  ///< the namespace's own checkpoints, newest first
  /// Checkpoints of namespaces inside it whose parent checkpoint is not among `checkpoints`
  /// (pruned, or no parents entry in the metadata), grouped like HistoryNode::children.
  std::vector<HistoryNode> unattached;
};

/// Builds the history of `ns` from `checkpoints`: namespace → its checkpoints, newest first,
/// for `ns` and any namespaces inside it (others are ignored). A checkpoint of namespace M goes
/// under the checkpoint of sg::format::parent_namespace(M) whose id is its metadata's
/// parents[parent namespace]. The tree points into `checkpoints`, which must outlive it.
HistoryTree history_tree(std::string_view ns, const std::map<std::string, std::vector<sg::CheckpointTuple>>& checkpoints);

}  // namespace sgcli
