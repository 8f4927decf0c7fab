#pragma once
// Connections of the Postgres saver (private to stategraph::postgres; the only place besides the
// .cpp files that includes libpqxx): the connection string, a pool with checkout and return,
// the retry loop and the translation of libpqxx exceptions into sg::SaverError.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <pqxx/pqxx>

#include "stategraph/checkpoint/error.hpp"
#include "stategraph/checkpoint/postgres_saver.hpp"

namespace sg::pg {

/// Counters shared by the pool and the saver (PostgresSaverStats).
struct Counters {
  std::atomic<std::uint64_t> connections_opened{0};
  std::atomic<std::uint64_t> reconnects{0};
  std::atomic<std::uint64_t> retries{0};
};

/// `uri` with the options' connect_timeout, statement_timeout and application_name appended
/// (URI query parameters or key=value pairs, whichever form `uri` has).
std::string build_conninfo(const std::string& uri, const PostgresSaverOptions& options);

/// `name` quoted as an SQL identifier ("a""b").
std::string quote_ident(std::string_view name);

/// How a libpqxx failure should be handled.
enum class FailureKind {
  broken,     ///< the connection is gone: replace it, then retry
  transient,  ///< serialization failure or deadlock: retry on the same connection
  timeout,    ///< statement_timeout fired: report as unavailable, no retry
  other,      ///< anything else: report
};

struct Failure {
  FailureKind kind = FailureKind::other;
  std::string sqlstate;  ///< the server's SQLSTATE, or a standard one for client-side failures
  std::string message;   ///< the server's (or libpq's) text, trimmed
};

/// Classifies the exception being handled (call inside a catch block of a pqxx exception).
Failure classify_current_exception();

/// The SaverError a failure becomes when it is not (or no longer) retried: 401 for broken
/// connections and timeouts (and transient failures whose retries ran out), else 407.
[[noreturn]] void throw_failure(std::string_view operation, const Failure& failure);

/// A fixed-size pool of connections. Connections are opened lazily and handed to one caller at a
/// time; a caller that finds every connection busy waits for one to come back.
class Pool {
 public:
  /// `prepare` registers the saver's prepared statements on a new connection.
  Pool(std::string uri, const PostgresSaverOptions& options, std::function<void(pqxx::connection&)> prepare,
       Counters& counters);
  ~Pool();
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  /// A new connection outside the pool (the pool's own and lock_thread's).
  /// @throws SaverUnavailable (401) when the server cannot be reached.
  std::unique_ptr<pqxx::connection> connect();

  /// A pooled connection, returned to the pool when the lease ends.
  class Lease {
   public:
    Lease(Pool& pool, std::unique_ptr<pqxx::connection> conn) : pool_(&pool), conn_(std::move(conn)) {}
    Lease(Lease&& other) noexcept : pool_(std::exchange(other.pool_, nullptr)), conn_(std::move(other.conn_)) {}
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    pqxx::connection& conn() { return *conn_; }
    /// Drops a broken connection and opens a new one in its place.
    /// @throws SaverUnavailable when the new one cannot be opened (the slot is then free).
    void reconnect();
    /// Drops a broken connection; the slot is free again when the lease ends.
    void discard() noexcept { conn_.reset(); }

   private:
    Pool* pool_;
    std::unique_ptr<pqxx::connection> conn_;  // null after a failed reconnect
  };

  /// Waits for a free connection (opening one when the pool is not full yet).
  Lease checkout();

  /// Runs fn(connection) on a pooled connection. A transient failure is retried up to
  /// options.retries times (a broken connection is replaced first), each retry reported through
  /// options.log; any other libpqxx failure becomes a SaverError (throw_failure). Exceptions that
  /// are not libpqxx's (SaverError from fn, for one) pass through unchanged.
  template <class Fn>
  auto run(std::string_view operation, Fn&& fn) -> decltype(fn(std::declval<pqxx::connection&>())) {
    Lease lease = checkout();
    for (int attempt = 1;; ++attempt) {
      Failure failure;
      try {
        return fn(lease.conn());
      } catch (const pqxx::pqxx_exception&) {
        failure = classify_current_exception();
      }
      const bool retryable = failure.kind == FailureKind::broken || failure.kind == FailureKind::transient;
      if (!retryable || attempt > retries_) {
        if (failure.kind == FailureKind::broken) lease.discard();
        throw_failure(operation, failure);
      }
      note_retry(operation, failure, attempt);
      if (failure.kind == FailureKind::broken) lease.reconnect();
    }
  }

 private:
  friend class Lease;
  void give_back(std::unique_ptr<pqxx::connection> conn);  // null: the slot is free again
  void note_retry(std::string_view operation, const Failure& failure, int attempt);

  std::string conninfo_;
  std::string target_;  // redacted uri, for messages
  int retries_;
  std::size_t size_;
  std::function<void(std::string_view)> log_;
  std::function<void(pqxx::connection&)> prepare_;
  Counters& counters_;

  std::mutex mutex_;
  std::condition_variable returned_;
  std::vector<std::unique_ptr<pqxx::connection>> idle_;
  std::size_t open_ = 0;  // connections that exist (idle or leased)
};

}  // namespace sg::pg
