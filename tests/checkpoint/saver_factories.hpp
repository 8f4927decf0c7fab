#pragma once
// The savers the conformance suite runs against. Each backend adds a header of its own that
// defines its factory (make() returns a fresh, empty saver; the destructor removes what it
// created), so backends never edit one another's files:
//   sqlite_factory.hpp   → SqliteFactory    (defines SG_SQLITE_FACTORY)
//   postgres_factory.hpp → PostgresFactory  (defines SG_POSTGRES_FACTORY)

#include <memory>

#include <stategraph/checkpoint/memory_saver.hpp>

struct MemoryFactory {
  /// put refuses a delta whose base the thread has not stored (every saver does now; the flag
  /// stays for a backend that could only check on read).
  static constexpr bool checks_delta_bases = true;
  std::unique_ptr<sg::BaseCheckpointSaver> make() { return std::make_unique<sg::InMemorySaver>(); }
};

#if __has_include("sqlite_factory.hpp")
#include "sqlite_factory.hpp"
#define SG_SQLITE_FACTORY , SqliteFactory
#else
#define SG_SQLITE_FACTORY
#endif

#if __has_include("postgres_factory.hpp")
#include "postgres_factory.hpp"
#define SG_POSTGRES_FACTORY , PostgresFactory
#else
#define SG_POSTGRES_FACTORY
#endif

#define SG_SAVER_FACTORIES MemoryFactory SG_SQLITE_FACTORY SG_POSTGRES_FACTORY
