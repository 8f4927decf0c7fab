#include "sqlite_wal_checkpointer.hpp"

#include <chrono>

#include "sqlite_connection.hpp"

namespace sg::sqlite_detail {

WalCheckpointer::WalCheckpointer(Connection& writer)
    : writer_(writer), path_(writer.path()), busy_timeout_(writer.busy_timeout()), thread_([this] { loop(); }) {
  sqlite3_wal_hook(writer_.db(), &WalCheckpointer::on_commit, this);
}

WalCheckpointer::~WalCheckpointer() {
  sqlite3_wal_autocheckpoint(writer_.db(), kBackgroundFrames);  // replaces the hook
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

int WalCheckpointer::on_commit(void* self, sqlite3* db, const char* schema, int frames) {
  auto* me = static_cast<WalCheckpointer*>(self);
  if (frames < me->last_frames_) me->caught_up_ = false;  // the WAL started over since
  me->last_frames_ = frames;
  if (frames >= kInlineFrames ||
      (frames >= kBackgroundFrames && (me->caught_up_.exchange(false) || me->unavailable_.load()))) {
    // Failing is harmless here (the pages stay in the WAL until the next checkpoint).
    sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  } else if (frames >= kBackgroundFrames) {
    bool wake = false;
    {
      const std::lock_guard lock(me->mutex_);
      wake = !me->wanted_;
      me->wanted_ = true;
    }
    if (wake) me->wake_.notify_one();
  }
  return SQLITE_OK;  // the commit succeeded whatever happens here
}

void WalCheckpointer::loop() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [&] { return wanted_ || stopping_; });
    if (stopping_) return;
    wanted_ = false;
    lock.unlock();
    if (!own_) {
      try {
        own_ = std::make_unique<Connection>(path_, busy_timeout_, false);
      } catch (...) {
        unavailable_ = true;
        return;
      }
    }
    // BUSY (another process checkpoints) or an I/O error leaves the pages in the WAL: the next
    // commit past the mark asks again. A few passes at most: the writer appends meanwhile.
    for (int pass = 0; pass < 4; ++pass) {
      int log = 0;
      int copied = 0;
      if (sqlite3_wal_checkpoint_v2(own_->db(), nullptr, SQLITE_CHECKPOINT_PASSIVE, &log, &copied) != SQLITE_OK ||
          log - copied <= kTailFrames)
        break;
    }
    caught_up_ = true;
    lock.lock();
  }
}

}  // namespace sg::sqlite_detail
