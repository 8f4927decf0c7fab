#include "faulty_saver.hpp"

#include <string>
#include <thread>
#include <utility>

#include <stategraph/checkpoint/error.hpp>

namespace sgtest {

namespace {

constexpr const char* kNames[kSaverCalls] = {"get_tuple",    "list",          "put",          "put_writes",
                                             "delete_thread", "latest_checkpoint_id", "lock_thread", "prune",
                                             "copy_thread",  "list_threads",  "checkpoint_bytes", "storage_stats", "put_batches"};

std::size_t index(SaverCall call) { return static_cast<std::size_t>(call); }

}  // namespace

FaultySaver::FaultySaver(std::shared_ptr<sg::BaseCheckpointSaver> inner) : inner_(std::move(inner)) {}

void FaultySaver::fail(SaverCall call, std::size_t nth, bool and_after, std::function<void()> error) {
  const std::lock_guard lock(mutex_);
  Fault& f = faults_[index(call)];
  f.at = calls_[index(call)] + (nth == 0 ? 1 : nth);
  f.and_after = and_after;
  f.error = std::move(error);
}

void FaultySaver::delay(SaverCall call, std::chrono::milliseconds delay) {
  const std::lock_guard lock(mutex_);
  delays_[index(call)] = delay;
}

void FaultySaver::heal() {
  const std::lock_guard lock(mutex_);
  faults_ = {};
  delays_ = {};
}

std::size_t FaultySaver::calls(SaverCall call) const {
  const std::lock_guard lock(mutex_);
  return calls_[index(call)];
}

std::size_t FaultySaver::failures(SaverCall call) const {
  const std::lock_guard lock(mutex_);
  return failures_[index(call)];
}

void FaultySaver::enter(SaverCall call) {
  std::chrono::milliseconds pause{0};
  std::function<void()> error;
  bool fails = false;
  std::size_t n = 0;
  {
    const std::lock_guard lock(mutex_);
    n = ++calls_[index(call)];
    pause = delays_[index(call)];
    const Fault& f = faults_[index(call)];
    fails = f.at != 0 && (n == f.at || (f.and_after && n > f.at));
    if (fails) {
      ++failures_[index(call)];
      error = f.error;
    }
  }
  if (pause.count() > 0) std::this_thread::sleep_for(pause);
  if (!fails) return;
  if (error) error();
  throw sg::SaverUnavailable("injected fault: " + std::string(kNames[index(call)]) + " #" + std::to_string(n));
}

std::optional<sg::CheckpointTuple> FaultySaver::do_get_tuple(const sg::CheckpointConfig& config) {
  enter(SaverCall::get_tuple);
  return inner_->get_tuple(config);
}

std::vector<sg::CheckpointTuple> FaultySaver::do_list(const sg::CheckpointConfig& config, const sg::ListOptions& options) {
  enter(SaverCall::list);
  return inner_->list(config, options);
}

void FaultySaver::do_put(const sg::SaverPut& put) {
  enter(SaverCall::put);
  inner_->put(put.config, put.checkpoint, put.metadata, put.new_versions);
}

void FaultySaver::do_put_writes(const sg::SaverWrites& writes) {
  enter(SaverCall::put_writes);
  inner_->put_writes(writes.config, writes.writes, writes.task_id);
}

void FaultySaver::do_put_batches(std::span<const sg::SaverBatch> batches) {
  enter(SaverCall::put_batches);
  for (const auto& b : batches) {
    auto own = [&](const sg::SaverWrites& w) { return b.put != nullptr && w.checkpoint_id == b.put->checkpoint.id; };
    for (const auto& w : b.writes)
      if (!own(w)) do_put_writes(w);
    if (b.put != nullptr) do_put(*b.put);
    for (const auto& w : b.writes)
      if (own(w)) do_put_writes(w);
  }
}

void FaultySaver::do_delete_thread(std::string_view thread_id) {
  enter(SaverCall::delete_thread);
  inner_->delete_thread(thread_id);
}

std::optional<std::string> FaultySaver::do_latest_checkpoint_id(const sg::CheckpointConfig& config) {
  enter(SaverCall::latest_checkpoint_id);
  return inner_->latest_checkpoint_id(config);
}

std::unique_ptr<sg::ThreadLock> FaultySaver::do_lock_thread(std::string_view thread_id, std::chrono::milliseconds wait) {
  enter(SaverCall::lock_thread);
  return inner_->lock_thread(thread_id, wait);
}

std::size_t FaultySaver::do_prune(std::string_view thread_id, const sg::PruneOptions& rule) {
  enter(SaverCall::prune);
  return inner_->prune(thread_id, rule);
}

void FaultySaver::do_copy_thread(std::string_view from, std::string_view to) {
  enter(SaverCall::copy_thread);
  inner_->copy_thread(from, to);
}

std::vector<sg::ThreadInfo> FaultySaver::do_list_threads(const sg::ThreadListOptions& options) {
  enter(SaverCall::list_threads);
  return inner_->list_threads(options);
}

std::map<std::string, std::uint64_t> FaultySaver::do_checkpoint_bytes(const sg::CheckpointConfig& config) {
  enter(SaverCall::checkpoint_bytes);
  return inner_->checkpoint_bytes(config);
}

sg::StorageStats FaultySaver::do_storage_stats() {
  enter(SaverCall::storage_stats);
  return inner_->storage_stats();
}

sg::StorageCheck FaultySaver::do_check_storage() { return inner_->check_storage(); }

}  // namespace sgtest
