#pragma once
// Internal to stategraph::sqlite: the one connection of a process that writes to a database file.
//
// SQLite lets one connection write at a time; writers of one process that each had their own
// connection queued on SQLite's write lock by polling it (the busy handler sleeps 1, 2, 5, 10…
// ms between tries), and each write on another connection emptied the page cache of all the
// others (WAL: a connection drops its cache when it sees the file changed by someone else), so
// every transaction began by reading its pages again. Every SqliteSaver and RunStore of a
// process on one file therefore writes through one SharedWriter: a connection and a gate
// (std::timed_mutex) that a writer holds for its whole transaction. Writers of one process queue
// on the gate; other processes still meet SQLite's lock and busy timeout.

#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include "sqlite_connection.hpp"

namespace sg::sqlite_detail {

class SharedWriter {
 public:
  /// The writer of `path` in this process (by canonical path), opened on first use and closed when
  /// the last holder lets it go. `busy_timeout` is SQLite's (the longest asked for is kept);
  /// `synchronous_full` makes the connection `PRAGMA synchronous=FULL` from then on.
  /// @throws SaverUnavailable [401] when SQLite cannot open the file.
  static std::shared_ptr<SharedWriter> of(const std::string& path, std::chrono::milliseconds busy_timeout,
                                          bool synchronous_full);

  SharedWriter(const std::string& path, std::chrono::milliseconds busy_timeout, bool synchronous_full);
  SharedWriter(const SharedWriter&) = delete;
  SharedWriter& operator=(const SharedWriter&) = delete;

  /// The connection, held by one thread until the lease ends; a transaction left open by an
  /// error is rolled back when the lease ends.
  class Lease {
   public:
    Lease(std::unique_lock<std::timed_mutex> gate, Connection& connection) noexcept
        : gate_(std::move(gate)), connection_(&connection) {}
    Lease(Lease&&) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease();
    Connection& operator*() const noexcept { return *connection_; }
    Connection* operator->() const noexcept { return connection_; }

   private:
    std::unique_lock<std::timed_mutex> gate_;
    Connection* connection_;
  };

  /// Waits up to `wait` for the gate.
  /// @throws SaverUnavailable [401] (SQLite result code 5, SQLITE_BUSY) when another thread of
  ///         this process held it longer.
  Lease lease(std::chrono::milliseconds wait);

 private:
  void configure(std::chrono::milliseconds busy_timeout, bool synchronous_full);

  std::timed_mutex gate_;
  Connection connection_;
  std::chrono::milliseconds busy_timeout_;
  bool synchronous_full_;
};

}  // namespace sg::sqlite_detail
