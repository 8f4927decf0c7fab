#pragma once
// Shared pieces of sg-bench: options, the timing loop, the saver choice.

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <stategraph/stategraph.hpp>

namespace sg_bench {

/// Options common to every benchmark.
struct Options {
  std::string saver = "memory";  ///< "none", "memory" or "sqlite" (a file in a new directory under $TMPDIR)
  int repeat = 20;               ///< measured invocations
  int warmup = 3;                ///< unmeasured invocations before them
  std::size_t threads = 0;       ///< CompileOptions::threads (0 = no limit besides the executor's)
  std::string durability = "async";
};

/// The checkpointer named by options.saver (null for "none"). "sqlite": a SqliteSaver on a new
/// file in a new directory under $TMPDIR (or /tmp), removed with the saver.
std::shared_ptr<sg::BaseCheckpointSaver> make_saver(const Options& options);

/// RunConfig for one invocation: a fresh thread_id each call, durability from options.
sg::RunConfig fresh_config(const Options& options);

/// Calls `invoke` options.warmup times unmeasured, then options.repeat times, and returns the
/// wall time of each measured call in microseconds (std::chrono::steady_clock). With
/// `commits_per_invoke`, also the SQLite write transactions the measured calls committed, per
/// call (report.hpp: sqlite_commits).
std::vector<double> time_invocations(const Options& options, const std::function<void()>& invoke,
                                     double* commits_per_invoke = nullptr);

/// The Postgres URI of a benchmark: `given` (--postgres) when set, else SG_TEST_POSTGRES_URI
/// (a URI, or the path of a file whose first line is one, as the test fixture writes it).
/// @throws std::runtime_error when neither names one.
std::string postgres_uri(const std::string& given);

/// The median of `samples` (mean of the middle two for an even count).
double median(std::vector<double> samples);

/// Runs `linear` (START → n0 → … → n{N-1} → END) and prints its JSON line, named `name`
/// ("linear", or "chain3" for N = 3).
void run_linear(int n, const Options& options, const std::string& name = "linear");
/// Runs `fanout` (START → K parallel nodes → join → END) and prints its JSON line, named `name`
/// ("fanout", or "fanout5" for K = 5).
void run_fanout(int k, const Options& options, const std::string& name = "fanout");
/// Runs `blocking` (START → plan → N Sends, each sleeping sleep_ms → END) once per N in
/// task_counts and prints a JSON line for each.
void run_blocking(const std::vector<int>& task_counts, int sleep_ms, const Options& options);

}  // namespace sg_bench
