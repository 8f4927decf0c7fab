#pragma once
/// @file
/// The checkpoint saver interface (LangGraph's `BaseCheckpointSaver`,
/// langchain-ai/langgraph: libs/checkpoint/langgraph/checkpoint/base/__init__.py).
///
/// A saver stores checkpoints addressed by (thread_id, checkpoint_ns, checkpoint_id) and the
/// pending writes of each checkpoint's tasks. Every implementation must pass the conformance
/// suite in tests/checkpoint/.
///
/// Thread-safety: every member function of every saver may be called concurrently from any
/// number of threads.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "stategraph/checkpoint/checkpoint.hpp"

namespace sg {

/// Options of BaseCheckpointSaver::list.
struct ListOptions {
  /// Keep checkpoints whose metadata contains every top-level key of this object with an equal
  /// value (JSON equality). A null or empty object keeps everything.
  nlohmann::json filter = nlohmann::json::object();
  /// Keep only checkpoints created before this one (checkpoint_id strictly smaller).
  std::optional<std::string> before{};
  /// At most this many results.
  std::optional<std::size_t> limit{};
  /// false: the tuples' checkpoint.channel_values stay empty (everything else — versions,
  /// versions_seen, metadata, parent, pending writes — is present) and the durable savers neither
  /// read nor decode a stored value. For histories that show metadata, not state.
  bool values = true;
};

/// Options of BaseCheckpointSaver::list_threads.
struct ThreadListOptions {
  /// Keep threads with at least one checkpoint (any namespace) whose metadata matches, with the
  /// rules of ListOptions::filter. A null or empty object keeps every thread.
  nlohmann::json filter = nlohmann::json::object();
  /// Only this thread (its summary, or nothing when it has no checkpoint).
  std::optional<std::string> thread_id{};
  /// At most this many threads (the most recently updated).
  std::optional<std::size_t> limit{};
};

/// A thread as BaseCheckpointSaver::list_threads summarises it.
struct ThreadInfo {
  std::string thread_id;
  std::size_t checkpoints = 0;           ///< in all namespaces
  std::vector<std::string> namespaces;   ///< with at least one checkpoint, sorted ("" is the root)
  /// The newest checkpoint of the thread (greatest id in any namespace): its id, its ts and its
  /// metadata's integer "step" (nullopt when absent or not an integer).
  std::string last_checkpoint_id;
  std::string last_ts;
  std::optional<std::int64_t> last_step;
  /// Bytes the thread's rows hold: checkpoint rows, stored values and pending writes, as the
  /// backend stores them (SQLite: encoded column lengths; Postgres: pg_column_size of the rows;
  /// InMemorySaver: the length of their JSON text). Index and page overhead not included.
  std::uint64_t bytes = 0;
};

/// What one table (or one kind of stored item) of a saver holds; see BaseCheckpointSaver::storage_stats.
struct TableStats {
  std::string name;        ///< "sg_checkpoints", "sg_blobs", "sg_writes" (InMemorySaver: "checkpoints", ...)
  std::uint64_t rows = 0;
  std::uint64_t bytes = 0;  ///< payload bytes as in ThreadInfo::bytes
  /// On-disk size with indexes where the backend reports one (Postgres pg_total_relation_size).
  std::optional<std::uint64_t> disk_bytes;
};

/// Sizes of a whole store.
struct StorageStats {
  std::vector<TableStats> tables;
  /// Size of the database file (SQLite, with its -wal file) or schema (Postgres) on disk.
  std::optional<std::uint64_t> total_disk_bytes;
  /// Bytes SQLite holds free inside the file (freelist pages; VACUUM returns them).
  std::optional<std::uint64_t> free_bytes;
};

/// What BaseCheckpointSaver::prune removes.
struct PruneOptions {
  /// Keep the newest N checkpoints of each namespace of the thread; delete older ones.
  std::optional<std::size_t> keep_last{};
  /// Delete checkpoints older than this checkpoint id (strictly smaller).
  std::optional<std::string> before{};
};

/// Exclusive right to run one thread_id, held while a run writes it (see
/// BaseCheckpointSaver::lock_thread). Released when destroyed.
class ThreadLock {
 public:
  virtual ~ThreadLock() = default;
};

class BaseCheckpointSaver {
 public:
  virtual ~BaseCheckpointSaver() = default;
  BaseCheckpointSaver();
  BaseCheckpointSaver(const BaseCheckpointSaver&) = delete;
  BaseCheckpointSaver& operator=(const BaseCheckpointSaver&) = delete;

 private:
  struct LocalLocks;
  std::shared_ptr<LocalLocks> local_locks_;

 public:

  /// The checkpoint named by `config` (thread_id, checkpoint_ns, checkpoint_id), or the latest of
  /// that thread and namespace when checkpoint_id is empty. Empty optional when there is none.
  /// The tuple's channel_values are complete and its pending writes are ordered by
  /// (task_id, idx).
  /// @throws SaverError (sg.saver.4xx) when the store fails or a row is damaged.
  virtual std::optional<CheckpointTuple> get_tuple(const CheckpointConfig& config) = 0;

  /// Checkpoints of `config.thread_id` (all threads when thread_id is empty) in
  /// `config.checkpoint_ns`, newest first (checkpoint_id descending). When config.checkpoint_id
  /// is set, only that checkpoint. Pending writes are included.
  /// @throws SaverError.
  virtual std::vector<CheckpointTuple> list(const CheckpointConfig& config,
                                            const ListOptions& options = {}) = 0;

  /// Stores `checkpoint` with `metadata` as a child of config.checkpoint_id (the parent; empty for
  /// the first checkpoint of a thread). `new_versions` names the channels whose value changed
  /// since the parent: their values are read from checkpoint.channel_values or, for channels
  /// listed there, checkpoint.channel_deltas (stored as the delta and resolved on read), and each
  /// is stored once per (thread, ns, channel, version). Other channels of channel_versions must
  /// have been stored by an earlier put of the same thread and namespace.
  /// When checkpoint.parent_writes_applied, the pending writes stored against the parent
  /// (config.checkpoint_id, same thread and namespace) are deleted with it.
  /// Returns the config of the stored checkpoint (checkpoint_id = checkpoint.id).
  /// Atomic: the checkpoint and its values are stored (and the parent's writes deleted) together
  /// or not at all.
  /// @throws SaverError (sg.saver.403 when thread_id is empty).
  virtual CheckpointConfig put(const CheckpointConfig& config, const Checkpoint& checkpoint,
                               const CheckpointMetadata& metadata,
                               const ChannelVersions& new_versions) = 0;

  /// Stores the writes of task `task_id` against checkpoint `config.checkpoint_id`. Idempotent per
  /// (task_id, index in `writes`): a second call for the same task keeps the first values, except
  /// for the special channels "__error__", "__interrupt__" and "__resume__", which are replaced.
  /// @throws SaverError.
  virtual void put_writes(const CheckpointConfig& config, std::span<const PendingWrite> writes,
                          std::string_view task_id) = 0;

  /// Deletes every checkpoint, value and write of the thread, in all namespaces. A thread that
  /// does not exist is a no-op.
  /// @throws SaverError.
  virtual void delete_thread(std::string_view thread_id) = 0;

  /// Deletes old checkpoints of a thread (all namespaces) per `options`, with their writes and
  /// the values no remaining checkpoint refers to. The newest checkpoint of each namespace is
  /// never deleted. Returns the number of checkpoints deleted.
  /// @throws SaverError.
  virtual std::size_t prune(std::string_view thread_id, const PruneOptions& options) = 0;

  /// The id of the latest checkpoint of (thread_id, checkpoint_ns), or nullopt when there is
  /// none; much cheaper than get_tuple (the engine calls it to reuse a state it already holds).
  /// The default calls get_tuple.
  /// @throws SaverError.
  virtual std::optional<std::string> latest_checkpoint_id(const CheckpointConfig& config);

  /// Waits up to `wait` for the exclusive right to run `thread_id` (across threads and, for the
  /// SQLite and Postgres savers, across processes) and returns it; the engine holds it for the
  /// whole run, so two runs on one thread never fork its history.
  /// @throws SaverError [sg.saver.404] "thread busy" when `wait` passes first.
  /// The default implementation locks within this process only.
  virtual std::unique_ptr<ThreadLock> lock_thread(std::string_view thread_id, std::chrono::milliseconds wait);

  /// True when every call completes in process memory without I/O. The engine then makes even
  /// `async` durability calls inline: handing such a call to another thread costs more than the
  /// call. Default false.
  [[nodiscard]] virtual bool in_process() const noexcept { return false; }

  /// Copies every checkpoint, value and write of thread `from` to thread `to` (which must not
  /// exist yet; otherwise sg.saver.403). Checkpoint ids are kept.
  /// @throws SaverError.
  virtual void copy_thread(std::string_view from, std::string_view to) = 0;

  /// Summaries of the threads that have checkpoints, most recently updated first (last
  /// checkpoint id descending). The SQLite and Postgres savers answer with a few aggregate
  /// queries and never read a stored value (10,000 threads: well under 0.5 s on SQLite).
  /// The default implementation lists every checkpoint of the root namespace (with values, for
  /// the byte counts; override it).
  /// @throws SaverError (sg.saver.403 when the filter is not an object).
  virtual std::vector<ThreadInfo> list_threads(const ThreadListOptions& options = {});

  /// Bytes each checkpoint of (thread_id, checkpoint_ns) added to the store: its own row, its
  /// pending writes, and each stored value (or delta) whose version it is the oldest checkpoint
  /// to refer to. Keyed by checkpoint id; the values sum to about the thread's
  /// ThreadInfo::bytes for that namespace. No value is decoded by the durable savers.
  /// The default implementation measures JSON text from list().
  /// @throws SaverError.
  virtual std::map<std::string, std::uint64_t> checkpoint_bytes(const CheckpointConfig& config);

  /// Rows and bytes per table, and the size on disk. The default reports one table per kind of
  /// item from list_threads and list.
  /// @throws SaverError.
  virtual StorageStats storage_stats();
};

}  // namespace sg
