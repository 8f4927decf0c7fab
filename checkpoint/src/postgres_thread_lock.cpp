#include "postgres_thread_lock.hpp"

#include <poll.h>

#include <thread>

#include "stategraph/checkpoint/error.hpp"

namespace sg::pg {

namespace {

/// How long a round trip vouches for the session while its socket stays quiet (is_held).
constexpr std::chrono::milliseconds kQuietTrust{100};

}  // namespace

bool PostgresThreadLock::is_held() const noexcept {
  const std::lock_guard lock(mutex_);
  if (lost_) return false;
  const auto now = std::chrono::steady_clock::now();
  pollfd socket{conn_->sock(), POLLIN, 0};
  if (now - confirmed_ < kQuietTrust && socket.fd >= 0 && ::poll(&socket, 1, 0) == 0) return true;
  try {
    pqxx::nontransaction tx(*conn_);
    tx.exec("SELECT 1");
    confirmed_ = now;
  } catch (...) {
    lost_ = true;
  }
  return !lost_;
}

std::unique_ptr<ThreadLock> lock_thread(Pool& pool, Counters& counters, const std::shared_ptr<LockConnections>& idle,
                                        const std::string& schema, int retries, std::string_view thread_id,
                                        std::chrono::milliseconds wait) {
  if (thread_id.empty()) throw SaverError(ErrorId::saver_invalid_argument, "lock_thread: thread_id is empty");
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
  throw SaverError(ErrorId::saver_thread_busy, "thread \"" + std::string(thread_id) + "\" is busy: another run (in this or another "
                                   "process) has held it for " + std::to_string(wait.count()) +
                                   " ms; try again later");
}

}  // namespace sg::pg
