#include "postgres_thread_lock.hpp"

#include <thread>

#include "stategraph/checkpoint/error.hpp"

namespace sg::pg {

std::unique_ptr<ThreadLock> lock_thread(Pool& pool, Counters& counters, const std::shared_ptr<LockConnections>& idle,
                                        const std::string& schema, int retries, std::string_view thread_id,
                                        std::chrono::milliseconds wait) {
  if (thread_id.empty()) throw SaverError("sg.saver.403", "lock_thread: thread_id is empty");
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + wait;
  // The schema is part of the key: savers on distinct schemas never block each other.
  std::string key = schema;
  key.push_back('\x1f');
  key.append(thread_id);

  std::unique_ptr<pqxx::connection> conn = idle->take();
  if (!conn) conn = pool.connect();
  int failures = 0;
  for (;;) {
    bool got = false;
    try {
      pqxx::nontransaction tx(*conn);
      got = tx.exec_prepared1("sg_try_lock", key)[0].as<bool>();
    } catch (const pqxx::pqxx_exception&) {
      const Failure failure = classify_current_exception();
      if (failure.kind != FailureKind::broken || failures++ >= retries) {
        throw_failure("lock_thread", failure);
      }
      ++counters.retries;
      conn = pool.connect();  // an idle lock connection may have died with its server
      ++counters.reconnects;
      continue;
    }
    if (got) return std::make_unique<PostgresThreadLock>(idle, std::move(conn), std::move(key));
    const auto now = Clock::now();
    if (now >= deadline) break;
    std::this_thread::sleep_for(std::min<Clock::duration>(std::chrono::milliseconds(20), deadline - now));
  }
  idle->give_back(std::move(conn));
  throw SaverError("sg.saver.404", "thread \"" + std::string(thread_id) + "\" is busy: another run (in this or another "
                                   "process) has held it for " + std::to_string(wait.count()) +
                                   " ms; try again later");
}

}  // namespace sg::pg
