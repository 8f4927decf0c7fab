#pragma once
// sg-checkpoints: the commands. Each returns the process exit code (cli_error.hpp) or throws
// CliError / sg::SaverError, which main() reports in one line.

#include <cstddef>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "database.hpp"

namespace sgcli {

/// What every command gets: the database and the output streams.
struct Context {
  Database db;
  bool json = false;              ///< --json: one JSON document on stdout, nothing else
  std::ostream* out = nullptr;
  std::ostream* err = nullptr;
};

// ---- reading (read_commands.cpp): the database is opened read-only (Access::read).
struct ThreadsArgs {
  std::vector<std::string> filters;  ///< KEY=VALUE on checkpoint metadata
  std::optional<std::size_t> limit;
};
int run_threads(Context& ctx, const ThreadsArgs& args);

struct HistoryArgs {
  std::string thread;
  std::string ns;
  std::optional<std::size_t> limit;
};
int run_history(Context& ctx, const HistoryArgs& args);

struct ShowArgs {
  std::string thread;
  std::string checkpoint;  ///< id or unique prefix; empty: the latest
  std::string ns;
  std::optional<std::string> channel;
  bool all_channels = false;  ///< also the engine's trigger channels
};
int run_show(Context& ctx, const ShowArgs& args);

struct DiffArgs {
  std::string thread, from, to, ns;
  bool all_channels = false;
};
int run_diff(Context& ctx, const DiffArgs& args);

struct WritesArgs {
  std::string thread, checkpoint, ns;
};
int run_writes(Context& ctx, const WritesArgs& args);

// ---- managing (manage_commands.cpp): destructive commands confirm first.
struct DeleteArgs {
  std::string thread;
  bool dry_run = false;
  bool yes = false;
};
int run_delete(Context& ctx, const DeleteArgs& args);

struct PruneArgs {
  std::optional<std::string> thread;  ///< or all threads
  bool all = false;
  std::optional<std::size_t> keep_last;
  std::optional<std::string> before;      ///< checkpoint id or prefix (of `thread`)
  std::optional<std::string> older_than;  ///< duration
  bool dry_run = false;
  bool yes = false;
};
int run_prune(Context& ctx, const PruneArgs& args);

struct CopyArgs {
  std::string from, to;
  bool dry_run = false;
};
int run_copy(Context& ctx, const CopyArgs& args);

// ---- moving threads (transfer_commands.cpp).
struct ExportArgs {
  std::string thread;
  std::optional<std::string> output;  ///< file; stdout when absent or "-"
};
int run_export(Context& ctx, const ExportArgs& args);

struct ImportArgs {
  std::string file;  ///< "-" for stdin
  std::optional<std::string> thread;  ///< import under another thread id
  bool dry_run = false;
};
int run_import(Context& ctx, const ImportArgs& args);

// ---- the whole store (store_commands.cpp).
struct StatsArgs {
  std::size_t limit = 20;  ///< threads listed in the table (JSON lists all)
};
int run_stats(Context& ctx, const StatsArgs& args);

int run_verify(Context& ctx);

}  // namespace sgcli
