#pragma once
// Internal to stategraph::postgres: PostgresSaver::lock_thread's locks — a session advisory lock
// held on a connection of its own — and the idle lock connections kept for the next lock.

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <pqxx/pqxx>

#include "postgres_connection.hpp"
#include "stategraph/checkpoint/saver.hpp"

namespace sg::pg {

// Idle connections of released ThreadLocks, kept for the next lock_thread. Shared by the saver
// and its outstanding locks, so a lock may outlive its saver.
struct LockConnections {
  explicit LockConnections(std::size_t max) : max_idle(max) {}
  std::mutex mutex;
  std::vector<std::unique_ptr<pqxx::connection>> idle;
  std::size_t max_idle;

  std::unique_ptr<pqxx::connection> take() {
    const std::lock_guard lock(mutex);
    if (idle.empty()) return nullptr;
    auto conn = std::move(idle.back());
    idle.pop_back();
    return conn;
  }
  void give_back(std::unique_ptr<pqxx::connection> conn) {
    const std::lock_guard lock(mutex);
    if (idle.size() < max_idle) idle.push_back(std::move(conn));
  }
};

class PostgresThreadLock final : public ThreadLock {
 public:
  PostgresThreadLock(std::shared_ptr<LockConnections> pool, std::unique_ptr<pqxx::connection> conn, std::string key)
      : pool_(std::move(pool)), conn_(std::move(conn)), key_(std::move(key)) {}
  PostgresThreadLock(const PostgresThreadLock&) = delete;
  PostgresThreadLock& operator=(const PostgresThreadLock&) = delete;

  // Unlocks; a connection that unlocked cleanly goes back to the idle lock connections.
  ~PostgresThreadLock() override {
    try {
      pqxx::nontransaction tx(*conn_);
      const bool unlocked = tx.exec_prepared1("sg_unlock", key_)[0].as<bool>();
      tx.commit();
      if (!unlocked) return;  // not held any more (the session was replaced): drop the connection
    } catch (...) {
      return;  // the connection broke, and the server released the lock with it
    }
    pool_->give_back(std::move(conn_));
  }

  // A session advisory lock is released only by pg_advisory_unlock on its session (which only
  // the destructor sends) or by the session's end, so "the session is alive" is "the lock is
  // held". A session the server ends (a restart, pg_terminate_backend, a crash) leaves the
  // server's last words (a FATAL error) or the end of the stream on the lock's socket at once,
  // so: when a round trip on the connection succeeded less than kQuietTrust ago and the socket
  // has nothing to read since, the session is alive (no round trip: the engine asks before each
  // checkpoint it writes, five times a turn of sg-chatbot); else one `SELECT 1` on the lock's
  // own connection answers it. (Reading pg_locks would say the same at a higher price: the view
  // takes every lock-manager partition lock.) A failed round trip means the session is gone or
  // unreachable; either way the lock cannot be trusted. The one ending the socket cannot show
  // at once is one behind a network partition, and a round trip made within kQuietTrust bounds
  // how long that can go unseen.
  [[nodiscard]] bool is_held() const noexcept override;

  private:
  std::shared_ptr<LockConnections> pool_;
  std::unique_ptr<pqxx::connection> conn_;
  std::string key_;
  mutable std::mutex mutex_;  // one thread at a time on conn_ (is_held may be called from any)
  mutable bool lost_ = false;
  // When a round trip on conn_ last succeeded (lock_thread's try-lock, then is_held's).
  mutable std::chrono::steady_clock::time_point confirmed_ = std::chrono::steady_clock::now();
};

/// Waits up to `wait` for the advisory lock of (schema, thread_id) (see PostgresSaver::lock_thread).
/// @throws SaverError [sg.saver.404] when the thread stays busy; SaverUnavailable (401).
std::unique_ptr<ThreadLock> lock_thread(Pool& pool, Counters& counters, const std::shared_ptr<LockConnections>& idle,
                                        const std::string& schema, int retries, std::string_view thread_id,
                                        std::chrono::milliseconds wait);

}  // namespace sg::pg
