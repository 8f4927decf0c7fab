#include "reentrant_lock_saver.hpp"

#include <mutex>
#include <map>
#include <utility>

#include "chatbot_error.hpp"

namespace sg::chatbot {

struct ReentrantLockSaver::Held {
  std::mutex mutex;
  /// Each held thread id → the store's lock that hold() took for it.
  std::map<std::string, const sg::ThreadLock*, std::less<>> threads;
};

/// The store's lock, registered as held until destroyed.
class ReentrantLockSaver::Hold final : public sg::ThreadLock {
 public:
  Hold(std::shared_ptr<Held> held, std::string thread_id, std::unique_ptr<sg::ThreadLock> lock)
      : held_(std::move(held)), thread_id_(std::move(thread_id)), lock_(std::move(lock)) {}
  Hold(const Hold&) = delete;
  Hold& operator=(const Hold&) = delete;
  ~Hold() override {
    std::lock_guard guard(held_->mutex);
    held_->threads.erase(thread_id_);
  }  // then lock_ releases the store's lock
  [[nodiscard]] bool is_held() const noexcept override { return lock_->is_held(); }

 private:
  std::shared_ptr<Held> held_;
  std::string thread_id_;
  std::unique_ptr<sg::ThreadLock> lock_;
};

namespace {

/// What lock_thread returns for a held thread: the holder keeps the store's lock, which outlives
/// this object (the engine is called only while the thread is held); is_held asks that lock.
class HeldAlready final : public sg::ThreadLock {
 public:
  explicit HeldAlready(const sg::ThreadLock& lock) : lock_(lock) {}
  [[nodiscard]] bool is_held() const noexcept override { return lock_.is_held(); }

 private:
  const sg::ThreadLock& lock_;
};

}  // namespace

ReentrantLockSaver::ReentrantLockSaver(std::shared_ptr<sg::BaseCheckpointSaver> store, bool one_writer)
    : store_(store ? std::move(store)
                   : throw ChatbotError(ChatbotErrorId::bad_configuration, "a ReentrantLockSaver needs a checkpoint saver")),
      held_(std::make_shared<Held>()),
      one_writer_(one_writer) {}

std::unique_lock<std::mutex> ReentrantLockSaver::writing() {
  return one_writer_ ? std::unique_lock(write_mutex_) : std::unique_lock<std::mutex>();
}

std::unique_ptr<sg::ThreadLock> ReentrantLockSaver::hold(std::string_view thread_id, std::chrono::milliseconds wait) {
  auto lock = store_->lock_thread(thread_id, wait);
  {
    std::lock_guard guard(held_->mutex);
    held_->threads.emplace(thread_id, lock.get());
  }
  return std::make_unique<Hold>(held_, std::string(thread_id), std::move(lock));
}

std::unique_ptr<sg::ThreadLock> ReentrantLockSaver::do_lock_thread(std::string_view thread_id, std::chrono::milliseconds wait) {
  {
    std::lock_guard guard(held_->mutex);
    const auto held = held_->threads.find(thread_id);
    if (held != held_->threads.end()) return std::make_unique<HeldAlready>(*held->second);
  }
  return store_->lock_thread(thread_id, wait);
}

std::optional<sg::CheckpointTuple> ReentrantLockSaver::do_get_tuple(const sg::CheckpointConfig& config) {
  return store_->get_tuple(config);
}

std::vector<sg::CheckpointTuple> ReentrantLockSaver::do_list(const sg::CheckpointConfig& config, const sg::ListOptions& options) {
  return store_->list(config, options);
}

void ReentrantLockSaver::do_put(const sg::SaverPut& put) {
  const auto lock = writing();
  store_->put(put.config, put.checkpoint, put.metadata, put.new_versions);
}

void ReentrantLockSaver::do_put_writes(const sg::SaverWrites& writes) {
  const auto lock = writing();
  store_->put_writes(writes.config, writes.writes, writes.task_id);
}

void ReentrantLockSaver::do_put_batch(std::span<const sg::SaverWrites> writes, const sg::SaverPut* put) {
  const auto lock = writing();
  forward_put_batch(*store_, writes, put);
}

void ReentrantLockSaver::do_put_batches(std::span<const sg::SaverBatch> batches) {
  const auto lock = writing();
  forward_put_batches(*store_, batches);
}

void ReentrantLockSaver::do_delete_thread(std::string_view thread_id) {
  const auto lock = writing();
  store_->delete_thread(thread_id);
}

std::optional<std::string> ReentrantLockSaver::do_latest_checkpoint_id(const sg::CheckpointConfig& config) {
  return store_->latest_checkpoint_id(config);
}

bool ReentrantLockSaver::do_in_process() const noexcept { return store_->in_process(); }

std::vector<sg::ThreadInfo> ReentrantLockSaver::do_list_threads(const sg::ThreadListOptions& options) {
  return store_->list_threads(options);
}

std::map<std::string, std::uint64_t> ReentrantLockSaver::do_checkpoint_bytes(const sg::CheckpointConfig& config) {
  return store_->checkpoint_bytes(config);
}

sg::StorageStats ReentrantLockSaver::do_storage_stats() { return store_->storage_stats(); }

sg::StorageCheck ReentrantLockSaver::do_check_storage() { return store_->check_storage(); }

std::size_t ReentrantLockSaver::do_prune(std::string_view thread_id, const sg::PruneOptions& rule) {
  const auto lock = writing();
  return store_->prune(thread_id, rule);
}

void ReentrantLockSaver::do_copy_thread(std::string_view from, std::string_view to) {
  const auto lock = writing();
  store_->copy_thread(from, to);
}

}  // namespace sg::chatbot
