// sg-checkpoints reading commands: threads, show, diff, writes (history: history.cpp). The
// database is opened read-only (SQLITE_OPEN_READONLY, read-only Postgres sessions) and never
// changed.

#include <map>
#include <ostream>
#include <set>

#include <stategraph/checkpoint/format.hpp>

#include "channels.hpp"
#include "cli_error.hpp"
#include "commands.hpp"
#include "lookup.hpp"
#include "messages.hpp"
#include "namespaces.hpp"
#include "table.hpp"
#include "text.hpp"

namespace sgcli {

namespace {

using nlohmann::json;

// KEY=VALUE → {"KEY": VALUE}; VALUE is JSON when it parses as JSON, else a string.
json parse_filters(const std::vector<std::string>& filters) {
  json out = json::object();
  for (const auto& f : filters) {
    const std::size_t eq = f.find('=');
    if (eq == std::string::npos || eq == 0)
      throw CliError(sg::ErrorId::cli_bad_command_line, "--filter \"" + f + "\" is not KEY=VALUE (e.g. --filter source=loop --filter step=3)",
                     kExitError);
    const std::string value = f.substr(eq + 1);
    json parsed = json::parse(value, nullptr, false);
    out[f.substr(0, eq)] = parsed.is_discarded() ? json(value) : parsed;
  }
  return out;
}

// Renders a state value for people: message lists as blocks, strings as text, the rest as JSON.
void print_value(std::ostream& out, const std::string& channel, const json& value) {
  if (is_message_list(value)) {
    out << channel << " (" << value.size() << " message" << (value.size() == 1 ? "" : "s") << "):\n";
    for (const auto& m : value) out << render_message(m) << "\n\n";
    return;
  }
  if (is_message(value)) {
    out << channel << ":\n" << render_message(value) << "\n\n";
    return;
  }
  const std::string text = value.dump(2, ' ', false, json::error_handler_t::replace);
  out << channel << ": " << text << "\n";
}

json checkpoint_header_json(const sg::CheckpointTuple& t) {
  return {{"thread_id", t.config.thread_id},
          {"checkpoint_ns", t.config.checkpoint_ns},
          {"checkpoint_id", t.checkpoint.id},
          {"parent_checkpoint_id", t.parent_config ? json(t.parent_config->checkpoint_id.value_or("")) : json(nullptr)},
          {"ts", t.checkpoint.ts},
          {"metadata", t.metadata}};
}

}  // namespace

int run_threads(Context& ctx, const ThreadsArgs& args) {
  auto saver = open_database(ctx.db, Access::read);
  sg::ThreadListOptions options;
  options.filter = parse_filters(args.filters);
  options.limit = args.limit;
  const auto threads = saver->list_threads(options);
  if (ctx.json) {
    json out = json::array();
    for (const auto& t : threads)
      out.push_back({{"thread_id", t.thread_id},
                     {"checkpoints", t.checkpoints},
                     {"last_step", optional_json(t.last_step)},
                     {"last_checkpoint_id", t.last_checkpoint_id},
                     {"last_updated", t.last_ts},
                     {"bytes", t.bytes},
                     {"namespaces", t.namespaces}});
    print_json(*ctx.out, out);
    return kExitOk;
  }
  Table table({"THREAD", "CHECKPOINTS", "NAMESPACES", "LAST STEP", "LAST UPDATED", "SIZE"});
  table.right_align(1);
  table.right_align(2);
  table.right_align(3);
  table.right_align(5);
  for (const auto& t : threads)
    table.add({one_line(t.thread_id, 60), std::to_string(t.checkpoints), std::to_string(t.namespaces.size()),
               t.last_step ? std::to_string(*t.last_step) : "-", t.last_ts, human_bytes(t.bytes)});
  table.print(*ctx.out);
  return kExitOk;
}

int run_show(Context& ctx, const ShowArgs& args) {
  check_namespace(args.ns);
  auto saver = open_database(ctx.db, Access::read);
  const auto t = load_checkpoint(*saver, args.thread, args.ns, args.checkpoint);
  const auto next = next_nodes(t.checkpoint).value_or(std::vector<std::string>{});
  const auto& values = t.checkpoint.channel_values;
  if (args.channel) {
    const auto it = values.find(*args.channel);
    if (it == values.end()) {
      std::vector<std::string> names;
      for (const auto& [name, value] : values)
        if (!is_internal_channel(name)) names.push_back(name);
      throw CliError(sg::ErrorId::cli_unknown_channel,
                     "channel \"" + *args.channel + "\" has no value in checkpoint \"" + t.checkpoint.id +
                         "\" of thread \"" + args.thread + "\"; it has: " + (names.empty() ? "none" : join(names)),
                     kExitNotFound);
    }
    if (ctx.json) {
      json out = checkpoint_header_json(t);
      out["channel"] = *args.channel;
      out["value"] = it->second;
      print_json(*ctx.out, out);
    } else {
      print_value(*ctx.out, it->first, it->second);
    }
    return kExitOk;
  }
  if (ctx.json) {
    json out = checkpoint_header_json(t);
    out["next"] = next;
    json state = json::object();
    for (const auto& [name, value] : values)
      if (args.all_channels || !is_internal_channel(name)) state[name] = value;
    out["values"] = std::move(state);
    out["channel_versions"] = t.checkpoint.channel_versions;
    out["pending_writes"] = t.pending_writes.size();
    print_json(*ctx.out, out);
    return kExitOk;
  }
  std::ostream& out = *ctx.out;
  const auto step = metadata_step(t.metadata);
  out << "thread      " << t.config.thread_id << (t.config.checkpoint_ns.empty() ? "" : "  namespace " + t.config.checkpoint_ns)
      << "\ncheckpoint  " << t.checkpoint.id << "\nparent      "
      << (t.parent_config ? t.parent_config->checkpoint_id.value_or("-") : "-") << "\nstep        "
      << (step ? std::to_string(*step) : "-") << "\nsource      " << metadata_string(t.metadata, sg::format::kSourceKey)
      << "\ncreated     " << t.checkpoint.ts << "\nnext        " << (next.empty() ? "-" : join(next)) << "\n";
  if (!t.pending_writes.empty()) out << "writes      " << t.pending_writes.size() << " pending\n";
  // A subgraph's checkpoint: the checkpoint of each enclosing graph it ran from.
  if (const auto parents = t.metadata.find(sg::format::kParentsKey); parents != t.metadata.end() && parents->is_object())
    for (const auto& [ns, id] : parents->items())
      out << "ran from    " << (id.is_string() ? id.get<std::string>() : excerpt(id)) << " ("
          << (ns.empty() ? std::string("root namespace") : "namespace " + ns) << ")\n";
  out << "\n";
  for (const auto& [name, value] : values)
    if (args.all_channels || !is_internal_channel(name)) print_value(out, name, value);
  return kExitOk;
}

int run_diff(Context& ctx, const DiffArgs& args) {
  check_namespace(args.ns);
  auto saver = open_database(ctx.db, Access::read);
  const auto a = load_checkpoint(*saver, args.thread, args.ns, args.from);
  const auto b = load_checkpoint(*saver, args.thread, args.ns, args.to);
  std::set<std::string> channels;
  for (const auto& [name, v] : a.checkpoint.channel_versions) channels.insert(name);
  for (const auto& [name, v] : b.checkpoint.channel_versions) channels.insert(name);
  json changes = json::array();
  std::ostream& out = *ctx.out;
  if (!ctx.json)
    out << "diff " << a.checkpoint.id << " -> " << b.checkpoint.id << (args.ns.empty() ? "" : "  namespace " + args.ns) << "\n";
  std::size_t shown = 0;
  for (const auto& name : channels) {
    if (!args.all_channels && is_internal_channel(name)) continue;
    const auto va = a.checkpoint.channel_versions.find(name);
    const auto vb = b.checkpoint.channel_versions.find(name);
    const bool in_a = va != a.checkpoint.channel_versions.end();
    const bool in_b = vb != b.checkpoint.channel_versions.end();
    if (in_a && in_b && va->second == vb->second) continue;
    const json* before = in_a ? &a.checkpoint.channel_values.at(name) : nullptr;
    const json* after = in_b ? &b.checkpoint.channel_values.at(name) : nullptr;
    if (before != nullptr && after != nullptr && *before == *after) continue;  // rewritten, same value
    ++shown;
    json change = {{"channel", name}, {"change", !in_a ? "added" : !in_b ? "removed" : "changed"}};
    const bool messages = (before == nullptr || before->is_array()) && (after == nullptr || after->is_array()) &&
                          ((before != nullptr && is_message_list(*before)) || (after != nullptr && is_message_list(*after)));
    if (messages) {
      const auto d = diff_messages(before != nullptr ? *before : json::array(), after != nullptr ? *after : json::array());
      json replaced = json::array();
      for (const auto& [x, y] : d.replaced) replaced.push_back({{"before", x}, {"after", y}});
      change["messages"] = {{"added", d.added}, {"replaced", replaced}, {"removed", d.removed}};
      if (!ctx.json) {
        out << (!in_a ? "+ " : !in_b ? "- " : "~ ") << name << ": " << d.added.size() << " added, " << d.replaced.size()
            << " replaced, " << d.removed.size() << " removed\n";
        for (const auto& m : d.added) out << "    + " << message_summary(m) << "\n";
        for (const auto& [x, y] : d.replaced)
          out << "    ~ " << message_summary(x) << "\n      -> " << message_summary(y) << "\n";
        for (const auto& m : d.removed) out << "    - " << message_summary(m) << "\n";
      }
    } else {
      if (before != nullptr) change["before"] = *before;
      if (after != nullptr) change["after"] = *after;
      if (!ctx.json) {
        if (!in_a) {
          out << "+ " << name << ": " << excerpt(*after, 100) << "\n";
        } else if (!in_b) {
          out << "- " << name << ": " << excerpt(*before, 100) << "\n";
        } else {
          out << "~ " << name << ": " << excerpt(*before, 60) << " -> " << excerpt(*after, 60) << "\n";
        }
      }
    }
    changes.push_back(std::move(change));
  }
  if (ctx.json) {
    print_json(*ctx.out, {{"thread_id", args.thread},
                          {"checkpoint_ns", args.ns},
                          {"from", a.checkpoint.id},
                          {"to", b.checkpoint.id},
                          {"channels", changes}});
  } else if (shown == 0) {
    out << "(no channel changed)\n";
  }
  return kExitOk;
}

int run_writes(Context& ctx, const WritesArgs& args) {
  check_namespace(args.ns);
  auto saver = open_database(ctx.db, Access::read);
  const std::string id = resolve_checkpoint(*saver, args.thread, args.ns, args.checkpoint);
  sg::ListOptions one;
  one.values = false;
  const auto tuples = saver->list({args.thread, args.ns, id}, one);
  if (tuples.empty()) throw CliError(sg::ErrorId::cli_unknown_checkpoint, "checkpoint \"" + id + "\" not found", kExitNotFound);
  const auto& writes = tuples.front().pending_writes;
  if (ctx.json) {
    json out = json::array();
    for (const auto& w : writes) out.push_back({{"task_id", w.task_id}, {"channel", w.channel}, {"value", w.value}});
    print_json(*ctx.out, out);
    return kExitOk;
  }
  Table table({"TASK", "CHANNEL", "VALUE"});
  for (const auto& w : writes)
    table.add({w.task_id, w.channel, is_message(w.value) ? message_summary(w.value, 60) : excerpt(w.value, 80)});
  table.print(*ctx.out);
  return kExitOk;
}

}  // namespace sgcli
