// sg-checkpoints stats and verify: the whole store, read-only. verify runs the backend's own
// storage check (CheckpointAdmin::check_storage: SQLite's quick_check) and then loads every
// checkpoint (values, writes, checksums).

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

std::string plural(std::uint64_t n, const std::string& word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

// One line on the checksums the store keeps.
std::string checksum_line(const sg::StorageCheck& check) {
  if (!check.with_checksum || !check.without_checksum) return check.checksum_note;
  const std::uint64_t with = *check.with_checksum, without = *check.without_checksum;
  if (with + without == 0) return "nothing stored yet";
  if (without == 0) return "all " + plural(with, "stored item") + " carry one (XXH3-64), checked as loaded";
  const std::string unchecked = plural(without, "item") + " carry none (written before checksums or without them): "
                                                           "a changed byte there is found only when it breaks decoding";
  if (with == 0) return "none stored: " + unchecked;
  return plural(with, "stored item") + " carry one (XXH3-64), checked as loaded; " + unchecked;
}

void print_storage(std::ostream& out, const sg::StorageCheck& check) {
  if (check.method.empty()) {
    out << "storage      " << check.note << "\n";
  } else if (check.problems.empty()) {
    out << "storage      " << check.method << ": ok (" << check.note << ")\n";
  } else {
    out << "storage      " << check.method << " found problems:\n";
    for (const auto& line : check.problems) out << "  " << line << "\n";
  }
  out << "checksums    " << checksum_line(check) << "\n";
}

}  // namespace

int run_stats(Context& ctx, const StatsArgs& args) {
  auto saver = open_database(ctx.db, Access::read);
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
    print_json(*ctx.out, {{"database", ctx.db.uri.display()},
                          {"threads", threads.size()},
                          {"checkpoints", checkpoints},
                          {"total_disk_bytes", stats.total_disk_bytes ? json(*stats.total_disk_bytes) : json(nullptr)},
                          {"free_bytes", stats.free_bytes ? json(*stats.free_bytes) : json(nullptr)},
                          {"tables", tables},
                          {"per_thread", per_thread}});
    return kExitOk;
  }
  std::ostream& out = *ctx.out;
  out << "database     " << ctx.db.uri.display() << "\nthreads      " << threads.size() << "\ncheckpoints  " << checkpoints
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
  auto saver = open_database(ctx.db, Access::read);
  const sg::StorageCheck storage = saver->check_storage();
  std::vector<Problem> problems;
  std::vector<sg::ThreadInfo> threads;
  try {
    threads = saver->list_threads();
  } catch (const sg::SaverError& e) {  // a malformed file may not even list
    problems.push_back({"", "", "", message_of(e)});
  }
  std::size_t total = 0;
  for (const auto& t : threads) total += t.checkpoints;
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
  const bool ok = problems.empty() && storage.problems.empty();
  if (ctx.json) {
    json list = json::array();
    for (const auto& p : problems)
      list.push_back({{"thread_id", p.thread.empty() ? json(nullptr) : json(p.thread)},
                      {"checkpoint_ns", p.thread.empty() ? json(nullptr) : json(p.ns)},
                      {"checkpoint_id", p.checkpoint.empty() ? json(nullptr) : json(p.checkpoint)},
                      {"error", p.error}});
    const json checksums = storage.with_checksum && storage.without_checksum
                               ? json{{"with", *storage.with_checksum}, {"without", *storage.without_checksum}}
                               : json{{"with", nullptr}, {"without", nullptr}, {"note", storage.checksum_note}};
    print_json(*ctx.out, {{"ok", ok},
                          {"threads", threads.size()},
                          {"checkpoints", checked},
                          {"storage", {{"method", storage.method}, {"note", storage.note}, {"problems", storage.problems}}},
                          {"checksums", checksums},
                          {"problems", list}});
  } else {
    print_storage(*ctx.out, storage);
    if (problems.empty()) {
      *ctx.out << (ok ? "ok: " : "") << threads.size() << " threads, " << checked
               << " checkpoints, every checkpoint loads\n";
    } else {
      Table table({"THREAD", "NAMESPACE", "CHECKPOINT", "PROBLEM"});
      for (const auto& p : problems)
        table.add({p.thread.empty() ? "-" : p.thread, p.thread.empty() ? "-" : p.ns,
                   p.checkpoint.empty() ? "-" : p.checkpoint, p.error});
      table.print(*ctx.out);
    }
  }
  if (ok) return kExitOk;
  std::string what;
  if (!storage.problems.empty())
    what = storage.method + " reported " + plural(storage.problems.size(), "problem") + " (\"" +
           storage.problems.front() + "\"" + (storage.problems.size() > 1 ? ", ..." : "") + ")";
  if (!problems.empty()) what += (what.empty() ? "" : "; ") + plural(problems.size(), "broken item");
  throw CliError(sg::ErrorId::cli_verify_failed, "verification failed: " + what + " in " + ctx.db.uri.display(),
                 kExitNotFound);
}

}  // namespace sgcli
