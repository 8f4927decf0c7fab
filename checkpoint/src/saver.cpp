// Default implementations of BaseCheckpointSaver's optional members.

#include "stategraph/checkpoint/saver.hpp"

#include <condition_variable>
#include <mutex>
#include <set>

#include "stategraph/checkpoint/error.hpp"

namespace sg {

/// The threads held by runs of this process, for the default lock_thread.
struct BaseCheckpointSaver::LocalLocks {
  std::mutex mutex;
  std::condition_variable released;
  std::set<std::string, std::less<>> held;
};

namespace {

class LocalThreadLock final : public ThreadLock {
 public:
  LocalThreadLock(std::shared_ptr<void> owner, std::mutex& m, std::condition_variable& cv,
                  std::set<std::string, std::less<>>& held, std::string thread)
      : owner_(std::move(owner)), mutex_(m), released_(cv), held_(held), thread_(std::move(thread)) {}
  ~LocalThreadLock() override {
    {
      std::lock_guard lock(mutex_);
      held_.erase(thread_);
    }
    released_.notify_all();
  }

 private:
  std::shared_ptr<void> owner_;  // keeps the lock table alive
  std::mutex& mutex_;
  std::condition_variable& released_;
  std::set<std::string, std::less<>>& held_;
  std::string thread_;
};

}  // namespace

BaseCheckpointSaver::BaseCheckpointSaver() : local_locks_(std::make_shared<LocalLocks>()) {}

std::optional<std::string> BaseCheckpointSaver::latest_checkpoint_id(const CheckpointConfig& config) {
  auto t = get_tuple({config.thread_id, config.checkpoint_ns, std::nullopt});
  if (!t) return std::nullopt;
  return t->checkpoint.id;
}

std::unique_ptr<ThreadLock> BaseCheckpointSaver::lock_thread(std::string_view thread_id,
                                                             std::chrono::milliseconds wait) {
  auto& l = *local_locks_;
  std::unique_lock lock(l.mutex);
  const bool got = l.released.wait_for(lock, wait, [&] { return l.held.find(thread_id) == l.held.end(); });
  if (!got)
    throw SaverError("sg.saver.404", "thread \"" + std::string(thread_id) + "\" is busy: another run has held it for " +
                                         std::to_string(wait.count()) + " ms; try again later");
  l.held.emplace(thread_id);
  return std::make_unique<LocalThreadLock>(local_locks_, l.mutex, l.released, l.held, std::string(thread_id));
}

}  // namespace sg
