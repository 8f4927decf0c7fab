#pragma once
// Internal to stategraph::postgres: PostgresSaver's state (options, connection pool with its
// prepared statements, counters, lock connections) and the run of a list statement, shared by
// postgres_saver.cpp (the engine's calls) and postgres_admin.cpp (inspection and maintenance).

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "postgres_connection.hpp"
#include "postgres_thread_lock.hpp"
#include "stategraph/checkpoint/error.hpp"
#include "stategraph/checkpoint/postgres_saver.hpp"

namespace sg {

struct PostgresSaver::Impl {
  Impl(std::string uri, PostgresSaverOptions opts);

  PostgresSaverOptions options;
  std::string quoted_schema;
  pg::Counters counters;
  pg::Pool pool;

  std::shared_ptr<pg::LockConnections> lock_connections = std::make_shared<pg::LockConnections>(options.pool_size);

  void require_writable(std::string_view call) const {
    if (options.read_only)
      throw SaverError("sg.saver.409", "postgres saver: " + std::string(call) + ": the saver was opened read-only "
                                       "(PostgresSaverOptions::read_only)");
  }

  /// Runs the list statement for (config, options) and decodes its rows (postgres_rows).
  std::vector<CheckpointTuple> run_list(const CheckpointConfig& config, const ListOptions& options, std::string_view op);
};

}  // namespace sg
