#pragma once
// `sg-bench cli`: sg-checkpoints on large SQLite databases — `threads` over 10,000 threads and
// `history` of a 1,500-checkpoint conversation — timed as whole processes.

#include <string>

namespace sg_bench {

struct CliOptions {
  int threads = 10'000;  ///< threads in the first database (2 checkpoints each)
  int turns = 500;       ///< chat turns of the long thread (3 checkpoints per turn)
  int repeat = 5;        ///< timed runs of each command (median reported)
  std::string dir;       ///< where the databases go (kept); empty: a temporary directory, removed
  std::string binary;    ///< sg-checkpoints; empty: the one built with this tree
};

/// Builds the databases (through SqliteSaver and a real engine run), then prints one JSON line
/// per timed command.
void run_cli(const CliOptions& options);

}  // namespace sg_bench
