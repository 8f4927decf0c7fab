// sg-checkpoints managing commands: delete, prune, copy. Each has --dry-run (the database is
// then opened read-only); delete and prune ask for confirmation on a terminal and need --yes
// otherwise.

#include <algorithm>
#include <chrono>
#include <ostream>

#include "cli_error.hpp"
#include "commands.hpp"
#include "confirm.hpp"
#include "duration.hpp"
#include "lookup.hpp"
#include "progress.hpp"
#include "text.hpp"

namespace sgcli {

namespace {

using nlohmann::json;

// What prune would delete from one thread: per namespace, the same rule as the savers (the
// newest checkpoint of each namespace always stays).
std::size_t count_prunable(sg::BaseCheckpointSaver& saver, const sg::ThreadInfo& thread, const sg::PruneOptions& rule) {
  std::size_t doomed = 0;
  for (const auto& ns : thread.namespaces) {
    const auto tuples = list_without_values(saver, thread.thread_id, ns);  // newest first
    const std::size_t count = tuples.size();
    const std::size_t keep = std::max<std::size_t>(rule.keep_last.value_or(count), 1);
    for (std::size_t i = 1; i < count; ++i) {  // i = 0 is the newest
      const bool too_old = i >= keep;
      const bool before = rule.before && tuples[i].checkpoint.id < *rule.before;
      if (too_old || before) ++doomed;
    }
  }
  return doomed;
}

// "3 checkpoints", or "13 checkpoints in 5 namespaces" when subgraphs ran.
std::string checkpoint_count(const sg::ThreadInfo& thread) {
  std::string text = std::to_string(thread.checkpoints) + " checkpoint" + (thread.checkpoints == 1 ? "" : "s");
  if (thread.namespaces.size() > 1) text += " in " + std::to_string(thread.namespaces.size()) + " namespaces";
  return text;
}

}  // namespace

int run_delete(Context& ctx, const DeleteArgs& args) {
  auto saver = open_database(ctx.db, args.dry_run ? Access::read : Access::write);
  const auto thread = require_thread(*saver, args.thread);
  const std::string what = "thread \"" + args.thread + "\" (" + checkpoint_count(thread) + ", " + human_bytes(thread.bytes) + ")";
  if (args.dry_run) {
    if (ctx.json) {
      print_json(*ctx.out, {{"dry_run", true}, {"thread_id", args.thread}, {"checkpoints", thread.checkpoints},
                            {"namespaces", thread.namespaces}, {"bytes", thread.bytes}});
    } else {
      *ctx.out << "would delete " << what << "\n";
    }
    return kExitOk;
  }
  confirm("Delete " + what + " from " + ctx.db.uri.display() + "?", args.yes);
  saver->delete_thread(args.thread);
  if (ctx.json) {
    print_json(*ctx.out, {{"dry_run", false}, {"thread_id", args.thread}, {"checkpoints", thread.checkpoints},
                          {"namespaces", thread.namespaces}, {"bytes", thread.bytes}});
  } else {
    *ctx.out << "deleted " << what << "\n";
  }
  return kExitOk;
}

int run_prune(Context& ctx, const PruneArgs& args) {
  if (args.all == args.thread.has_value())
    throw CliError(sg::ErrorId::cli_bad_command_line, "prune needs a THREAD or --all (not both)", kExitError);
  const int rules = (args.keep_last ? 1 : 0) + (args.before ? 1 : 0) + (args.older_than ? 1 : 0);
  if (rules != 1)
    throw CliError(sg::ErrorId::cli_bad_command_line, "prune needs exactly one of --keep-last N, --before CHECKPOINT, --older-than DURATION",
                   kExitError);
  if (args.keep_last && *args.keep_last == 0)
    throw CliError(sg::ErrorId::cli_bad_command_line, "--keep-last must be at least 1 (the newest checkpoint always stays)", kExitError);

  auto saver = open_database(ctx.db, args.dry_run ? Access::read : Access::write);
  std::vector<sg::ThreadInfo> threads;
  if (args.thread) {
    threads.push_back(require_thread(*saver, *args.thread));
  } else {
    threads = saver->list_threads();
  }
  sg::PruneOptions rule;
  rule.keep_last = args.keep_last;
  if (args.before) {
    rule.before = args.thread ? resolve_checkpoint(*saver, *args.thread, "", *args.before) : *args.before;
  }
  if (args.older_than) {
    rule.before = checkpoint_id_at(std::chrono::system_clock::now() - parse_duration(*args.older_than));
  }

  // The plan: how many checkpoints go from each thread.
  std::vector<std::pair<const sg::ThreadInfo*, std::size_t>> plan;
  std::size_t total = 0;
  {
    Progress progress("planning", threads.size());
    for (std::size_t i = 0; i < threads.size(); ++i) {
      const std::size_t n = count_prunable(*saver, threads[i], rule);
      if (n > 0) plan.emplace_back(&threads[i], n);
      total += n;
      progress.update(i + 1);
    }
  }
  auto report = [&](bool dry_run, const std::vector<std::pair<std::string, std::size_t>>& done) {
    if (ctx.json) {
      json list = json::array();
      for (const auto& [thread, n] : done) list.push_back({{"thread_id", thread}, {"checkpoints", n}});
      print_json(*ctx.out, {{"dry_run", dry_run}, {"checkpoints", total}, {"threads", list}});
      return;
    }
    for (const auto& [thread, n] : done)
      *ctx.out << (dry_run ? "would prune " : "pruned ") << n << " checkpoint" << (n == 1 ? "" : "s") << " of thread \""
               << thread << "\"\n";
    if (done.empty()) *ctx.out << "nothing to prune\n";
  };
  std::vector<std::pair<std::string, std::size_t>> planned;
  for (const auto& [thread, n] : plan) planned.emplace_back(thread->thread_id, n);
  if (args.dry_run || total == 0) {
    report(true, planned);
    return kExitOk;
  }
  confirm("Prune " + std::to_string(total) + " checkpoints from " + std::to_string(plan.size()) + " thread" +
              (plan.size() == 1 ? "" : "s") + " of " + ctx.db.uri.display() + "?",
          args.yes);
  std::vector<std::pair<std::string, std::size_t>> done;
  Progress progress("pruning", total);
  std::size_t so_far = 0;
  for (const auto& [thread, n] : plan) {
    const std::size_t deleted = saver->prune(thread->thread_id, rule);
    done.emplace_back(thread->thread_id, deleted);
    so_far += n;
    progress.update(so_far);
  }
  progress.finish();
  total = 0;
  for (const auto& [thread, n] : done) total += n;
  report(false, done);
  return kExitOk;
}

int run_copy(Context& ctx, const CopyArgs& args) {
  auto saver = open_database(ctx.db, args.dry_run ? Access::read : Access::write);
  const auto source = require_thread(*saver, args.from);
  sg::ThreadListOptions to;
  to.thread_id = args.to;
  if (!saver->list_threads(to).empty())
    throw CliError(sg::ErrorId::cli_thread_exists, "thread \"" + args.to + "\" exists already; delete it first or pick another id",
                   kExitError);
  if (!args.dry_run) saver->copy_thread(args.from, args.to);
  if (ctx.json) {
    print_json(*ctx.out, {{"dry_run", args.dry_run}, {"from", args.from}, {"to", args.to}, {"checkpoints", source.checkpoints},
                          {"namespaces", source.namespaces}});
  } else {
    *ctx.out << (args.dry_run ? "would copy " : "copied ") << "thread \"" << args.from << "\" to \"" << args.to << "\" ("
             << checkpoint_count(source) << ")\n";
  }
  return kExitOk;
}

}  // namespace sgcli
