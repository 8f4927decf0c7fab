#pragma once
/// @file
/// The checkpoint saver contract (LangGraph's `BaseCheckpointSaver`,
/// langchain-ai/langgraph: libs/checkpoint/langgraph/checkpoint/base/__init__.py), stated once.
///
/// A saver stores checkpoints addressed by (thread_id, checkpoint_ns, checkpoint_id) and the
/// pending writes of each checkpoint's tasks. Two interfaces:
///  - CheckpointSaver: what the engine needs (get_tuple, list, put, put_writes, put_batch,
///    put_batches, delete_thread, latest_checkpoint_id, lock_thread, in_process);
///  - CheckpointAdmin: what inspection and maintenance need (list_threads, checkpoint_bytes,
///    storage_stats, prune, copy_thread; sg-checkpoints).
/// Both are non-virtual interfaces (spdlog's base_sink pattern, as nodes' ChatModel): each
/// public call checks its arguments and normalises them once, here, and then calls a private
/// storage hook (`do_get_tuple`, `do_put`, ...) that a backend implements; what comes back is
/// brought to the current checkpoint format once, here (upgrade_checkpoint). A backend is
/// storage code only. BaseCheckpointSaver is both, with defaults for the optional hooks; every
/// saver derives from it and must pass the conformance suite in tests/checkpoint/.
///
/// Thread-safety: every member function of every saver may be called concurrently from any
/// number of threads (a backend's hooks must allow that).

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
  /// With values, for a caller that rebuilds values oldest first (get_state_history): a channel
  /// whose version equals the one it has in the next tuple of the result (the next older
  /// checkpoint listed, same thread) may be left out of channel_values, and one stored as a delta
  /// on that version may come back in channel_deltas instead, so that a long list is not copied
  /// once per checkpoint. Whatever is in channel_values is complete. Savers may ignore it
  /// (complete values throughout, as with false).
  bool deltas = false;
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

/// What a backend's own check of its storage found; see BaseCheckpointSaver::check_storage.
/// Problems are values (an expected outcome of checking), not exceptions.
struct StorageCheck {
  /// The check that ran, as the backend names it ("PRAGMA quick_check"); empty when the backend
  /// has none (`note` then says why).
  std::string method;
  /// One line for the reader: what the check covers, or why there is none.
  std::string note;
  /// What the check reported as wrong, one line each, in the backend's words; empty: nothing.
  std::vector<std::string> problems;
  /// Stored items (checkpoint rows, values, pending writes) that carry a checksum, which every
  /// read verifies (sg.saver.412), and those that carry none (written before the backend stored
  /// checksums, or with them switched off). Both nullopt: not counted (`checksum_note` says why).
  std::optional<std::uint64_t> with_checksum;
  std::optional<std::uint64_t> without_checksum;
  /// Why the checksums are not counted: the backend stores none, or the count failed.
  std::string checksum_note;
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

  /// Whether the lock is still held. False once it was lost: a Postgres lock's session ended
  /// (server restart, pg_terminate_backend, broken connection), so another run may hold the
  /// thread now; the engine checks it right before each write of a run and fails with
  /// [sg.saver.411]. Once false, stays false. The in-process lock cannot be lost while the object
  /// lives: true (the default). SQLite: false once its lock file was deleted or replaced.
  /// Cost: memory none; SQLite two stat calls; Postgres one round trip on the lock's own connection.
  /// Thread-safety: may be called from any thread, concurrently; never throws.
  [[nodiscard]] virtual bool is_held() const noexcept { return true; }
};

/// A put() after its checks (see CheckpointSaver::put), as CheckpointSaver::do_put receives it.
/// Refers to put's arguments; valid during the call.
struct SaverPut {
  /// One channel whose value is stored by this put: exactly one of `value` and `delta` is set.
  struct Changed {
    const std::string* channel;
    const ChannelVersion* version;
    const nlohmann::json* value;  ///< the whole value (from checkpoint.channel_values)
    const ChannelDelta* delta;    ///< or its delta (from checkpoint.channel_deltas; check_delta passed)
  };
  const CheckpointConfig& config;        ///< thread_id not empty
  const Checkpoint& checkpoint;          ///< id not empty
  const CheckpointMetadata& metadata;
  const ChannelVersions& new_versions;   ///< as given to put
  const std::string* parent;             ///< config.checkpoint_id when set and not empty, else nullptr
  /// The channels of new_versions that have a value in checkpoint.channel_versions, in channel
  /// order (a channel of new_versions without one now has no value and stores nothing).
  std::vector<Changed> changed;
  /// checkpoint.parent_writes_applied with a parent: delete the parent's value writes (stored
  /// index >= 0) in the same transaction, keep its special writes.
  bool delete_parent_value_writes;
  /// The caller gave the put up (put_batch with a CheckpointPut&&): the objects above are not
  /// const, and the hook may move the changed values (`*value`, `*delta`), checkpoint.ts,
  /// checkpoint.delta_chains and `metadata` out of them instead of copying (const_cast), each
  /// after its last read. A saver that keeps them as they are (InMemorySaver) then allocates
  /// nothing for them. False: they must be copied.
  bool movable = false;
};

/// A put_writes() after its checks, as CheckpointSaver::do_put_writes receives it.
struct SaverWrites {
  /// One stored write: its index per format::write_index and the write.
  struct Row {
    int idx;
    const PendingWrite* write;
  };
  const CheckpointConfig& config;       ///< thread_id not empty
  const std::string& checkpoint_id;     ///< not empty
  std::string_view task_id;
  std::span<const PendingWrite> writes;  ///< as given (not empty)
  /// One row per (task_id, idx) to store, in the order given; a special channel given twice in
  /// one call: its last write. A row with idx < 0 replaces a stored row of the same (task_id,
  /// idx); any other row is stored only when none is (idempotent per index).
  std::vector<Row> rows;
};

/// The writes of one task, as put_writes takes them, for CheckpointSaver::put_batch.
struct TaskWrites {
  CheckpointConfig config;  ///< the checkpoint they belong to (thread_id and checkpoint_id not empty)
  std::string task_id;
  std::vector<PendingWrite> writes;
};

/// The arguments of one CheckpointSaver::put, for CheckpointSaver::put_batch.
struct CheckpointPut {
  CheckpointConfig config;  ///< the parent (checkpoint_id empty for a thread's first checkpoint)
  Checkpoint checkpoint;
  CheckpointMetadata metadata;
  ChannelVersions new_versions;
};

/// The arguments of one CheckpointSaver::put_batch, for CheckpointSaver::put_batches.
struct PutBatch {
  std::vector<TaskWrites> writes;
  std::optional<CheckpointPut> put;  ///< none: writes only
};

/// A PutBatch after its checks, as CheckpointSaver::do_put_batches receives it. Refers to
/// put_batches' arguments; valid during the call.
struct SaverBatch {
  std::span<const SaverWrites> writes;  ///< each with rows (maybe none at all)
  const SaverPut* put;                  ///< nullptr: none
};

/// What the engine needs of a saver. Non-virtual interface: see the file comment.
class CheckpointSaver {
 public:
  CheckpointSaver();
  virtual ~CheckpointSaver() = default;
  CheckpointSaver(const CheckpointSaver&) = delete;
  CheckpointSaver& operator=(const CheckpointSaver&) = delete;

  /// The checkpoint named by `config` (thread_id, checkpoint_ns, checkpoint_id), or the latest of
  /// that thread and namespace when checkpoint_id is empty. Empty optional when there is none
  /// (always for an empty thread_id). The tuple's channel_values are complete and its pending
  /// writes are ordered by (task_id, idx).
  /// @throws SaverError (sg.saver.4xx) when the store fails or a row is damaged.
  std::optional<CheckpointTuple> get_tuple(const CheckpointConfig& config);

  /// Checkpoints of `config.thread_id` (all threads when thread_id is empty) in
  /// `config.checkpoint_ns`, newest first (checkpoint_id descending). When config.checkpoint_id
  /// is set, only that checkpoint. Pending writes are included.
  /// @throws SaverError (sg.saver.403 when the filter is neither null nor an object).
  std::vector<CheckpointTuple> list(const CheckpointConfig& config, const ListOptions& options = {});

  /// Stores `checkpoint` with `metadata` as a child of config.checkpoint_id (the parent; empty for
  /// the first checkpoint of a thread). `new_versions` names the channels whose value changed
  /// since the parent: their values are read from checkpoint.channel_values or, for channels
  /// listed there, checkpoint.channel_deltas (stored as the delta and resolved on read), and each
  /// is stored once per (thread, ns, channel, version). Other channels of channel_versions must
  /// have been stored by an earlier put of the same thread and namespace.
  /// When checkpoint.parent_writes_applied, the parent's value writes (config.checkpoint_id, same
  /// thread and namespace) are deleted with it; its special writes stay.
  /// Returns the config of the stored checkpoint (checkpoint_id = checkpoint.id).
  /// Atomic: the checkpoint and its values are stored (and the parent's writes deleted) together
  /// or not at all.
  /// @throws SaverError [sg.saver.403], nothing stored, when thread_id or checkpoint.id is empty,
  ///         new_versions gives a version other than channel_versions', a changed channel has
  ///         neither a value nor a delta, a delta fails check_delta, or a delta's base version
  ///         is not stored for the thread and namespace (unless this version is: a put repeated).
  CheckpointConfig put(const CheckpointConfig& config, const Checkpoint& checkpoint,
                       const CheckpointMetadata& metadata, const ChannelVersions& new_versions);

  /// Stores the writes of task `task_id` against checkpoint `config.checkpoint_id`. Idempotent per
  /// (task_id, index in `writes`): a second call for the same task keeps the first values, except
  /// for the special channels "__error__", "__interrupt__" and "__resume__", which are replaced
  /// (format::write_index). Nothing happens for no writes.
  /// @throws SaverError [sg.saver.403] when thread_id or checkpoint_id is empty.
  void put_writes(const CheckpointConfig& config, std::span<const PendingWrite> writes, std::string_view task_id);

  /// put_writes(w.config, w.writes, w.task_id) for each of `writes`, and put(put->config, ...)
  /// when `put` is not null, stored together: in ONE transaction by SqliteSaver and PostgresSaver
  /// (so a superstep's task writes and its checkpoint cost one commit); by the default hook
  /// (InMemorySaver) as those calls in order — the writes, then the put — where a failure leaves
  /// what was stored before it. Writes that the put would delete at once (value writes, index >= 0,
  /// of its parent when checkpoint.parent_writes_applied) are dropped before storing: the result
  /// is the same as the separate calls'. Writes may belong to the put's own checkpoint (stored
  /// with it). Calls with no rows left are skipped.
  /// Returns the stored checkpoint's config (nullopt without `put`).
  /// @throws SaverError [sg.saver.403], nothing stored, when any of the calls' own checks fails;
  ///         else as put and put_writes.
  std::optional<CheckpointConfig> put_batch(std::span<const TaskWrites> writes, const CheckpointPut* put);
  /// put_batch() with a put the caller gives up: the saver may move its values, ts,
  /// delta_chains and metadata instead of copying them (SaverPut::movable; InMemorySaver does).
  /// `put` is left valid but unspecified. Same results and errors as put_batch(writes, &put).
  std::optional<CheckpointConfig> put_batch(std::span<const TaskWrites> writes, CheckpointPut&& put);

  /// put_batch(b.writes, b.put) for each of `batches`, in order, stored together: in ONE
  /// transaction by SqliteSaver and PostgresSaver (all of them or none), by the default hook
  /// (InMemorySaver) as the put_batch calls in order, where a failure leaves what was stored
  /// before it. The engine stores the checkpoints that queue up under `async` durability this way
  /// (CheckpointWriter), so a run whose steps are quicker than a commit costs one transaction,
  /// not one a step. Every batch is checked before anything is stored. A batch's put may be the
  /// parent of the next one's (a run's consecutive checkpoints).
  /// @throws SaverError [sg.saver.403], nothing stored, when any batch's checks fail; else as
  ///         put_batch (SqliteSaver, PostgresSaver: nothing stored).
  void put_batches(std::span<const PutBatch> batches);

  /// Deletes every checkpoint, value and write of the thread, in all namespaces. A thread that
  /// does not exist (or an empty id) is a no-op.
  /// @throws SaverError.
  void delete_thread(std::string_view thread_id);

  /// The id of the latest checkpoint of (thread_id, checkpoint_ns), or nullopt when there is
  /// none; much cheaper than get_tuple (the engine calls it to reuse a state it already holds).
  /// @throws SaverError.
  std::optional<std::string> latest_checkpoint_id(const CheckpointConfig& config);

  /// Waits up to `wait` for the exclusive right to run `thread_id` (across threads and, for the
  /// SQLite and Postgres savers, across processes) and returns it; the engine holds it for the
  /// whole run, so two runs on one thread never fork its history. A lock can be lost (Postgres:
  /// its session ended): the engine asks ThreadLock::is_held right before each put and
  /// put_writes of the run (and of its subgraph runs) and fails with [sg.saver.411] once it is
  /// false. That check is not in the write's transaction (no fencing token): a lock lost after
  /// the check, while that one write runs (with the saver's retries of it), is seen at the next
  /// write, so at most that write can land beside a new holder's.
  /// @throws SaverError [sg.saver.404] "thread busy" when `wait` passes first.
  std::unique_ptr<ThreadLock> lock_thread(std::string_view thread_id, std::chrono::milliseconds wait);

  /// True when every call completes in process memory without I/O. The engine then makes even
  /// `async` durability calls inline: handing such a call to another thread costs more than the
  /// call.
  [[nodiscard]] bool in_process() const noexcept { return do_in_process(); }

 protected:
  /// For a saver that wraps another and forwards to it (a decorator such as the chatbot's
  /// ReentrantLockSaver): hands a batch this saver's public call has checked to `inner`'s own
  /// hook as it is, so that it stays one transaction of `inner` (its public put and put_writes
  /// would take it apart). Same errors as `inner`'s put_batch / put_batches.
  static void forward_put_batch(CheckpointSaver& inner, std::span<const SaverWrites> writes, const SaverPut* put) {
    inner.store_checked(writes, put);
  }
  /// As forward_put_batch, for do_put_batches (at least two batches).
  static void forward_put_batches(CheckpointSaver& inner, std::span<const SaverBatch> batches) {
    inner.do_put_batches(batches);
  }

 private:
  /// Both put_batch overloads; `movable` as SaverPut::movable.
  std::optional<CheckpointConfig> store_batch(std::span<const TaskWrites> writes, const CheckpointPut* put, bool movable);
  /// The hook for one checked batch: do_put, do_put_writes or do_put_batch.
  void store_checked(std::span<const SaverWrites> writes, const SaverPut* put);

  // ---- storage hooks: called with checked, normalised arguments (see the public calls) ----
  /// config.thread_id not empty; checkpoint_id nullopt or not empty.
  virtual std::optional<CheckpointTuple> do_get_tuple(const CheckpointConfig& config) = 0;
  /// options.filter an object (maybe empty); options.limit nullopt or > 0; checkpoint_id as above.
  virtual std::vector<CheckpointTuple> do_list(const CheckpointConfig& config, const ListOptions& options) = 0;
  /// Stores the put atomically; checks that each delta's base is stored (403, nothing stored).
  virtual void do_put(const SaverPut& put) = 0;
  virtual void do_put_writes(const SaverWrites& writes) = 0;
  /// Optional: stores `writes` (each with rows) and `put` (nullptr: none) together, ideally in one
  /// transaction. The default calls do_put_writes for the writes of other checkpoints, then
  /// do_put, then do_put_writes for the writes of the put's checkpoint.
  virtual void do_put_batch(std::span<const SaverWrites> writes, const SaverPut* put);
  /// Optional: stores the batches in order (each as do_put_batch would), ideally in one
  /// transaction. At least two batches. The default calls the hooks put_batch calls, batch by batch.
  virtual void do_put_batches(std::span<const SaverBatch> batches);
  /// thread_id not empty.
  virtual void do_delete_thread(std::string_view thread_id) = 0;
  /// Optional: the default reads the latest tuple. thread_id not empty, checkpoint_id ignored.
  virtual std::optional<std::string> do_latest_checkpoint_id(const CheckpointConfig& config);
  /// Optional: the default locks within this process only.
  virtual std::unique_ptr<ThreadLock> do_lock_thread(std::string_view thread_id, std::chrono::milliseconds wait);
  /// Optional: default false.
  [[nodiscard]] virtual bool do_in_process() const noexcept { return false; }

  struct LocalLocks;
  std::shared_ptr<LocalLocks> local_locks_;
};

/// What inspection and maintenance need of a saver (sg-checkpoints). Non-virtual interface: see
/// the file comment.
class CheckpointAdmin {
 public:
  CheckpointAdmin() = default;
  virtual ~CheckpointAdmin() = default;
  CheckpointAdmin(const CheckpointAdmin&) = delete;
  CheckpointAdmin& operator=(const CheckpointAdmin&) = delete;

  /// Summaries of the threads that have checkpoints, most recently updated first (last
  /// checkpoint id descending). The SQLite and Postgres savers answer with a few aggregate
  /// queries and never read a stored value (10,000 threads: well under 0.5 s on SQLite).
  /// @throws SaverError (sg.saver.403 when the filter is neither null nor an object).
  std::vector<ThreadInfo> list_threads(const ThreadListOptions& options = {});

  /// Bytes each checkpoint of (thread_id, checkpoint_ns) added to the store: its own row, its
  /// pending writes, and each stored value (or delta) whose version it is the oldest checkpoint
  /// to refer to. Keyed by checkpoint id; the values sum to about the thread's
  /// ThreadInfo::bytes for that namespace. No value is decoded by the durable savers.
  /// @throws SaverError.
  std::map<std::string, std::uint64_t> checkpoint_bytes(const CheckpointConfig& config);

  /// Rows and bytes per table, and the size on disk.
  /// @throws SaverError.
  StorageStats storage_stats();

  /// The backend's own check of its storage, below the checkpoints (which sg-checkpoints verify
  /// loads one by one): SqliteSaver runs `PRAGMA quick_check` (reads every page of the file:
  /// O(file size)) and counts the items that carry checksums; PostgresSaver has no such check
  /// and says so (with whether the cluster keeps page checksums); InMemorySaver has no storage.
  /// @throws SaverError when the store cannot be read at all.
  StorageCheck check_storage();

  /// Deletes old checkpoints of a thread (all namespaces) per `options`, with their writes and
  /// the values no remaining checkpoint refers to (directly or as a delta base). The newest
  /// checkpoint of each namespace is never deleted (saver_algorithms: pruned_positions). Returns
  /// the number of checkpoints deleted.
  /// @throws SaverError.
  std::size_t prune(std::string_view thread_id, const PruneOptions& options);

  /// Copies every checkpoint, value and write of thread `from` to thread `to` (which must not
  /// exist yet; otherwise sg.saver.403). Checkpoint ids are kept.
  /// @throws SaverError (sg.saver.403 when an id is empty).
  void copy_thread(std::string_view from, std::string_view to);

 private:
  // ---- storage hooks ----
  /// options.filter an object (maybe empty); limit nullopt or > 0; thread_id nullopt or not empty.
  virtual std::vector<ThreadInfo> do_list_threads(const ThreadListOptions& options) = 0;
  /// config.thread_id not empty.
  virtual std::map<std::string, std::uint64_t> do_checkpoint_bytes(const CheckpointConfig& config) = 0;
  virtual StorageStats do_storage_stats() = 0;
  virtual StorageCheck do_check_storage() = 0;
  /// thread_id not empty; rule has keep_last (>= 1) or before.
  virtual std::size_t do_prune(std::string_view thread_id, const PruneOptions& rule) = 0;
  /// Both ids not empty; refuses (403, nothing copied) when `to` has any row.
  virtual void do_copy_thread(std::string_view from, std::string_view to) = 0;
};

/// A saver: both interfaces. Derive from it and implement the storage hooks. The inspection
/// hooks have defaults built on list() (correct, not fast: the durable savers override them).
class BaseCheckpointSaver : public CheckpointSaver, public CheckpointAdmin {
 public:
  BaseCheckpointSaver() = default;

 private:
  /// Default: lists every checkpoint of the root namespace (no values) and sums checkpoint_bytes.
  std::vector<ThreadInfo> do_list_threads(const ThreadListOptions& options) override;
  /// Default: JSON text lengths of what list() returns.
  std::map<std::string, std::uint64_t> do_checkpoint_bytes(const CheckpointConfig& config) override;
  /// Default: one table per kind of item, from list_threads and list.
  StorageStats do_storage_stats() override;
  /// Default: no check (method empty; the note says the saver has no storage of its own to check).
  StorageCheck do_check_storage() override;
};

}  // namespace sg
