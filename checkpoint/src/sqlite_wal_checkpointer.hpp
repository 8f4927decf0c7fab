#pragma once
// Internal to stategraph::sqlite: WAL checkpoints of a process's writer run on a thread of their
// own, not inside its commits.
//
// In WAL mode every commit appends the pages it changed to the -wal file, and a checkpoint copies
// them back into the database file. SQLite's automatic checkpoint runs inside the COMMIT that
// takes the WAL past 1,000 pages, on the committing thread: with one writer per file and process
// (SharedWriter) and group commit, every write queued behind that commit waited for the copy
// (7 % of a busy server's CPU, all of it on the serial path). The checkpointer takes SQLite's
// automatic checkpoint off the writer connection (its WAL hook) and runs PASSIVE checkpoints,
// which never block writers or readers, from a connection of its own on a background thread.
//
// A checkpoint that runs while the writer appends never finishes the WAL, and SQLite starts the
// WAL over (instead of growing the file) only at a write that finds it wholly copied. So once
// the thread has copied all but the last few pages, the next commit copies that tail itself
// (a PASSIVE checkpoint of a few pages, on the writer) and the write after it starts the WAL
// over. Should the WAL still outgrow kInlineFrames (a long read keeps pages in it), a commit
// checkpoints itself, as SQLite's automatic checkpoint would.

#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace sg::sqlite_detail {

class Connection;

class WalCheckpointer {
 public:
  /// WAL size (pages) past which a commit asks the thread for a checkpoint (16 MiB of 4 KiB
  /// pages; SQLite's default automatic checkpoint is at 1,000). A busy server rewrites the same
  /// hot pages (index tails, a thread's last leaf) in many commits: a longer WAL copies each of
  /// them back once for more commits, and syncs the files (two fsyncs a checkpoint) less often —
  /// 9–11 % more chain runs/s on ext4 than at 1,000 (`sg-bench server`, README).
  static constexpr int kBackgroundFrames = 4000;
  /// WAL size past which the committing thread checkpoints itself (64 MiB of 4 KiB pages).
  static constexpr int kInlineFrames = 16384;
  /// The thread checkpoints again while more pages than this are left for the commit to copy.
  static constexpr int kTailFrames = 64;

  /// Becomes `writer`'s WAL hook (which turns SQLite's automatic checkpoint off on it) and starts
  /// the thread, which opens a connection of its own on `writer`'s file when first asked to
  /// checkpoint; should that fail, the commits checkpoint themselves from then on. `writer` must
  /// outlive this. Throws nothing SQLite does.
  explicit WalCheckpointer(Connection& writer);
  WalCheckpointer(const WalCheckpointer&) = delete;
  WalCheckpointer& operator=(const WalCheckpointer&) = delete;
  /// Stops the thread (a checkpoint under way finishes first) and gives the writer back SQLite's
  /// automatic checkpoint.
  ~WalCheckpointer();

 private:
  static int on_commit(void* self, sqlite3* db, const char* schema, int frames);
  void loop();

  Connection& writer_;
  const std::string path_;                    // writer_'s file
  const std::chrono::milliseconds busy_timeout_;  // writer_'s, for opening own_
  std::unique_ptr<Connection> own_;           // the thread's connection (the thread only)
  std::atomic<bool> unavailable_{false};      // own_ could not be opened: commits checkpoint themselves
  std::mutex mutex_;
  std::condition_variable wake_;
  bool wanted_ = false;    // a commit found the WAL past kBackgroundFrames
  bool stopping_ = false;  // the destructor runs
  std::atomic<bool> caught_up_{false};  // the thread copied all but the tail: the next commit copies it
  int last_frames_ = 0;  // the WAL's size at the last commit (the writer's thread only): smaller = started over
  std::thread thread_;
};

}  // namespace sg::sqlite_detail
