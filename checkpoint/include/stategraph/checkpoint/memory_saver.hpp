#pragma once
/// @file
/// InMemorySaver: a checkpoint saver that keeps everything in process memory.
///
/// Follows LangGraph's InMemorySaver (langchain-ai/langgraph:
/// libs/checkpoint/langgraph/checkpoint/memory/__init__.py): checkpoints without values, values
/// stored once per (thread, ns, channel, version), pending writes per checkpoint. For tests,
/// demos and short-lived processes; nothing survives the process.
///
/// Thread-safety: every member function may be called concurrently (one internal mutex).

#include <memory>

#include "stategraph/checkpoint/saver.hpp"

namespace sg {

class InMemorySaver final : public BaseCheckpointSaver {
 public:
  InMemorySaver();
  ~InMemorySaver() override;

  /// Number of stored values (one per (thread, ns, channel, version)); for tests and benchmarks
  /// that check values are not stored twice.
  [[nodiscard]] std::size_t value_count() const;

 private:
  // Storage hooks (saver.hpp states the contract of each public call).
  std::optional<CheckpointTuple> do_get_tuple(const CheckpointConfig& config) override;
  std::vector<CheckpointTuple> do_list(const CheckpointConfig& config, const ListOptions& options) override;
  void do_put(const SaverPut& put) override;
  void do_put_writes(const SaverWrites& writes) override;
  void do_delete_thread(std::string_view thread_id) override;
  /// O(log n): no value is read.
  std::optional<std::string> do_latest_checkpoint_id(const CheckpointConfig& config) override;
  /// True: the engine writes to this saver inline even in async durability.
  [[nodiscard]] bool do_in_process() const noexcept override { return true; }
  std::size_t do_prune(std::string_view thread_id, const PruneOptions& rule) override;
  void do_copy_thread(std::string_view from, std::string_view to) override;
  /// Bytes are the lengths of the stored items' JSON text (a delta counts its appended part).
  std::vector<ThreadInfo> do_list_threads(const ThreadListOptions& options) override;
  std::map<std::string, std::uint64_t> do_checkpoint_bytes(const CheckpointConfig& config) override;
  /// Tables named like the durable savers' ("sg_checkpoints", "sg_blobs", "sg_writes").
  StorageStats do_storage_stats() override;

  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sg
