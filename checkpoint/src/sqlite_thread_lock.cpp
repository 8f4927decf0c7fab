#include "sqlite_thread_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <system_error>
#include <thread>

#include "stategraph/checkpoint/error.hpp"

namespace sg::sqlite_detail {

namespace {

// The lock file's name: the thread id in hex (any bytes are safe in a file name then), or for
// ids over 100 bytes a 64-bit FNV-1a hash and the hex of the first 40 bytes.
std::string lock_file_name(std::string_view thread_id) {
  static constexpr char kHex[] = "0123456789abcdef";
  auto hex = [](std::string_view bytes) {
    std::string out;
    out.reserve(bytes.size() * 2);
    for (const char ch : bytes) {
      const auto b = static_cast<unsigned char>(ch);
      out += kHex[b >> 4];
      out += kHex[b & 0xF];
    }
    return out;
  };
  // Built by appending, not as "t" + hex(...): at -O2/-O3 g++ 12 reports a false -Wrestrict in
  // the inlined operator+(const char*, std::string&&) (a known GCC 12 false positive).
  std::string name;
  if (thread_id.size() <= 100) {
    name.reserve(thread_id.size() * 2 + 6);
    name += 't';
    name += hex(thread_id);
    name += ".lock";
    return name;
  }
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const char ch : thread_id) {
    h ^= static_cast<unsigned char>(ch);
    h *= 0x100000001b3ULL;
  }
  name += 'h';
  for (int shift = 60; shift >= 0; shift -= 4) name += kHex[(h >> shift) & 0xF];
  name += '-';
  name += hex(thread_id.substr(0, 40));
  name += ".lock";
  return name;
}

[[noreturn]] void unavailable(const std::string& what, const std::filesystem::path& path, int err) {
  throw SaverUnavailable(what + " \"" + path.string() + "\": " + std::strerror(err), "errno " + std::to_string(err));
}

class FileThreadLock final : public ThreadLock {
 public:
  FileThreadLock(int fd, std::filesystem::path path) : fd_(fd), path_(std::move(path)) {}
  FileThreadLock(const FileThreadLock&) = delete;
  FileThreadLock& operator=(const FileThreadLock&) = delete;
  ~FileThreadLock() override {
    // Unlink while still holding the lock: a waiter that then locks the unlinked file notices
    // (its inode is no longer the path's) and retries on a fresh file.
    ::unlink(path_.c_str());
    ::close(fd_);  // releases the flock
  }

 private:
  int fd_;
  std::filesystem::path path_;
};

// The pid the holder wrote into the lock file, or 0.
long holder_pid(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  char buf[32] = {};
  const ssize_t n = ::read(fd, buf, sizeof buf - 1);
  ::close(fd);
  return n > 0 ? std::strtol(buf, nullptr, 10) : 0;
}

}  // namespace

std::unique_ptr<ThreadLock> lock_thread_file(const std::filesystem::path& directory, std::string_view thread_id,
                                             std::chrono::milliseconds wait, std::chrono::milliseconds max_poll) {
  std::error_code ec;
  std::filesystem::create_directories(directory, ec);
  if (ec) unavailable("lock_thread: cannot create the lock directory", directory, ec.value());
  const std::filesystem::path path = directory / lock_file_name(thread_id);
  const auto deadline = std::chrono::steady_clock::now() + wait;
  auto pause = std::chrono::milliseconds(1);
  for (;;) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) unavailable("lock_thread: cannot create the lock file", path, errno);
    int rc = 0;
    do {
      rc = ::flock(fd, LOCK_EX | LOCK_NB);
    } while (rc != 0 && errno == EINTR);
    if (rc == 0) {
      // Still the file at `path`? The previous holder may have unlinked it just before we locked.
      struct stat held {};
      struct stat named {};
      if (::fstat(fd, &held) == 0 && ::stat(path.c_str(), &named) == 0 && held.st_dev == named.st_dev &&
          held.st_ino == named.st_ino) {
        const std::string pid = std::to_string(::getpid()) + "\n";
        if (::ftruncate(fd, 0) == 0) {
          [[maybe_unused]] const ssize_t written = ::pwrite(fd, pid.data(), pid.size(), 0);
        }
        return std::make_unique<FileThreadLock>(fd, path);
      }
      ::close(fd);
      continue;  // try again at once on the new file
    }
    const int err = errno;
    ::close(fd);
    if (err != EWOULDBLOCK) unavailable("lock_thread: cannot lock", path, err);
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      const long pid = holder_pid(path);
      std::string message = "thread \"" + std::string(thread_id) + "\" is busy: another run";
      if (pid > 0) message += " (process " + std::to_string(pid) + ")";
      message += " has held it for the whole wait of " + std::to_string(wait.count()) +
                 " ms; try again later (lock file \"" + path.string() + "\")";
      throw SaverError(ErrorId::saver_thread_busy, message);
    }
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(pause, deadline - now));
    pause = std::min(pause * 2, std::max(max_poll, std::chrono::milliseconds(1)));
  }
}

}  // namespace sg::sqlite_detail
