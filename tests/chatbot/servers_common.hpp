#pragma once
// What the tests of several real `sg-chatbot serve` processes on one store share: a Postgres
// database of their own (on the CTest fixture's cluster, or on a PrivateCluster), a private
// Postgres cluster they may restart, and a thread's history read over HTTP.
//
// Thread-safety: each object has one owner thread; history() may be called from any thread.

#include <string>
#include <vector>

#include "temp_dir.hpp"

namespace sgtest {

/// A database of its own on a Postgres cluster (`cluster_uri`: the fixture's by default),
/// dropped (WITH FORCE) at the end.
class PostgresDatabase {
 public:
  PostgresDatabase();
  explicit PostgresDatabase(std::string cluster_uri);
  ~PostgresDatabase();
  PostgresDatabase(const PostgresDatabase&) = delete;
  PostgresDatabase& operator=(const PostgresDatabase&) = delete;
  /// The cluster's URI with this database instead of its own.
  [[nodiscard]] const std::string& uri() const { return uri_; }

 private:
  std::string cluster_uri_;
  std::string name_;
  std::string uri_;
};

/// A Postgres cluster of this test alone (cmake/postgres-fixture.sh start in a temp dir), so that
/// it can be restarted without disturbing the tests that share the fixture's cluster. Stopped
/// and removed at the end.
class PrivateCluster {
 public:
  /// @throws std::runtime_error (with the script's output) when it does not start.
  PrivateCluster();
  ~PrivateCluster();
  PrivateCluster(const PrivateCluster&) = delete;
  PrivateCluster& operator=(const PrivateCluster&) = delete;
  /// postgresql://postgres@127.0.0.1:PORT/postgres
  [[nodiscard]] const std::string& uri() const { return uri_; }
  /// pg_ctl restart -m fast, same port and data: every session ends. Returns its seconds.
  /// @throws std::runtime_error when it fails.
  double restart();

 private:
  TempDir dir_;
  std::string uri_;
};

/// One message of a thread as GET /chat/{id}/history gives it.
struct HistoryMessage {
  std::string role;  ///< "human", "ai", ...
  std::string content;
  bool operator==(const HistoryMessage&) const = default;
};

/// The messages of `thread` read from the server at `url` (one entry "<status N>" with role ""
/// when the server does not answer 200).
std::vector<HistoryMessage> history(const std::string& url, const std::string& thread);
/// The contents only.
std::vector<std::string> history_texts(const std::string& url, const std::string& thread);
/// "[a | b | c]", for failure messages.
std::string joined(const std::vector<std::string>& texts);

}  // namespace sgtest
