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

  std::optional<CheckpointTuple> get_tuple(const CheckpointConfig& config) override;
  std::vector<CheckpointTuple> list(const CheckpointConfig& config,
                                    const ListOptions& options = {}) override;
  CheckpointConfig put(const CheckpointConfig& config, const Checkpoint& checkpoint,
                       const CheckpointMetadata& metadata,
                       const ChannelVersions& new_versions) override;
  void put_writes(const CheckpointConfig& config, std::span<const PendingWrite> writes,
                  std::string_view task_id) override;
  void delete_thread(std::string_view thread_id) override;
  std::size_t prune(std::string_view thread_id, const PruneOptions& options) override;
  void copy_thread(std::string_view from, std::string_view to) override;
  /// O(log n): no value is read.
  std::optional<std::string> latest_checkpoint_id(const CheckpointConfig& config) override;
  /// Bytes are the lengths of the stored items' JSON text (a delta counts its appended part).
  std::vector<ThreadInfo> list_threads(const ThreadListOptions& options = {}) override;
  std::map<std::string, std::uint64_t> checkpoint_bytes(const CheckpointConfig& config) override;
  /// Tables named like the durable savers' ("sg_checkpoints", "sg_blobs", "sg_writes").
  StorageStats storage_stats() override;
  /// True: the engine writes to this saver inline even in async durability.
  [[nodiscard]] bool in_process() const noexcept override { return true; }

  /// Number of stored values (one per (thread, ns, channel, version)); for tests and benchmarks
  /// that check values are not stored twice.
  [[nodiscard]] std::size_t value_count() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sg
