#include "namespaces.hpp"

#include <algorithm>
#include <set>
#include <utility>

#include <stategraph/checkpoint/format.hpp>

#include "cli_error.hpp"

namespace sgcli {

namespace fmt = sg::format;

void check_namespace(std::string_view ns) {
  if (ns.empty()) return;
  std::string rebuilt;
  bool ok = true;
  for (const auto& level : fmt::parse_namespace(ns)) {
    if (level.node.empty() || level.task_id.find(fmt::kNamespaceTaskSeparator) != std::string::npos) ok = false;
    rebuilt = fmt::child_namespace(rebuilt, level.node, level.task_id);
  }
  if (ok && rebuilt == ns) return;  // a level "node:" (empty task id) does not come back unchanged
  const std::string sep(1, fmt::kNamespaceSeparator);
  const std::string task(1, fmt::kNamespaceTaskSeparator);
  throw CliError(sg::ErrorId::cli_bad_namespace,
                 "--ns \"" + std::string(ns) + "\" is not a checkpoint namespace: give levels NODE or NODE" + task +
                     "TASK_ID joined by '" + sep + "' (e.g. research" + task + "<task id>" + sep + "search" + task +
                     "<task id>), or \"\" for the root; `sg-checkpoints threads --json` lists each thread's namespaces",
                 kExitError);
}

bool is_inside(std::string_view ns, std::string_view ancestor) {
  if (ns == ancestor) return false;
  if (ancestor.empty()) return true;
  const auto levels = fmt::parse_namespace(ns);
  const auto outer = fmt::parse_namespace(ancestor);
  return levels.size() > outer.size() && std::equal(outer.begin(), outer.end(), levels.begin());
}

namespace {

// (namespace, checkpoint id) of a parent checkpoint.
using Address = std::pair<std::string, std::string>;

// The checkpoints attached to each parent checkpoint, and the ones attached to none, each list
// in the order of `checkpoints` (namespace by namespace, newest first).
struct Attachments {
  std::map<Address, std::vector<const sg::CheckpointTuple*>> under;
  std::vector<const sg::CheckpointTuple*> unattached;
};

class TreeBuilder {
 public:
  explicit TreeBuilder(Attachments attachments) : a_(std::move(attachments)) {}

  HistoryNode node(const sg::CheckpointTuple& t) {
    HistoryNode n{&t, {}};
    const auto it = a_.under.find({t.config.checkpoint_ns, t.checkpoint.id});
    if (it != a_.under.end()) n.children = grouped(it->second);
    return n;
  }

  // Nodes of `tuples` grouped by namespace, the group with the newest checkpoint first.
  std::vector<HistoryNode> grouped(const std::vector<const sg::CheckpointTuple*>& tuples) {
    std::vector<std::pair<std::string, std::vector<const sg::CheckpointTuple*>>> groups;  // ns → newest first
    for (const auto* t : tuples) {
      auto g = std::find_if(groups.begin(), groups.end(), [&](const auto& x) { return x.first == t->config.checkpoint_ns; });
      if (g == groups.end()) g = groups.insert(groups.end(), {t->config.checkpoint_ns, {}});
      g->second.push_back(t);
    }
    std::stable_sort(groups.begin(), groups.end(), [](const auto& x, const auto& y) {
      return x.second.front()->checkpoint.id > y.second.front()->checkpoint.id;
    });
    std::vector<HistoryNode> out;
    for (const auto& [ns, group] : groups)
      for (const auto* t : group) out.push_back(node(*t));
    return out;
  }

 private:
  Attachments a_;
};

}  // namespace

HistoryTree history_tree(std::string_view ns, const std::map<std::string, std::vector<sg::CheckpointTuple>>& checkpoints) {
  std::set<Address> known;
  for (const auto& [listed_ns, tuples] : checkpoints)
    for (const auto& t : tuples) known.emplace(listed_ns, t.checkpoint.id);
  Attachments a;
  for (const auto& [child_ns, tuples] : checkpoints) {
    if (!is_inside(child_ns, ns)) continue;
    const std::string parent_ns = fmt::parent_namespace(child_ns);
    for (const auto& t : tuples) {
      Address parent{parent_ns, {}};
      if (const auto parents = t.metadata.find(fmt::kParentsKey); parents != t.metadata.end() && parents->is_object())
        if (const auto id = parents->find(parent_ns); id != parents->end() && id->is_string()) parent.second = id->get<std::string>();
      if (known.count(parent) != 0) {
        a.under[parent].push_back(&t);
      } else {
        a.unattached.push_back(&t);
      }
    }
  }
  HistoryTree tree;
  const auto unattached = a.unattached;
  TreeBuilder builder(std::move(a));
  if (const auto own = checkpoints.find(std::string(ns)); own != checkpoints.end())
    for (const auto& t : own->second) tree.rows.push_back(builder.node(t));
  // An unattached checkpoint's own children stay under it; only the outermost are listed here.
  tree.unattached = builder.grouped(unattached);
  return tree;
}

}  // namespace sgcli
