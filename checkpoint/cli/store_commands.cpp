// sg-checkpoints stats and verify: the whole store, read-only.

#include <algorithm>
#include <ostream>

#include <stategraph/checkpoint/error.hpp>

#include "cli_error.hpp"
#include "commands.hpp"
#include "lookup.hpp"
#include "progress.hpp"
#include "table.hpp"
#include "text.hpp"

namespace sgcli {

namespace {

using nlohmann::json;

constexpr std::size_t kPage = 32;

struct Problem {
  std::string thread, ns, checkpoint, error;
};

std::string message_of(const std::exception& e) {
  std::string text = e.what();
  std::replace(text.begin(), text.end(), '\n', ' ');
  return text;
}

}  // namespace

int run_stats(Context& ctx, const StatsArgs& args) {
  auto saver = open_database(ctx.db, ctx.schema, Access::read);
  const auto stats = saver->storage_stats();
  auto threads = saver->list_threads();
  std::stable_sort(threads.begin(), threads.end(),
                   [](const sg::ThreadInfo& a, const sg::ThreadInfo& b) { return a.bytes > b.bytes; });
  std::uint64_t checkpoints = 0;
  for (const auto& t : threads) checkpoints += t.checkpoints;
  if (ctx.json) {
    json tables = json::array();
    for (const auto& t : stats.tables)
      tables.push_back({{"table", t.name}, {"rows", t.rows}, {"bytes", t.bytes},
                        {"disk_bytes", t.disk_bytes ? json(*t.disk_bytes) : json(nullptr)}});
    json per_thread = json::array();
    for (const auto& t : threads)
      per_thread.push_back({{"thread_id", t.thread_id}, {"checkpoints", t.checkpoints}, {"bytes", t.bytes}});
    print_json(*ctx.out, {{"database", ctx.db.display()},
                          {"threads", threads.size()},
                          {"checkpoints", checkpoints},
                          {"total_disk_bytes", stats.total_disk_bytes ? json(*stats.total_disk_bytes) : json(nullptr)},
                          {"free_bytes", stats.free_bytes ? json(*stats.free_bytes) : json(nullptr)},
                          {"tables", tables},
                          {"per_thread", per_thread}});
    return kExitOk;
  }
  std::ostream& out = *ctx.out;
  out << "database     " << ctx.db.display() << "\nthreads      " << threads.size() << "\ncheckpoints  " << checkpoints
      << "\n";
  if (stats.total_disk_bytes) out << "on disk      " << human_bytes(*stats.total_disk_bytes) << "\n";
  if (stats.free_bytes) out << "free pages   " << human_bytes(*stats.free_bytes) << " (VACUUM returns them)\n";
  out << "\n";
  Table tables({"TABLE", "ROWS", "DATA", "ON DISK"});
  for (std::size_t c = 1; c < 4; ++c) tables.right_align(c);
  for (const auto& t : stats.tables)
    tables.add({t.name, std::to_string(t.rows), human_bytes(t.bytes), t.disk_bytes ? human_bytes(*t.disk_bytes) : "-"});
  tables.print(out);
  out << "\n";
  Table per_thread({"THREAD", "CHECKPOINTS", "DATA"});
  per_thread.right_align(1);
  per_thread.right_align(2);
  for (std::size_t i = 0; i < threads.size() && i < args.limit; ++i)
    per_thread.add({one_line(threads[i].thread_id, 60), std::to_string(threads[i].checkpoints), human_bytes(threads[i].bytes)});
  per_thread.print(out);
  if (threads.size() > args.limit)
    out << "(" << threads.size() - args.limit << " more threads; --limit N shows more, --json all)\n";
  return kExitOk;
}

int run_verify(Context& ctx) {
  auto saver = open_database(ctx.db, ctx.schema, Access::read);
  const auto threads = saver->list_threads();
  std::size_t total = 0;
  for (const auto& t : threads) total += t.checkpoints;
  std::vector<Problem> problems;
  std::size_t checked = 0;
  Progress progress("verifying", total);
  for (const auto& thread : threads) {
    for (const auto& ns : thread.namespaces) {
      std::vector<std::string> ids;  // newest first
      try {
        for (const auto& t : list_without_values(*saver, thread.thread_id, ns)) ids.push_back(t.checkpoint.id);
      } catch (const sg::SaverError& e) {
        problems.push_back({thread.thread_id, ns, "", message_of(e)});
        continue;
      }
      // Pages of full loads (values resolved, writes decoded); a page that fails is loaded one
      // checkpoint at a time to name each broken one.
      for (std::size_t start = 0; start < ids.size(); start += kPage) {
        const std::size_t end = std::min(ids.size(), start + kPage);
        sg::ListOptions page;
        page.limit = end - start;
        if (start > 0) page.before = ids[start - 1];
        try {
          saver->list({thread.thread_id, ns, std::nullopt}, page);
        } catch (const sg::SaverError&) {
          for (std::size_t i = start; i < end; ++i) {
            try {
              if (!saver->get_tuple({thread.thread_id, ns, ids[i]}))
                problems.push_back({thread.thread_id, ns, ids[i], "the checkpoint disappeared while verifying"});
            } catch (const sg::SaverError& e) {
              problems.push_back({thread.thread_id, ns, ids[i], message_of(e)});
            }
          }
        }
        checked += end - start;
        progress.update(checked);
      }
    }
  }
  progress.finish();
  if (ctx.json) {
    json list = json::array();
    for (const auto& p : problems)
      list.push_back({{"thread_id", p.thread},
                      {"checkpoint_ns", p.ns},
                      {"checkpoint_id", p.checkpoint.empty() ? json(nullptr) : json(p.checkpoint)},
                      {"error", p.error}});
    print_json(*ctx.out, {{"ok", problems.empty()}, {"threads", threads.size()}, {"checkpoints", checked},
                          {"problems", list}});
  } else if (problems.empty()) {
    *ctx.out << "ok: " << threads.size() << " threads, " << checked << " checkpoints, every checkpoint loads\n";
  } else {
    Table table({"THREAD", "NAMESPACE", "CHECKPOINT", "PROBLEM"});
    for (const auto& p : problems) table.add({p.thread, p.ns, p.checkpoint.empty() ? "-" : p.checkpoint, p.error});
    table.print(*ctx.out);
  }
  if (!problems.empty())
    throw CliError(sg::ErrorId::cli_verify_failed,
                   "verification failed: " + std::to_string(problems.size()) + " broken item" +
                       (problems.size() == 1 ? "" : "s") + " in " + ctx.db.display(),
                   kExitNotFound);
  return kExitOk;
}

}  // namespace sgcli
