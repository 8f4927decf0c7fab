#pragma once
// Shared pieces of sg-bench: options, the timing loop, the saver choice.

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <stategraph/stategraph.hpp>

namespace sg_bench {

/// Options common to every benchmark.
struct Options {
  std::string saver = "memory";  ///< "none", "memory", "sqlite" (a file in a new directory under $TMPDIR) or "postgres"
  std::string postgres;          ///< --postgres URI for saver "postgres" (default: postgres_uri(""))
  int repeat = 20;               ///< measured invocations
  int warmup = 3;                ///< unmeasured invocations before them
  std::size_t threads = 0;       ///< CompileOptions::threads (0 = no limit besides the executor's)
  std::string durability = "async";
  bool allocs = false;           ///< count heap allocations during the measured invocations (alloc_counter.hpp)
};

/// What the measured invocations did besides taking time, per invocation (means over them).
struct InvokeCounts {
  double sqlite_txn = 0;   ///< SQLite write transactions committed (report.hpp: sqlite_commits)
  double allocs = 0;       ///< operator new calls, every thread (0 unless Options::allocs)
  double alloc_bytes = 0;  ///< bytes they requested
};

/// The checkpointer named by options.saver (null for "none"). "sqlite": a SqliteSaver on a new
/// file in a new directory under $TMPDIR (or /tmp), removed with the saver. "postgres": a
/// PostgresSaver on postgres_uri(options.postgres) in a schema of its own (sg_bench_PID_N),
/// dropped with the saver.
/// @throws std::runtime_error when "postgres" has no URI; what the saver's constructor throws.
std::shared_ptr<sg::BaseCheckpointSaver> make_saver(const Options& options);

/// RunConfig for one invocation: a fresh thread_id each call, durability from options.
sg::RunConfig fresh_config(const Options& options);

/// Calls `invoke` options.warmup times unmeasured, then options.repeat times, and returns the
/// wall time of each measured call in microseconds (std::chrono::steady_clock). With `counts`,
/// also what the measured calls did per call: SQLite write transactions and (Options::allocs)
/// heap allocations of the whole process, counted from the first measured call's start to the
/// last one's end (the bench's own bookkeeping between calls included: none, as the sample vector
/// is reserved first).
std::vector<double> time_invocations(const Options& options, const std::function<void()>& invoke,
                                     InvokeCounts* counts = nullptr);

/// Adds the count keys of a run to its JSON line and their names to `figures`:
/// `sqlite_txn_per_invoke` (null unless options.saver is "sqlite"), and `allocs_per_invoke`,
/// `alloc_bytes_per_invoke`, `allocs_per_node_step` (= per invoke / node_steps: the tasks one
/// invocation runs) — null unless options.allocs.
void add_counts(nlohmann::json& line, std::vector<std::string>& figures, const Options& options,
                const InvokeCounts& counts, int node_steps);

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
