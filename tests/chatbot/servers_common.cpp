#include "servers_common.hpp"

#include <array>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <utility>

#include <nlohmann/json.hpp>

#include "http_client.hpp"
#include "postgres_factory.hpp"  // tests/checkpoint: the Postgres test cluster

namespace sgtest {
namespace {

/// Runs `command` through the shell; returns its output, throws with it when it fails.
std::string run(const std::string& command) {
  std::string output;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("cannot run: " + command);
  std::array<char, 4096> buffer{};
  while (const auto n = std::fread(buffer.data(), 1, buffer.size(), pipe)) output.append(buffer.data(), n);
  if (::pclose(pipe) != 0) throw std::runtime_error("failed: " + command + "\n" + output);
  return output;
}

std::string fixture(const std::string& action, const TempDir& dir) {
  return run("bash '" SG_POSTGRES_FIXTURE_SCRIPT "' " + action + " '" + dir.file("cluster") + "'");
}

}  // namespace

PostgresDatabase::PostgresDatabase() : PostgresDatabase(postgres_uri()) {}

PostgresDatabase::PostgresDatabase(std::string cluster_uri)
    : cluster_uri_(std::move(cluster_uri)), name_(unique_schema("chatbot")) {
  pqxx::connection admin(cluster_uri_);
  pqxx::nontransaction(admin).exec("CREATE DATABASE " + name_);
  const auto authority = cluster_uri_.find("://");
  const auto path = cluster_uri_.find('/', authority == std::string::npos ? 0 : authority + 3);
  const auto query = cluster_uri_.find('?', path);
  uri_ = cluster_uri_.substr(0, path) + "/" + name_ + (query == std::string::npos ? "" : cluster_uri_.substr(query));
}

PostgresDatabase::~PostgresDatabase() {
  try {
    pqxx::connection admin(cluster_uri_);
    pqxx::nontransaction(admin).exec("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
  } catch (const std::exception& e) {
    std::cerr << "chatbot servers: could not drop database " << name_ << ": " << e.what() << '\n';
  }
}

PrivateCluster::PrivateCluster() {
  fixture("start", dir_);
  std::ifstream in(dir_.file("cluster") + "/uri");
  std::getline(in, uri_);
  if (uri_.empty()) throw std::runtime_error("the private cluster wrote no URI");
}

PrivateCluster::~PrivateCluster() {
  try {
    fixture("stop", dir_);
  } catch (const std::exception& e) {
    std::cerr << "chatbot servers: " << e.what() << '\n';
  }
}

double PrivateCluster::restart() {
  const auto started = std::chrono::steady_clock::now();
  fixture("restart", dir_);
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
}

std::vector<HistoryMessage> history(const std::string& url, const std::string& thread) {
  const HttpResult r = HttpClient(url).get("/chat/" + thread + "/history");
  if (r.status != 200) return {{"", "<status " + std::to_string(r.status) + ">"}};
  const nlohmann::json body = r.json();  // kept: a range-for over a temporary's member dangles
  std::vector<HistoryMessage> out;
  for (const auto& m : body["messages"]) out.push_back({m["role"].get<std::string>(), m["content"].get<std::string>()});
  return out;
}

std::vector<std::string> history_texts(const std::string& url, const std::string& thread) {
  std::vector<std::string> out;
  for (auto& m : history(url, thread)) out.push_back(std::move(m.content));
  return out;
}

std::string joined(const std::vector<std::string>& texts) {
  std::string out;
  for (const auto& t : texts) out += (out.empty() ? "[" : " | ") + t;
  return out + "]";
}

}  // namespace sgtest
