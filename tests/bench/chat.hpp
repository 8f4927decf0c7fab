#pragma once
// `sg-bench chat`: the tutorial chatbot graph over a memory, SQLite or Postgres saver.

#include <string>

#include "bench.hpp"

namespace sg_bench {

struct ChatOptions {
  std::string saver = "sqlite";  ///< memory, sqlite or postgres
  int turns = 500;
  std::string postgres;          ///< URI; empty = SG_TEST_POSTGRES_URI
  bool full_history = true;      ///< also time get_state_history with values (slow on long threads)
  int sample = 0;                ///< > 0: also measure storage every this many turns (untimed)
  bool keep = false;             ///< keep the SQLite file / Postgres schema (printed on stderr)
  bool checksums = true;         ///< SQLite: SqliteSaverOptions::checksums
};

/// Runs the chat benchmark and prints its JSON line.
void run_chat(const ChatOptions& options);

}  // namespace sg_bench
