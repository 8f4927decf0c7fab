// sg-checkpoints: inspect and manage what stategraph's checkpoint savers hold.
//
//   sg-checkpoints --db sqlite:chat.db threads
//   sg-checkpoints --db postgresql://user@host/db --schema app history THREAD --json
//
// Commands are split by what they do: read_commands.cpp (threads, show, diff, writes), history.cpp,
// manage_commands.cpp (delete, prune, copy), transfer_commands.cpp (export, import),
// store_commands.cpp (stats, verify). Exit codes and error ids: cli_error.hpp.

#include <CLI/CLI.hpp>

#include <algorithm>
#include <exception>
#include <iostream>
#include <string>

#include <stategraph/checkpoint/error.hpp>
#include <stategraph/checkpoint/format.hpp>
#include <stategraph/checkpoint/redact_password.hpp>

#include "cli_error.hpp"
#include "commands.hpp"

namespace {

constexpr const char* kFooter = R"(Global options (--db, --schema, --json) go before or after the command:
  sg-checkpoints --db sqlite:chat.db history THREAD --json
Exit codes:
  0  success
  1  not found (thread, checkpoint, channel), verification failed, or confirmation declined
  2  usage error, or the database could not be opened or read
Errors are one line on stderr, "sg-checkpoints: [id] message"; the ids are listed in README.md.)";

std::string verify_footer() {
  return "What verify checks:\n"
         "  SQLite    PRAGMA quick_check reads every page (B-tree structure, records); its complaints are\n"
         "            listed and fail the verification. Then every checkpoint is loaded. Each stored item\n"
         "            carries an XXH3-64 checksum (schema 2) that every read checks, so a changed byte\n"
         "            inside a value is found (" + std::string(sg::error_code(sg::ErrorId::saver_checksum_mismatch)) +
         "). Items written before schema 2 have none: a\n"
         "            changed byte there is found only when the value no longer decodes.\n"
         "  Postgres  no quick_check exists for a schema's tables (the server checks its own pages, with\n"
         "            page checksums if the cluster has them: the output says); no checksums are stored.\n"
         "            Every checkpoint is loaded.\n"
         "--json: {\"ok\", \"threads\", \"checkpoints\", \"storage\": {\"method\", \"note\", \"problems\"},\n"
         "         \"checksums\": {\"with\", \"without\"} (both null when not counted, and \"note\" says why),\n"
         "         \"problems\": [{\"thread_id\", \"checkpoint_ns\", \"checkpoint_id\", \"error\"}]}";
}

// The namespace grammar in help texts, spelled by sg::format.
std::string example_namespace(bool nested) {
  namespace fmt = sg::format;
  const std::string child = fmt::child_namespace(fmt::kRootNamespace, "research", "<task id>");
  return nested ? fmt::child_namespace(child, "search", "<task id>") : child;
}

std::string ns_help() {
  return "checkpoint namespace: \"\" (the default) is the root graph's; a subgraph's is NODE" +
         std::string(1, sg::format::kNamespaceTaskSeparator) + "TASK_ID (\"" + example_namespace(false) +
         "\", nested \"" + example_namespace(true) + "\"); `history` shows them, `threads --json` lists them";
}

std::string history_footer() {
  return "A subgraph runs in a child namespace of the thread (\"" + example_namespace(false) + "\", nested\n\"" +
         example_namespace(true) + "\"); its checkpoints show indented under the checkpoint they\n"
         "ran from (their metadata \"" + std::string(sg::format::kParentsKey) + "\"), after a \"namespace NS\" line. Give --ns NS to\n"
         "show, diff or list the writes of one of them. Child checkpoints whose parent checkpoint is\n"
         "gone (pruned) follow at the end, titled so.\n"
         "--json: an array, newest first, of\n"
         "  {\"checkpoint_id\", \"checkpoint_ns\", \"parent_checkpoint_id\", \"step\", \"source\", \"next\",\n"
         "   \"changed\", \"bytes\", \"ts\", \"pending_writes\", \"children\": [the same form]}\n"
         "where \"children\" are the checkpoints of child namespaces that ran from it, grouped by\n"
         "namespace; rows of a child namespace whose parent checkpoint is gone follow the top-level rows.";
}

// Every error line goes out through sg::redact_password: a --db password never shows, even where
// a message (CLI11's "not expected: ARG", a driver's text) echoes an argument.
void report(const std::string& text) {
  std::string line = sg::redact_password(text);
  std::replace(line.begin(), line.end(), '\n', ' ');
  std::cerr << "sg-checkpoints: " << line << std::endl;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace sgcli;
  CLI::App app{"sg-checkpoints: inspect and manage the checkpoints stategraph's savers hold (SQLite or Postgres).\n"
               "Reading commands open the database read-only and never change it.",
               "sg-checkpoints"};
  app.footer(kFooter);
  app.require_subcommand(1);
  app.fallthrough();
  std::string db;
  Context ctx;
  ctx.out = &std::cout;
  ctx.err = &std::cerr;
  app.add_option("--db", db, "database: sqlite:PATH, postgres://user@host:port/db or memory")->required();
  app.add_option("--schema", ctx.db.schema, "Postgres schema of the saver's tables")->capture_default_str();
  app.add_flag("--json", ctx.json, "print one JSON document on stdout (reading commands and results)");
  app.add_flag("--immutable", ctx.db.immutable,
               "the store does not change while the command runs (read-only media, a snapshot): SQLite opens the "
               "file with immutable=1 (no locks, no -wal/-shm; refused when a -wal holds commits); writing "
               "commands are refused (" + std::string(sg::error_code(sg::ErrorId::cli_immutable_store)) + ")");

  // ---- reading
  ThreadsArgs threads;
  auto* c_threads = app.add_subcommand("threads", "list threads: id, checkpoints, namespaces (the root and one per "
                                                  "subgraph run), last step, last updated, size");
  c_threads->add_option("--filter", threads.filters, "KEY=VALUE: threads with a checkpoint whose metadata has it "
                                                     "(VALUE parsed as JSON when it is, e.g. step=3); repeatable");
  std::size_t threads_limit = 0;
  auto* o_threads_limit = c_threads->add_option("--limit", threads_limit, "at most N threads (most recent first)");

  HistoryArgs history;
  auto* c_history = app.add_subcommand("history", "checkpoints of a thread, newest first: id, parent, step, source, "
                                                  "next nodes, channels changed, bytes; under each, indented, the "
                                                  "checkpoints of the subgraphs (child namespaces) that ran from it");
  c_history->footer(history_footer());
  c_history->add_option("THREAD", history.thread, "thread id")->required();
  c_history->add_option("--ns", history.ns, "checkpoint namespace (default \"\": the root); its child namespaces show "
                                            "under their parent checkpoints");
  std::size_t history_limit = 0;
  auto* o_history_limit =
      c_history->add_option("--limit", history_limit, "at most N checkpoints of the namespace (each with its children)");

  ShowArgs show;
  auto* c_show = app.add_subcommand("show", "the state at a checkpoint (the latest by default); messages as blocks");
  c_show->add_option("THREAD", show.thread, "thread id")->required();
  c_show->add_option("CHECKPOINT", show.checkpoint, "checkpoint id or a unique prefix of one");
  c_show->add_option("--ns", show.ns, ns_help());
  std::string show_channel;
  auto* o_show_channel = c_show->add_option("--channel", show_channel, "only this channel (state field)");
  c_show->add_flag("--all-channels", show.all_channels, "also the engine's trigger channels (branch:, join:, __)");

  DiffArgs diff;
  auto* c_diff = app.add_subcommand("diff", "what changed between two checkpoints of a thread (messages: added, "
                                            "replaced, removed)");
  c_diff->add_option("THREAD", diff.thread, "thread id")->required();
  c_diff->add_option("A", diff.from, "the older checkpoint (id or prefix)")->required();
  c_diff->add_option("B", diff.to, "the newer checkpoint (id or prefix)")->required();
  c_diff->add_option("--ns", diff.ns, ns_help());
  c_diff->add_flag("--all-channels", diff.all_channels, "also the engine's trigger channels");

  WritesArgs writes;
  auto* c_writes = app.add_subcommand("writes", "pending writes of a checkpoint: task, channel, value");
  c_writes->add_option("THREAD", writes.thread, "thread id")->required();
  c_writes->add_option("CHECKPOINT", writes.checkpoint, "checkpoint id or prefix")->required();
  c_writes->add_option("--ns", writes.ns, ns_help());

  // ---- managing
  DeleteArgs del;
  auto* c_delete = app.add_subcommand("delete", "delete a thread: every checkpoint, value and write");
  c_delete->add_option("THREAD", del.thread, "thread id")->required();
  c_delete->add_flag("--dry-run", del.dry_run, "say what would be deleted; change nothing");
  c_delete->add_flag("-y,--yes", del.yes, "do not ask (required when stdin is not a terminal)");

  PruneArgs prune;
  auto* c_prune = app.add_subcommand("prune", "delete old checkpoints of a thread (or of all threads); the newest of "
                                              "each namespace always stays");
  std::string prune_thread;
  auto* o_prune_thread = c_prune->add_option("THREAD", prune_thread, "thread id (or --all)");
  c_prune->add_flag("--all", prune.all, "every thread");
  std::size_t keep_last = 0;
  auto* o_keep_last = c_prune->add_option("--keep-last", keep_last, "keep the newest N checkpoints of each namespace");
  std::string before, older_than;
  auto* o_before = c_prune->add_option("--before", before, "delete checkpoints older than this checkpoint (id or prefix)");
  auto* o_older = c_prune->add_option("--older-than", older_than, "delete checkpoints older than DURATION (30d, 12h, 1d12h)");
  c_prune->add_flag("--dry-run", prune.dry_run, "say what would be deleted; change nothing");
  c_prune->add_flag("-y,--yes", prune.yes, "do not ask (required when stdin is not a terminal)");

  CopyArgs copy;
  auto* c_copy = app.add_subcommand("copy", "copy a thread (checkpoints, values, writes) to a new thread id");
  c_copy->add_option("THREAD", copy.from, "thread id")->required();
  c_copy->add_option("NEW_THREAD", copy.to, "new thread id (must not exist)")->required();
  c_copy->add_flag("--dry-run", copy.dry_run, "say what would be copied; change nothing");

  // ---- moving threads
  ExportArgs exp;
  auto* c_export = app.add_subcommand("export", "write a thread as JSON lines (stdout or -o FILE)");
  c_export->add_option("THREAD", exp.thread, "thread id")->required();
  std::string export_file;
  auto* o_export_file = c_export->add_option("-o,--output", export_file, "file to write (default: stdout)");

  ImportArgs imp;
  auto* c_import = app.add_subcommand("import", "read a thread written by export (creates the database or schema "
                                                "if needed)");
  c_import->add_option("FILE", imp.file, "export file, or - for stdin")->required();
  std::string import_thread;
  auto* o_import_thread = c_import->add_option("--thread", import_thread, "import under this thread id instead");
  c_import->add_flag("--dry-run", imp.dry_run, "check the file and the destination; change nothing");

  // ---- the store
  StatsArgs stats;
  auto* c_stats = app.add_subcommand("stats", "sizes per table and per thread");
  c_stats->add_option("--limit", stats.limit, "threads listed in the table, largest first")->capture_default_str();
  auto* c_verify = app.add_subcommand("verify", "check the store: SQLite's PRAGMA quick_check (every page of the "
                                                "file), then load every checkpoint of every thread (values, writes, "
                                                "and their checksums where stored); exit 1 listing what is broken");
  c_verify->footer(verify_footer());

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    report(sg::error_tag(sg::ErrorId::cli_bad_command_line) + std::string(e.what()) + " (see sg-checkpoints --help)");
    return kExitError;
  }

  try {
    ctx.db.uri = parse_database_uri(db);
    if (*o_threads_limit) threads.limit = threads_limit;
    if (*o_history_limit) history.limit = history_limit;
    if (*o_show_channel) show.channel = show_channel;
    if (*o_prune_thread) prune.thread = prune_thread;
    if (*o_keep_last) prune.keep_last = keep_last;
    if (*o_before) prune.before = before;
    if (*o_older) prune.older_than = older_than;
    if (*o_export_file) exp.output = export_file;
    if (*o_import_thread) imp.thread = import_thread;
    int code = kExitOk;
    if (*c_threads) code = run_threads(ctx, threads);
    if (*c_history) code = run_history(ctx, history);
    if (*c_show) code = run_show(ctx, show);
    if (*c_diff) code = run_diff(ctx, diff);
    if (*c_writes) code = run_writes(ctx, writes);
    if (*c_delete) code = run_delete(ctx, del);
    if (*c_prune) code = run_prune(ctx, prune);
    if (*c_copy) code = run_copy(ctx, copy);
    if (*c_export) code = run_export(ctx, exp);
    if (*c_import) code = run_import(ctx, imp);
    if (*c_stats) code = run_stats(ctx, stats);
    if (*c_verify) code = run_verify(ctx);
    std::cout.flush();
    return code;
  } catch (const CliError& e) {
    std::cout.flush();
    report(e.what());
    return e.exit_code();
  } catch (const sg::Error& e) {
    std::cout.flush();
    report(e.what());  // "[sg.saver.4xx] ..."
    return kExitError;
  } catch (const std::exception& e) {
    std::cout.flush();
    report(sg::error_tag(sg::ErrorId::cli_internal_error) + "internal error: " + e.what());
    return kExitError;
  }
}
