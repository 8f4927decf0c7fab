// sg-checkpoints history: the checkpoints of a namespace of a thread, newest first, and under
// each one, indented, the checkpoints of the subgraphs (child namespaces) that ran from it
// (namespaces.hpp). Read-only.
//
// --json: an array, one object per checkpoint of the namespace, newest first:
//   {"checkpoint_id", "checkpoint_ns", "parent_checkpoint_id", "step", "source", "next",
//    "changed", "bytes", "ts", "pending_writes", "children": [objects of this form]}
// "children" holds the checkpoints of child namespaces whose metadata parents names this
// checkpoint, grouped by namespace (the group with the newest checkpoint first), each group
// newest first. Checkpoints of child namespaces whose parent checkpoint is not in the thread
// (pruned, or not named in their metadata) follow the namespace's own rows, in the same form;
// their "checkpoint_ns" tells them apart.

#include <map>
#include <ostream>
#include <utility>

#include <stategraph/checkpoint/format.hpp>

#include "channels.hpp"
#include "cli_error.hpp"
#include "commands.hpp"
#include "lookup.hpp"
#include "namespaces.hpp"
#include "table.hpp"
#include "text.hpp"

namespace sgcli {

namespace {

using nlohmann::json;

// next nodes, loading the checkpoint's values when the trigger channels need them.
std::vector<std::string> next_of(sg::BaseCheckpointSaver& saver, const sg::CheckpointTuple& t) {
  if (auto next = next_nodes(t.checkpoint)) return *next;
  const auto full = saver.get_tuple(t.config);
  if (!full) return {};
  return next_nodes(full->checkpoint).value_or(std::vector<std::string>{});
}

// Renders a HistoryTree as table rows or JSON objects.
class HistoryPrinter {
 public:
  HistoryPrinter(sg::BaseCheckpointSaver& saver, const std::string& thread,
                 const std::map<std::string, std::vector<sg::CheckpointTuple>>& checkpoints)
      : saver_(saver), thread_(thread) {
    for (const auto& [ns, tuples] : checkpoints)
      for (const auto& t : tuples) by_id_.emplace(std::pair{ns, t.checkpoint.id}, &t.checkpoint);
  }

  // `nodes` at `depth` (0: the namespace asked for): a title line before each run of rows of a
  // namespace other than `ns`, then each row and its children one level deeper.
  void table(Table& out, const std::vector<HistoryNode>& nodes, const std::string& ns, std::size_t depth,
             const char* title_suffix = "") {
    const std::string indent(2 * depth, ' ');
    const std::string* group = nullptr;
    for (const auto& node : nodes) {
      const std::string& node_ns = node.tuple->config.checkpoint_ns;
      if (node_ns != ns && (group == nullptr || *group != node_ns)) out.add_note(indent + "namespace " + node_ns + title_suffix);
      group = &node_ns;
      const Row r = row(*node.tuple);
      const auto& step = r.step;
      out.add({indent + node.tuple->checkpoint.id, r.parent_id.empty() ? "-" : r.parent_id, step ? std::to_string(*step) : "-",
               r.source.empty() ? "-" : r.source, r.next.empty() ? "-" : one_line(join(r.next), 40),
               r.changed.empty() ? "-" : one_line(join(r.changed), 40), std::to_string(r.bytes)});
      table(out, node.children, node_ns, depth + 1);
    }
  }

  json to_json(const HistoryNode& node) {
    const Row r = row(*node.tuple);
    json children = json::array();
    for (const auto& child : node.children) children.push_back(to_json(child));
    return {{"checkpoint_id", node.tuple->checkpoint.id},
            {"checkpoint_ns", node.tuple->config.checkpoint_ns},
            {"parent_checkpoint_id", r.parent_id.empty() ? json(nullptr) : json(r.parent_id)},
            {"step", optional_json(r.step)},
            {"source", r.source},
            {"next", r.next},
            {"changed", r.changed},
            {"bytes", r.bytes},
            {"ts", node.tuple->checkpoint.ts},
            {"pending_writes", node.tuple->pending_writes.size()},
            {"children", std::move(children)}};
  }

 private:
  struct Row {
    std::string parent_id;
    std::optional<std::int64_t> step;
    std::string source;
    std::vector<std::string> next;
    std::vector<std::string> changed;
    std::uint64_t bytes = 0;
  };

  Row row(const sg::CheckpointTuple& t) {
    const std::string& ns = t.config.checkpoint_ns;
    Row r;
    const sg::Checkpoint* parent = nullptr;
    if (t.parent_config && t.parent_config->checkpoint_id) {
      r.parent_id = *t.parent_config->checkpoint_id;
      if (const auto p = by_id_.find({ns, r.parent_id}); p != by_id_.end()) parent = p->second;
    }
    r.changed = changed_channels(parent, t.checkpoint);
    r.next = next_of(saver_, t);
    r.step = metadata_step(t.metadata);
    r.source = metadata_string(t.metadata, sg::format::kSourceKey);
    auto bytes = bytes_.find(ns);
    if (bytes == bytes_.end()) bytes = bytes_.emplace(ns, saver_.checkpoint_bytes({thread_, ns, std::nullopt})).first;
    if (const auto b = bytes->second.find(t.checkpoint.id); b != bytes->second.end()) r.bytes = b->second;
    return r;
  }

  sg::BaseCheckpointSaver& saver_;
  const std::string& thread_;
  std::map<std::pair<std::string, std::string>, const sg::Checkpoint*> by_id_;
  std::map<std::string, std::map<std::string, std::uint64_t>> bytes_;  ///< per namespace, when first needed
};

}  // namespace

int run_history(Context& ctx, const HistoryArgs& args) {
  check_namespace(args.ns);
  auto saver = open_database(ctx.db, Access::read);
  std::map<std::string, std::vector<sg::CheckpointTuple>> checkpoints;
  auto own = list_without_values(*saver, args.thread, args.ns);
  if (own.empty()) throw_no_checkpoint_in(*saver, args.thread, args.ns);
  checkpoints.emplace(args.ns, std::move(own));
  for (const auto& ns : require_thread(*saver, args.thread).namespaces)
    if (is_inside(ns, args.ns)) checkpoints.emplace(ns, list_without_values(*saver, args.thread, ns));
  HistoryTree tree = history_tree(args.ns, checkpoints);
  if (args.limit && tree.rows.size() > *args.limit) tree.rows.resize(*args.limit);

  HistoryPrinter printer(*saver, args.thread, checkpoints);
  if (ctx.json) {
    json rows = json::array();
    for (const auto& node : tree.rows) rows.push_back(printer.to_json(node));
    for (const auto& node : tree.unattached) rows.push_back(printer.to_json(node));
    print_json(*ctx.out, rows);
    return kExitOk;
  }
  Table table({"CHECKPOINT", "PARENT", "STEP", "SOURCE", "NEXT", "CHANGED", "BYTES"});
  table.right_align(2);
  table.right_align(6);
  printer.table(table, tree.rows, args.ns, 0);
  printer.table(table, tree.unattached, args.ns, 0, " (its parent checkpoint is not in the thread)");
  table.print(*ctx.out);
  return kExitOk;
}

}  // namespace sgcli
