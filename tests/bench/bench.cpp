#include "bench.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <filesystem>
#include <iostream>
#include <stdexcept>

#include <pqxx/pqxx>
#include <stategraph/checkpoint/postgres_saver.hpp>
#include <stategraph/checkpoint/sqlite_saver.hpp>

#include "alloc_counter.hpp"
#include "report.hpp"

namespace sg_bench {

std::shared_ptr<sg::BaseCheckpointSaver> make_saver(const Options& options) {
  if (options.saver == "memory") return std::make_shared<sg::InMemorySaver>();
  if (options.saver == "sqlite") {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = (std::filesystem::path(tmp != nullptr && *tmp != 0 ? tmp : "/tmp") / "sg-bench-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed in " + pattern);
    const std::filesystem::path dir = pattern;
    install_commit_counter();
    return std::shared_ptr<sg::BaseCheckpointSaver>(new sg::SqliteSaver(dir / "bench.db"), [dir](sg::BaseCheckpointSaver* s) {
      delete s;
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    });
  }
  if (options.saver == "postgres") {
    static std::atomic<int> next{0};
    const std::string uri = postgres_uri(options.postgres);
    sg::PostgresSaverOptions po;
    po.schema = "sg_bench_" + std::to_string(::getpid()) + "_" + std::to_string(next++);
    return std::shared_ptr<sg::BaseCheckpointSaver>(new sg::PostgresSaver(uri, po), [uri, schema = po.schema](sg::BaseCheckpointSaver* s) {
      delete s;
      try {
        pqxx::connection c(uri);
        pqxx::work w(c);
        w.exec("DROP SCHEMA IF EXISTS " + w.quote_name(schema) + " CASCADE");
        w.commit();
      } catch (const std::exception& e) {
        std::cerr << "sg-bench: could not drop the Postgres schema " << schema << ": " << e.what() << "\n";
      }
    });
  }
  return nullptr;
}

sg::RunConfig fresh_config(const Options& options) {
  static std::atomic<long> next{0};
  sg::RunConfig config;
  config.thread_id = "bench-" + std::to_string(next++);
  if (options.durability == "sync") config.durability = sg::Durability::sync;
  if (options.durability == "exit") config.durability = sg::Durability::exit;
  return config;
}

std::vector<double> time_invocations(const Options& options, const std::function<void()>& invoke,
                                     InvokeCounts* counts) {
  for (int i = 0; i < options.warmup; ++i) invoke();
  std::vector<double> us;
  us.reserve(static_cast<std::size_t>(options.repeat));
  const std::uint64_t commits_before = sqlite_commits();
  if (options.allocs) set_alloc_counting(true);
  const AllocTotals allocs_before = alloc_totals();
  for (int i = 0; i < options.repeat; ++i) {
    const auto start = std::chrono::steady_clock::now();
    invoke();
    const auto stop = std::chrono::steady_clock::now();
    us.push_back(std::chrono::duration<double, std::micro>(stop - start).count());
  }
  const AllocTotals allocs_after = alloc_totals();
  set_alloc_counting(false);
  if (counts != nullptr) {
    counts->sqlite_txn = static_cast<double>(sqlite_commits() - commits_before) / options.repeat;
    counts->allocs = static_cast<double>(allocs_after.count - allocs_before.count) / options.repeat;
    counts->alloc_bytes = static_cast<double>(allocs_after.bytes - allocs_before.bytes) / options.repeat;
  }
  return us;
}

void add_counts(nlohmann::json& line, std::vector<std::string>& figures, const Options& options,
                const InvokeCounts& counts, int node_steps) {
  line["sqlite_txn_per_invoke"] = options.saver == "sqlite" ? nlohmann::json(counts.sqlite_txn) : nlohmann::json();
  line["allocs_per_invoke"] = options.allocs ? nlohmann::json(counts.allocs) : nlohmann::json();
  line["alloc_bytes_per_invoke"] = options.allocs ? nlohmann::json(counts.alloc_bytes) : nlohmann::json();
  line["allocs_per_node_step"] = options.allocs ? nlohmann::json(counts.allocs / node_steps) : nlohmann::json();
  figures.insert(figures.end(), {"sqlite_txn_per_invoke", "allocs_per_invoke", "alloc_bytes_per_invoke", "allocs_per_node_step"});
}

std::string postgres_uri(const std::string& given) {
  if (!given.empty()) return given;
  const char* env = std::getenv("SG_TEST_POSTGRES_URI");
  if (env == nullptr || *env == '\0') throw std::runtime_error("Postgres needs --postgres URI or SG_TEST_POSTGRES_URI");
  std::string v = env;
  if (v.rfind("postgres", 0) == 0) return v;
  std::ifstream f(v);
  std::string uri;
  std::getline(f, uri);
  if (uri.empty()) throw std::runtime_error("SG_TEST_POSTGRES_URI names " + v + ", which holds no URI");
  return uri;
}

double median(std::vector<double> samples) {
  if (samples.empty()) throw std::invalid_argument("median of no samples");
  std::sort(samples.begin(), samples.end());
  const std::size_t mid = samples.size() / 2;
  return samples.size() % 2 == 1 ? samples[mid] : (samples[mid - 1] + samples[mid]) / 2;
}

}  // namespace sg_bench
