#pragma once
// Internal to stategraph::sqlite: SqliteSaver::lock_thread — one lock file per database, opened
// once per saver, and an open file description lock (fcntl F_OFD_SETLK) on one byte of it per
// thread id.

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <set>
#include <string_view>

#include "stategraph/checkpoint/saver.hpp"

namespace sg::sqlite_detail {

/// The byte of the lock file that stands for `thread_id`: a 64-bit FNV-1a hash of its bytes,
/// reduced to 62 bits. Two ids with the same byte share a lock (a spurious wait, never a fork).
off_t thread_lock_offset(std::string_view thread_id) noexcept;

/// "<directory>/threads.lock", opened (created when missing, never deleted) once and kept open
/// for the saver's life; lock() takes an F_OFD_SETLK write lock on thread_lock_offset(thread id).
/// OFD locks belong to the open file description: a second saver (or process) on the database
/// opens its own and is excluded; the kernel drops them when the last descriptor closes, also
/// when the process dies by SIGKILL. Runs of this saver exclude each other through a table of the
/// bytes they hold (an OFD lock does not exclude its own description).
/// Thread-safety: lock() may be called concurrently; each returned lock may outlive the saver.
class ThreadLockFile : public std::enable_shared_from_this<ThreadLockFile> {
 public:
  /// @throws SaverUnavailable [sg.saver.401] when the directory or file cannot be created/opened.
  static std::shared_ptr<ThreadLockFile> open(const std::filesystem::path& directory);
  ~ThreadLockFile();
  ThreadLockFile(const ThreadLockFile&) = delete;
  ThreadLockFile& operator=(const ThreadLockFile&) = delete;

  /// Waits up to `wait` for the byte of `thread_id`, polling another process's lock with a
  /// back-off from 1 ms up to `max_poll`. No file is created or deleted.
  /// @throws SaverError [sg.saver.404] when the thread stays busy for `wait`;
  ///         SaverUnavailable [sg.saver.401] when fcntl fails otherwise.
  std::unique_ptr<ThreadLock> lock(std::string_view thread_id, std::chrono::milliseconds wait,
                                   std::chrono::milliseconds max_poll);

  const std::filesystem::path& path() const noexcept { return path_; }
  /// Whether path() still names the file this object holds open (two stat calls).
  [[nodiscard]] bool still_named() const noexcept;

 private:
  ThreadLockFile(int fd, std::filesystem::path path) : fd_(fd), path_(std::move(path)) {}
  friend class ByteLock;
  void release(off_t offset) noexcept;

  int fd_;
  std::filesystem::path path_;
  std::mutex mutex_;
  std::condition_variable released_;
  std::set<off_t> held_;  // bytes locked by this saver's runs
};

}  // namespace sg::sqlite_detail
