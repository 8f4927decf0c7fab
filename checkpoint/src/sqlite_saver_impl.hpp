#pragma once
// Internal to stategraph::sqlite: SqliteSaver's state — its options, a pool of connections for
// reading, each lent to one thread at a time, and the process's writer of the file
// (sqlite_shared_writer.hpp) for writing — shared by sqlite_saver.cpp (the engine's calls) and
// sqlite_admin.cpp (inspection and maintenance).

#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "sqlite_connection.hpp"
#include "sqlite_shared_writer.hpp"
#include "sqlite_thread_lock.hpp"
#include "stategraph/checkpoint/error.hpp"
#include "stategraph/checkpoint/sqlite_saver.hpp"

namespace sg {

struct SqliteSaver::Impl {
  std::filesystem::path path;
  std::string path_string;
  SqliteSaverOptions options;
  std::filesystem::path lock_directory;
  // How connections open the file, chosen once by the constructor (sqlite_open_mode.cpp).
  sqlite_detail::OpenMode mode = sqlite_detail::OpenMode::read_write;
  // read_only: the -wal and -shm were missing at open, so the destructor lets SQLite remove them.
  bool tidy_companions = false;
  // The file's tables have the checksum columns (schema 2).
  bool checksums = true;

  std::mutex mutex;
  std::vector<std::unique_ptr<sqlite_detail::Connection>> idle;
  // Every write transaction (null when read-only); set by the constructor.
  std::shared_ptr<sqlite_detail::SharedWriter> writer;
  // The lock file of lock_thread, opened by the first call and kept open (guarded by `mutex`).
  std::shared_ptr<sqlite_detail::ThreadLockFile> thread_locks;

  sqlite_detail::ThreadLockFile& lock_file() {
    const std::lock_guard lock(mutex);
    if (!thread_locks) thread_locks = sqlite_detail::ThreadLockFile::open(lock_directory);
    return *thread_locks;
  }

  std::unique_ptr<sqlite_detail::Connection> open() const {
    auto c = std::make_unique<sqlite_detail::Connection>(path_string, options.busy_timeout,
                                                         options.synchronous == SqliteSynchronous::full, mode);
    c->set_checksums(checksums);
    return c;
  }

  // Writing calls on a read-only saver fail before touching the file.
  void require_writable(std::string_view call) const {
    if (options.read_only)
      throw SaverError(ErrorId::saver_read_only, std::string(call) + ": the SQLite database \"" + path_string +
                                           "\" was opened read-only (SqliteSaverOptions::" +
                                           (options.immutable ? "immutable" : "read_only") + ")");
  }

  // Runs `job` in a write transaction of the process's writer of the file (group commit: see
  // sqlite_shared_writer.hpp); returns once it committed.
  void write(std::string_view call, const std::function<void(sqlite_detail::Connection&)>& job) {
    require_writable(call);
    writer->write(options.busy_timeout, job);
  }

  // A pooled connection (for reading), used by one thread until the lease ends.
  class Lease {
   public:
    Lease(Impl& impl, std::unique_ptr<sqlite_detail::Connection> c) : impl_(impl), c_(std::move(c)) {}
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() { impl_.give_back(std::move(c_)); }
    sqlite_detail::Connection& operator*() const noexcept { return *c_; }
    sqlite_detail::Connection* operator->() const noexcept { return c_.get(); }

   private:
    Impl& impl_;
    std::unique_ptr<sqlite_detail::Connection> c_;
  };

  Lease lease() {
    {
      const std::lock_guard lock(mutex);
      if (!idle.empty()) {
        auto c = std::move(idle.back());
        idle.pop_back();
        return Lease(*this, std::move(c));
      }
    }
    return Lease(*this, open());
  }

  void give_back(std::unique_ptr<sqlite_detail::Connection> c) noexcept {
    if (!c->autocommit()) {
      // A transaction survived an error: roll it back, or drop the connection.
      sqlite3_exec(c->db(), "ROLLBACK", nullptr, nullptr, nullptr);
      if (!c->autocommit()) return;
    }
    const std::lock_guard lock(mutex);
    if (idle.size() < options.max_idle_connections) idle.push_back(std::move(c));
  }
};

}  // namespace sg
