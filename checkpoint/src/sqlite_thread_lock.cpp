#include "sqlite_thread_lock.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <system_error>
#include <thread>

#include "stategraph/checkpoint/error.hpp"

namespace sg::sqlite_detail {

namespace {

[[noreturn]] void unavailable(const std::string& what, const std::filesystem::path& path, int err) {
  throw SaverUnavailable(what + " \"" + path.string() + "\": " + std::strerror(err), "errno " + std::to_string(err));
}

// F_OFD_SETLK of one byte: true when taken (or released), false when another description holds it.
bool set_byte_lock(int fd, off_t offset, short type, int& err) {
  struct flock fl {};
  fl.l_type = type;
  fl.l_whence = SEEK_SET;
  fl.l_start = offset;
  fl.l_len = 1;
  fl.l_pid = 0;  // required by F_OFD_*
  int rc = 0;
  do {
    rc = ::fcntl(fd, F_OFD_SETLK, &fl);
  } while (rc != 0 && errno == EINTR);
  err = rc == 0 ? 0 : errno;
  return rc == 0;
}

}  // namespace

/// A thread's byte, held until destroyed.
class ByteLock final : public ThreadLock {
 public:
  ByteLock(std::shared_ptr<ThreadLockFile> file, off_t offset) : file_(std::move(file)), offset_(offset) {}
  ByteLock(const ByteLock&) = delete;
  ByteLock& operator=(const ByteLock&) = delete;
  ~ByteLock() override { file_->release(offset_); }

  /// False once the lock file's path names another file or none (it was deleted or replaced:
  /// a saver opening the database now would lock another file, so the exclusion is gone).
  [[nodiscard]] bool is_held() const noexcept override {
    if (lost_.load(std::memory_order_relaxed)) return false;
    if (file_->still_named()) return true;
    lost_.store(true, std::memory_order_relaxed);
    return false;
  }

 private:
  std::shared_ptr<ThreadLockFile> file_;  // keeps the descriptor, and so the lock, open
  off_t offset_;
  mutable std::atomic<bool> lost_{false};
};

off_t thread_lock_offset(std::string_view thread_id) noexcept {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const char ch : thread_id) {
    h ^= static_cast<unsigned char>(ch);
    h *= 0x100000001b3ULL;
  }
  return static_cast<off_t>(h >> 2);
}

std::shared_ptr<ThreadLockFile> ThreadLockFile::open(const std::filesystem::path& directory) {
  std::error_code ec;
  std::filesystem::create_directories(directory, ec);
  if (ec) unavailable("lock_thread: cannot create the lock directory", directory, ec.value());
  std::filesystem::path path = directory / "threads.lock";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) unavailable("lock_thread: cannot open the lock file", path, errno);
  return std::shared_ptr<ThreadLockFile>(new ThreadLockFile(fd, std::move(path)));
}

ThreadLockFile::~ThreadLockFile() { ::close(fd_); }

bool ThreadLockFile::still_named() const noexcept {
  struct stat open {};
  struct stat named {};
  return ::fstat(fd_, &open) == 0 && ::stat(path_.c_str(), &named) == 0 && open.st_dev == named.st_dev &&
         open.st_ino == named.st_ino;
}

std::unique_ptr<ThreadLock> ThreadLockFile::lock(std::string_view thread_id, std::chrono::milliseconds wait,
                                                 std::chrono::milliseconds max_poll) {
  const off_t offset = thread_lock_offset(thread_id);
  const auto deadline = std::chrono::steady_clock::now() + wait;
  auto busy = [&](const char* who) {
    return SaverError(ErrorId::saver_thread_busy, "thread \"" + std::string(thread_id) + "\" is busy: another run" +
                                                      who + " has held it for the whole wait of " +
                                                      std::to_string(wait.count()) + " ms; try again later (lock file \"" +
                                                      path_.string() + "\", byte " + std::to_string(offset) + ")");
  };
  {
    // First among this saver's runs...
    std::unique_lock lock(mutex_);
    if (!released_.wait_until(lock, deadline, [&] { return held_.count(offset) == 0; })) throw busy(" of this process");
    held_.insert(offset);
  }
  // ...then among other savers and processes.
  auto pause = std::chrono::milliseconds(1);
  for (;;) {
    int err = 0;
    if (set_byte_lock(fd_, offset, F_WRLCK, err)) return std::make_unique<ByteLock>(shared_from_this(), offset);
    const auto now = std::chrono::steady_clock::now();
    if ((err != EAGAIN && err != EACCES) || now >= deadline) {
      {
        std::lock_guard lock(mutex_);
        held_.erase(offset);
      }
      released_.notify_all();
      if (err != EAGAIN && err != EACCES) unavailable("lock_thread: cannot lock", path_, err);
      throw busy("");
    }
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(pause, deadline - now));
    pause = std::min(pause * 2, std::max(max_poll, std::chrono::milliseconds(1)));
  }
}

void ThreadLockFile::release(off_t offset) noexcept {
  int err = 0;
  set_byte_lock(fd_, offset, F_UNLCK, err);
  {
    std::lock_guard lock(mutex_);
    held_.erase(offset);
  }
  released_.notify_all();
}

}  // namespace sg::sqlite_detail
