#pragma once
/// @file
/// sg::chatbot::ReentrantLockSaver — the Chatbot's view of its checkpoint store: every call is
/// forwarded to the store, and a thread's lock can be *held* across several engine calls.
///
/// Why: a turn must read the thread's head, run the graph and, when the run fails, roll the
/// thread back, all without another writer (another `sg-chatbot serve` on the same store) coming
/// in between; otherwise the rollback can erase that writer's acknowledged turn. The engine takes
/// the thread's lock itself (BaseCheckpointSaver::lock_thread) for each run and each
/// update_state, and a store's lock is not re-entrant. So the Chatbot hold()s the lock for the
/// whole turn, and while it does, the engine's lock_thread on that thread through this saver is
/// granted at once (it is the holder's own call) and releases nothing.
///
/// The rule that makes this safe: this saver is private to one Chatbot, and the Chatbot calls
/// the engine on a thread only while it holds that thread's in-process mutex and hold() (see
/// chatbot.cpp). So every lock_thread(T) made while T is held comes from the holder's own call;
/// other processes still wait for the store's lock. The key is the thread id only (not the OS
/// thread), so it does not depend on which OS thread the engine takes its lock on.
///
/// One writer at a time (`one_writer`): a store that takes one writing transaction at a time (a
/// SQLite file) makes the others wait in its busy handler, and SQLite's sleeps 1, 2, 5, 10 ms...
/// between tries, so under concurrent turns the CPU idles while writes queue (measured with
/// `sg-bench serve`: about one sleep per turn at 32 sessions). With one_writer the writing calls
/// (put, put_writes, delete_thread, prune, copy_thread) queue on a mutex of this process instead,
/// and each runs as soon as the one before it ends. Writers in other processes still meet in the
/// store.
///
/// Thread-safety: every member may be called from any thread, as any saver's.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <stategraph/checkpoint/saver.hpp>

namespace sg::chatbot {

class ReentrantLockSaver final : public sg::BaseCheckpointSaver {
 public:
  /// Forwards to `store` (required); with `one_writer`, its writing calls one at a time (above).
  /// @throws ChatbotError [sg.chatbot.805] when `store` is null.
  explicit ReentrantLockSaver(std::shared_ptr<sg::BaseCheckpointSaver> store, bool one_writer = false);

  /// Takes the store's lock of `thread_id` (waiting up to `wait`, across processes as the store
  /// does) and holds it until the returned object is destroyed; meanwhile lock_thread(thread_id)
  /// through this saver returns at once. hold() itself always asks the store: do not nest it on
  /// one thread id (the inner call would wait for the outer one and fail).
  /// @throws SaverError [sg.saver.404] when `wait` passes first; the store's errors.
  [[nodiscard]] std::unique_ptr<sg::ThreadLock> hold(std::string_view thread_id, std::chrono::milliseconds wait);

 private:
  struct Held;  // the thread ids held through hold()
  class Hold;   // what hold() returns

  std::optional<sg::CheckpointTuple> do_get_tuple(const sg::CheckpointConfig& config) override;
  std::vector<sg::CheckpointTuple> do_list(const sg::CheckpointConfig& config, const sg::ListOptions& options) override;
  void do_put(const sg::SaverPut& put) override;
  void do_put_writes(const sg::SaverWrites& writes) override;
  /// Forwarded as one batch (forward_put_batch): one transaction of the store, as without this saver.
  void do_put_batch(std::span<const sg::SaverWrites> writes, const sg::SaverPut* put) override;
  void do_put_batches(std::span<const sg::SaverBatch> batches) override;
  void do_delete_thread(std::string_view thread_id) override;
  std::optional<std::string> do_latest_checkpoint_id(const sg::CheckpointConfig& config) override;
  std::unique_ptr<sg::ThreadLock> do_lock_thread(std::string_view thread_id, std::chrono::milliseconds wait) override;
  [[nodiscard]] bool do_in_process() const noexcept override;
  std::vector<sg::ThreadInfo> do_list_threads(const sg::ThreadListOptions& options) override;
  std::map<std::string, std::uint64_t> do_checkpoint_bytes(const sg::CheckpointConfig& config) override;
  sg::StorageStats do_storage_stats() override;
  sg::StorageCheck do_check_storage() override;
  std::size_t do_prune(std::string_view thread_id, const sg::PruneOptions& rule) override;
  void do_copy_thread(std::string_view from, std::string_view to) override;

  /// The lock a writing call holds while it runs: `write_mutex_` with one_writer, else none.
  [[nodiscard]] std::unique_lock<std::mutex> writing();

  std::shared_ptr<sg::BaseCheckpointSaver> store_;
  std::shared_ptr<Held> held_;
  bool one_writer_;
  std::mutex write_mutex_;
};

}  // namespace sg::chatbot
