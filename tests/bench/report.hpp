#pragma once
// Output of sg-bench: one JSON line per measurement, optionally saved as a baseline
// (--save-baseline FILE) or compared with one (--baseline FILE), and the count of SQLite write
// transactions the process commits.

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace sg_bench {

/// Where report() also writes its lines (--save-baseline) and what it compares them with
/// (--baseline). Set once, before the first report.
struct ReportOptions {
  std::string save_baseline;  ///< empty: none; else truncated at the first report, one line per report
  std::string baseline;       ///< empty: none; else a file written by an earlier --save-baseline
};
void set_report_options(ReportOptions options);

/// Prints `line` (one JSON object) on stdout. `figures` names its measured keys; the other keys
/// except `repeat` identify the measurement. With --baseline, the line gains "vs_baseline": {figure: this / the
/// baseline's} for each figure of the baseline line with the same identifying keys (null when the
/// baseline's figure is 0 or null; the key is absent when no baseline line matches).
/// @throws std::runtime_error when a baseline file cannot be read or written.
void report(nlohmann::json line, const std::vector<std::string>& figures);

/// SQLite write transactions committed by any connection of this process so far (a commit hook
/// installed on every connection through sqlite3_auto_extension; read transactions do not count).
/// Call install_commit_counter() before the first connection is opened.
void install_commit_counter();
std::uint64_t sqlite_commits();

}  // namespace sg_bench
