#pragma once
// Internal to stategraph::sqlite: the one connection of a process that writes to a database file,
// and group commit.
//
// SQLite lets one connection write at a time. Writers of one process that each had a connection
// queued on SQLite's write lock by polling it (the busy handler sleeps 1, 2, 5, 10… ms between
// tries), each write on one connection emptied the page cache of the others (WAL: a connection
// drops its cache when it sees the file changed by someone else), and every transaction wrote
// its own copy of the pages it touched to the WAL. Every SqliteSaver and RunStore of a process
// on one file therefore writes through one SharedWriter: one connection, and writes that arrive
// while a transaction runs are committed together in the next one (group commit: one BEGIN
// IMMEDIATE, one COMMIT). Its WAL checkpoints run on a thread of their own (WalCheckpointer).
// Other processes on the file still meet SQLite's lock and busy timeout.

#include <chrono>
#include <condition_variable>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "sqlite_connection.hpp"
#include "sqlite_wal_checkpointer.hpp"

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

  /// Runs `job` on the writer's connection inside a write transaction and returns once that
  /// transaction committed. The transaction may hold other threads' jobs too, and `job` may run
  /// on another thread (whichever thread commits the group; the caller waits meanwhile). A job
  /// that throws rolls the transaction back, its exception is rethrown here, and the other jobs
  /// of the group run again in a new transaction without it: a job must be re-runnable (write
  /// the same rows when run twice) and must not write through this SharedWriter itself. A BEGIN
  /// or COMMIT that fails fails every job of the group (nothing of it is stored).
  /// @throws SaverUnavailable [401] (SQLite result code 5, SQLITE_BUSY) when the job did not start
  ///         within `wait` (other writers of the process held the connection), or SQLite's errors
  ///         (throw_sqlite) and whatever `job` throws.
  /// Thread-safe.
  void write(std::chrono::milliseconds wait, const std::function<void(Connection&)>& job);

  /// Runs `fn` on the connection outside any transaction, alone (no group runs meanwhile): after
  /// the group that runs now, before the writes queued.
  void configure_connection(const std::function<void(Connection&)>& fn);

 private:
  struct Job {
    const std::function<void(Connection&)>* fn = nullptr;
    std::exception_ptr error;
    bool done = false;  // its group ended (error says how)
    bool lead = false;  // handed the lead of the next group
    std::condition_variable cv;
  };
  void configure(std::chrono::milliseconds busy_timeout, bool synchronous_full);
  void run_group(const std::vector<Job*>& group);
  /// Done with the connection (mutex_ held): the first queued job leads the next group, or the
  /// connection is free.
  void pass_lead();

  std::mutex mutex_;
  std::vector<Job*> queue_;  // jobs waiting for the next group (the first one leads it)
  bool committing_ = false;  // a thread runs a group (or configure_connection) on connection_
  std::size_t configuring_ = 0;  // configure_connection calls waiting for committing_ to clear
  std::condition_variable idle_;  // committing_ cleared (for configure_connection)
  Connection connection_;    // used only by the thread that set committing_
  WalCheckpointer checkpointer_{connection_};  // after connection_: stops before it closes
  std::chrono::milliseconds busy_timeout_;
  bool synchronous_full_;
};

}  // namespace sg::sqlite_detail
