#pragma once
// The Postgres side of the checkpoint tests: where the test cluster is, a factory that gives every
// test a saver on a schema of its own (picked up by saver_factories.hpp, so the whole conformance
// suite runs against Postgres too), and an admin connection for inspecting or damaging the
// database behind the saver's back.
//
// The cluster is named by ONE environment variable, SG_TEST_POSTGRES_URI: either a libpq URI
// (postgresql://user@host:port/db) or the path of a file whose first line is one. Under CTest the
// fixture "checkpoint:postgres cluster start" (cmake/postgres-fixture.sh) starts a private
// cluster, writes its URI to a file, and the variable names that file (the port is picked when
// the cluster starts). Postgres tests never skip: without the variable they fail, saying so.

#include <doctest/doctest.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>

#include <unistd.h>

#include <pqxx/pqxx>

#include <stategraph/checkpoint/postgres_saver.hpp>

namespace sgtest {

/// The test cluster's URI (see the file comment). @throws std::runtime_error when it is not set.
inline std::string postgres_uri() {
  const char* raw = std::getenv("SG_TEST_POSTGRES_URI");
  const std::string value = raw != nullptr ? raw : "";
  if (value.empty()) {
    throw std::runtime_error(
        "SG_TEST_POSTGRES_URI is not set, so the Postgres tests have no server. Run them through ctest (the "
        "fixture 'checkpoint:postgres cluster start' starts one), or set SG_TEST_POSTGRES_URI to a URI such as "
        "postgresql://postgres@127.0.0.1:5432/postgres, or to a file holding one. Postgres tests never skip.");
  }
  if (value.rfind("postgres", 0) == 0 || value.find('=') != std::string::npos) return value;
  std::ifstream in(value);
  std::string uri;
  if (!in || !std::getline(in, uri) || uri.empty()) {
    throw std::runtime_error("SG_TEST_POSTGRES_URI names the file '" + value +
                             "', which does not exist or is empty: the fixture 'checkpoint:postgres cluster start' "
                             "did not start the cluster (see its output), or the variable is wrong");
  }
  return uri;
}

/// A schema name no other test (process) uses: sgt_<tag>_<pid>_<n>_<random>.
inline std::string unique_schema(const std::string& tag) {
  static std::atomic<int> counter{0};
  static const unsigned salt = std::random_device{}();
  char suffix[16];
  std::snprintf(suffix, sizeof suffix, "%06x", salt & 0xFFFFFFU);
  return "sgt_" + tag + "_" + std::to_string(::getpid()) + "_" + std::to_string(++counter) + "_" + suffix;
}

/// A connection of the test's own to the cluster.
inline std::unique_ptr<pqxx::connection> postgres_admin() { return std::make_unique<pqxx::connection>(postgres_uri()); }

/// Runs one statement on an admin connection (autocommit).
inline pqxx::result postgres_exec(const std::string& sql) {
  auto c = postgres_admin();
  pqxx::nontransaction tx(*c);
  return tx.exec(sql);
}

/// Drops a schema and everything in it; never throws (reports on std::cerr).
inline void drop_schema(const std::string& schema) noexcept {
  try {
    auto c = postgres_admin();
    pqxx::nontransaction tx(*c);
    tx.exec("DROP SCHEMA IF EXISTS " + tx.quote_name(schema) + " CASCADE");
  } catch (const std::exception& e) {
    std::cerr << "postgres tests: could not drop schema " << schema << ": " << e.what() << '\n';
  }
}

/// Options for a saver on `schema` whose retries are reported on std::cerr with the schema name.
inline sg::PostgresSaverOptions postgres_options(const std::string& schema) {
  sg::PostgresSaverOptions o;
  o.schema = schema;
  return o;
}

/// Owns a schema for the length of a test: drops it (and whatever a test created in it) at the end.
struct SchemaGuard {
  explicit SchemaGuard(std::string tag) : name(unique_schema(tag)) {}
  ~SchemaGuard() { drop_schema(name); }
  SchemaGuard(const SchemaGuard&) = delete;
  SchemaGuard& operator=(const SchemaGuard&) = delete;
  std::string name;
};

}  // namespace sgtest

/// Conformance-suite factory: make() returns a PostgresSaver on a fresh, uniquely named schema of
/// the test cluster; the destructor drops the schema (the saver is destroyed first).
struct PostgresFactory {
  static constexpr bool checks_delta_bases = true;  // in the put statement itself
  std::unique_ptr<sgtest::SchemaGuard> schema;
  std::unique_ptr<sg::BaseCheckpointSaver> make() {
    schema = std::make_unique<sgtest::SchemaGuard>("conf");
    return std::make_unique<sg::PostgresSaver>(sgtest::postgres_uri(), sgtest::postgres_options(schema->name));
  }
};

TYPE_TO_STRING(PostgresFactory);
