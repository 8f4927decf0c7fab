#pragma once
// sgtest::FaultySaver: a saver that forwards every call to another saver and can fail the Nth
// call of a kind, delay calls, and count them — to test what the engine and its users do when the
// store breaks mid-run. Target sg_faulty_saver (tests/checkpoint/CMakeLists.txt); any test may
// link it.
//
// Thread-safety: every member function may be called from any thread (the engine calls savers
// from its worker threads); faults are armed and counted under one mutex.

#include <array>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>

#include <stategraph/checkpoint/saver.hpp>

namespace sgtest {

/// The saver calls FaultySaver counts and can fail or delay.
enum class SaverCall {
  get_tuple,
  list,
  put,
  put_writes,
  delete_thread,
  latest_checkpoint_id,
  lock_thread,
  prune,
  copy_thread,
  list_threads,
  checkpoint_bytes,
  storage_stats,
  put_batches,  ///< a group of put_batch calls (CheckpointSaver::put_batches), then counted one by one
};
inline constexpr std::size_t kSaverCalls = 13;

class FaultySaver final : public sg::BaseCheckpointSaver {
 public:
  /// Forwards to `inner` (shared: the test usually reads it directly, after "healing").
  explicit FaultySaver(std::shared_ptr<sg::BaseCheckpointSaver> inner);

  /// The `nth` call of `call` from now on (1: the next one) throws instead of reaching the inner
  /// saver; with `and_after`, every later one too, until heal(). `error` throws the exception
  /// (default: sg::SaverUnavailable "[sg.saver.401] injected fault: <call> #<n>").
  void fail(SaverCall call, std::size_t nth = 1, bool and_after = false, std::function<void()> error = {});
  /// Every call of `call` first sleeps `delay` (zero: none).
  void delay(SaverCall call, std::chrono::milliseconds delay);
  /// Clears every fault and delay (counts stay).
  void heal();
  /// Calls of `call` so far (failed ones included).
  [[nodiscard]] std::size_t calls(SaverCall call) const;
  /// Calls of `call` that were made to fail.
  [[nodiscard]] std::size_t failures(SaverCall call) const;

  [[nodiscard]] sg::BaseCheckpointSaver& inner() const noexcept { return *inner_; }

 private:
  struct Fault {
    std::size_t at = 0;  // call number (1-based, counted since construction) that fails first; 0: none
    bool and_after = false;
    std::function<void()> error;
  };
  /// Counts the call, sleeps its delay, throws when a fault says so.
  void enter(SaverCall call);

  std::optional<sg::CheckpointTuple> do_get_tuple(const sg::CheckpointConfig& config) override;
  std::vector<sg::CheckpointTuple> do_list(const sg::CheckpointConfig& config, const sg::ListOptions& options) override;
  void do_put(const sg::SaverPut& put) override;
  void do_put_writes(const sg::SaverWrites& writes) override;
  /// Counts put_batches, then stores each batch as the default hook does (its puts and writes
  /// counted and faulted as such): not in one transaction.
  void do_put_batches(std::span<const sg::SaverBatch> batches) override;
  void do_delete_thread(std::string_view thread_id) override;
  std::optional<std::string> do_latest_checkpoint_id(const sg::CheckpointConfig& config) override;
  std::unique_ptr<sg::ThreadLock> do_lock_thread(std::string_view thread_id, std::chrono::milliseconds wait) override;
  /// Always false, whatever the inner saver says: async durability then hands calls to the
  /// engine's background writer as it does for a durable store.
  [[nodiscard]] bool do_in_process() const noexcept override { return false; }
  std::size_t do_prune(std::string_view thread_id, const sg::PruneOptions& rule) override;
  void do_copy_thread(std::string_view from, std::string_view to) override;
  std::vector<sg::ThreadInfo> do_list_threads(const sg::ThreadListOptions& options) override;
  std::map<std::string, std::uint64_t> do_checkpoint_bytes(const sg::CheckpointConfig& config) override;
  sg::StorageStats do_storage_stats() override;
  sg::StorageCheck do_check_storage() override;

  std::shared_ptr<sg::BaseCheckpointSaver> inner_;
  mutable std::mutex mutex_;
  std::array<std::size_t, kSaverCalls> calls_{};
  std::array<std::size_t, kSaverCalls> failures_{};
  std::array<Fault, kSaverCalls> faults_{};
  std::array<std::chrono::milliseconds, kSaverCalls> delays_{};
};

}  // namespace sgtest
