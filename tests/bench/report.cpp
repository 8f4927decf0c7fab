#include "report.hpp"

#include <atomic>
#include <fstream>
#include <iostream>
#include <stdexcept>

#include <sqlite3.h>

namespace sg_bench {

namespace {

ReportOptions g_options;
bool g_baseline_truncated = false;
std::vector<nlohmann::json> g_baseline;
std::atomic<std::uint64_t> g_commits{0};

int count_commit(void*) {
  g_commits.fetch_add(1, std::memory_order_relaxed);
  return 0;  // let the commit go on
}

int hook_connection(sqlite3* db, const char**, const sqlite3_api_routines*) {
  sqlite3_commit_hook(db, count_commit, nullptr);
  return SQLITE_OK;
}

nlohmann::json identity(const nlohmann::json& line, const std::vector<std::string>& figures) {
  nlohmann::json id = line;
  for (const auto& f : figures) id.erase(f);
  id.erase("vs_baseline");
  id.erase("figures");
  id.erase("repeat");  // how long it was measured, not what
  return id;
}

}  // namespace

void set_report_options(ReportOptions options) {
  g_options = std::move(options);
  if (g_options.baseline.empty()) return;
  std::ifstream in(g_options.baseline);
  if (!in) throw std::runtime_error("cannot read the baseline file \"" + g_options.baseline + "\"");
  for (std::string text; std::getline(in, text);)
    if (!text.empty()) g_baseline.push_back(nlohmann::json::parse(text));
}

void report(nlohmann::json line, const std::vector<std::string>& figures) {
  line["figures"] = figures;
  if (!g_options.baseline.empty()) {
    const auto id = identity(line, figures);
    for (const auto& old : g_baseline) {
      if (!old.contains("figures") || identity(old, old["figures"].get<std::vector<std::string>>()) != id) continue;
      nlohmann::json ratios = nlohmann::json::object();
      for (const auto& f : figures) {
        const auto was = old.find(f);
        if (was == old.end()) continue;
        const bool usable = was->is_number() && was->get<double>() != 0.0 && line[f].is_number();
        ratios[f] = usable ? nlohmann::json(line[f].get<double>() / was->get<double>()) : nlohmann::json();
      }
      line["vs_baseline"] = std::move(ratios);
      break;
    }
  }
  if (!g_options.save_baseline.empty()) {
    std::ofstream out(g_options.save_baseline, g_baseline_truncated ? std::ios::app : std::ios::trunc);
    g_baseline_truncated = true;
    nlohmann::json saved = line;
    saved.erase("vs_baseline");
    out << saved.dump() << "\n";
    if (!out) throw std::runtime_error("cannot write the baseline file \"" + g_options.save_baseline + "\"");
  }
  std::cout << line.dump() << std::endl;
}

void install_commit_counter() {
  static const bool installed = [] {
    sqlite3_auto_extension(reinterpret_cast<void (*)()>(hook_connection));
    return true;
  }();
  (void)installed;
}

std::uint64_t sqlite_commits() { return g_commits.load(std::memory_order_relaxed); }

}  // namespace sg_bench
