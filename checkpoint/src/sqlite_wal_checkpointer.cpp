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
  const bool tail = frames >= kBackgroundFrames && me->caught_up_.exchange(false);
  if (frames >= kInlineFrames || tail || (frames >= kBackgroundFrames && me->unavailable_.load())) {
    // Failing is harmless here (the pages stay in the WAL until the next checkpoint); a tail
    // that could not be copied (BUSY: another process checkpoints) is tried again next commit.
    if (sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr) == SQLITE_BUSY && tail)
      me->caught_up_ = true;
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
    lock.lock();
    // The commits of these passes asked again (wanted_): the next commit, which copies the tail,
    // answers them. Running again at once instead made the thread's checkpoint overlap that
    // commit's, which then failed (one checkpoint at a time), and on a loaded machine the two
    // kept meeting: the WAL never started over and grew to kInlineFrames (seen in CI).
    wanted_ = false;
    caught_up_ = true;
  }
}

}  // namespace sg::sqlite_detail
