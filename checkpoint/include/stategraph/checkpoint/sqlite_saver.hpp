#pragma once
/// @file
/// SqliteSaver: a durable checkpoint saver in one SQLite database file (target
/// stategraph::sqlite). The embedded default: nothing to run, survives crashes, shared safely by
/// threads and processes.
///
/// Follows LangGraph's SqliteSaver (langchain-ai/langgraph:
/// libs/checkpoint-sqlite/langgraph/checkpoint/sqlite/__init__.py) for the interface, but stores
/// like its Postgres saver and beyond it (semantics reference §5.3–§5.5):
///  - a channel value is stored once per (thread, ns, channel, version); unchanged channels are
///    never rewritten; a ChannelDelta is stored as the delta (what a step appended) and resolved
///    on read, so a conversation costs per turn what the turn added, not the whole history;
///  - a versioned schema with a migrations table (`sg_migrations`), so later releases can change
///    it without losing data; the file is marked with `PRAGMA application_id` 0x53475350 ("SGSP").
///
/// Storage (schema version 3; version 1 lacked the checksum columns, version 2 keyed sg_blobs by
/// channel before version):
///  - `sg_checkpoints(thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, checkpoint,
///    metadata)`: `checkpoint` is CBOR of {v, ts, channel_versions, versions_seen} and, from
///    checkpoint format 2, delta_chains (no values);
///    `metadata` is JSON text, so `list` filters run inside SQLite (json_extract) and the sqlite3
///    shell can read it.
///  - `sg_blobs(thread_id, checkpoint_ns, channel, version, base, keep, data)`, keyed (thread_id,
///    checkpoint_ns, version, channel) so that a step's blobs are stored side by side: `data` is
///    CBOR of the value, or, when `base` is not NULL, of the appended array of a delta.
///  - `sg_writes(thread_id, checkpoint_ns, checkpoint_id, task_id, idx, channel, value)`: CBOR.
///  Each row also has `checksum`: XXH3-64 (as a signed INTEGER) of its stored bytes (sg_blobs:
///  data; sg_writes: value; sg_checkpoints: checkpoint, then metadata), written by every put and
///  checked by every read, so a flipped byte inside a value fails the read with SaverCorrupt
///  [sg.saver.412] instead of returning another value. NULL in rows written before schema 2 or
///  with SqliteSaverOptions::checksums off (not checked).
///  Values are self-described CBOR (RFC 8949 tag 55799, 3 bytes, then nlohmann::json::to_cbor;
///  the mark tells damaged bytes from a value) rather than JSON text: measured on chat message
///  lists, CBOR is ~9% smaller, encodes 2.3x and decodes 1.5x faster (a 20-message list: 8 µs vs
///  19 µs to encode, 32 µs vs 48 µs to decode), and loading long conversations is decode-bound.
///
/// Durability: WAL journal, `synchronous=NORMAL` by default: a committed put survives a crash of
/// the process (SIGKILL included); after a power loss the database is intact but the last
/// commits may be missing. SqliteSynchronous::full also fsyncs every commit (power-loss durable,
/// ~ms per put on ordinary disks). Every put, put_writes, delete_thread, prune and copy_thread is
/// one transaction: committed entirely or not at all.
///
/// Concurrency: many threads and processes may use one file. Reading calls borrow a connection
/// from a small pool (a connection is used by one thread at a time); readers never block
/// writers (WAL). Writing calls of one process go through one connection per file, shared by
/// every SqliteSaver and sg::RunStore of the process on that file: the writes that arrive while
/// a transaction commits are committed together in the next one (group commit; each call is
/// still atomic, and one that fails is rolled back alone), and that connection's page cache
/// stays warm. Writers of other processes take turns with it through SQLite's lock, each
/// waiting up to `busy_timeout`. Measured: `sg-bench server` (README.md, "Agent server").
///
/// Thread-safety: every member function may be called concurrently from any number of threads.
/// The saver must outlive the calls in flight; ThreadLock objects may outlive it.

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "stategraph/checkpoint/saver.hpp"

namespace sg {

/// SQLite's `PRAGMA synchronous` for the saver's connections (see the file comment).
enum class SqliteSynchronous {
  normal,  ///< fsync at WAL checkpoints only: survives process crashes; the default
  full,    ///< fsync at every commit: also survives power loss; slower puts
};

/// Options of SqliteSaver.
struct SqliteSaverOptions {
  /// How long a write waits for the other writes of this process, and one statement for another
  /// process's write lock, before the call fails with SaverUnavailable [sg.saver.401] (SQLite
  /// busy timeout; the process's one writer connection per file keeps the longest asked for).
  std::chrono::milliseconds busy_timeout{5000};
  /// Durability of commits.
  SqliteSynchronous synchronous = SqliteSynchronous::normal;
  /// lock_thread polls a busy thread lock with a back-off that starts at 1 ms and doubles up to
  /// this interval.
  std::chrono::milliseconds lock_poll_interval{25};
  /// Directory of the lock file of lock_thread ("threads.lock"); empty means "<path>.locks" next
  /// to the database. Must be on a local file system (fcntl OFD locks).
  std::filesystem::path lock_directory;
  /// Idle connections kept open for reuse; a thread that finds none opens a new one.
  std::size_t max_idle_connections = 8;
  /// Store a checksum with every item written (see the file comment). On by default: no time
  /// cost shows in sg-bench chat, and 8 bytes a row (+2% payload on a chat; README.md,
  /// "verify, checksums and read-only stores"). Off: items are
  /// stored without one (NULL), as schema 1 stored them; reads still check the checksums that
  /// are stored. Ignored by read-only savers, which write nothing.
  bool checksums = true;
  /// Open the file read-only (the URI filename "file:PATH?mode=ro", `PRAGMA query_only`): the
  /// file must exist and hold a stategraph schema at kOldestReadableSchema or newer (up to
  /// kSchemaVersion); nothing is created, migrated or switched to WAL, no lock file is made, and
  /// every writing call (put, put_writes, delete_thread, prune, copy_thread, lock_thread) throws
  /// SaverError [sg.saver.409]. For inspection tools. The database file is never written.
  /// Reading a WAL database needs its "-wal" and "-shm" companions; SQLite creates them when
  /// missing. So that a cleanly closed database stays one file:
  ///  - when the file or its directory cannot be written (access(2): read-only media, a 0444
  ///    file, a 0555 directory) and no "-wal" holding commits lies next to it, the file is opened
  ///    as `immutable` below (SQLite could not create the "-shm" index, nor remove what it made);
  ///  - otherwise, when the companions were missing at open, the destructor lets SQLite remove
  ///    them again: it opens the file read-write once, reads the schema and closes, and SQLite,
  ///    as for any last connection, deletes them only if no other connection has the file open
  ///    (the file's bytes are not changed: the -wal it checkpoints is empty).
  bool read_only = false;
  /// Open with SQLite's `immutable=1` ("file:PATH?mode=ro&immutable=1"; implies read_only): no
  /// locks, no "-wal" or "-shm" is read or created. For read-only media and snapshots: SQLite
  /// assumes nobody changes the file while it is open, so a concurrent writer's changes are not
  /// seen and may make reads fail (sg.saver.402). A "-wal" next to the file that holds commits
  /// (the database was not closed cleanly, or a writer is running) makes the constructor throw
  /// SaverError [sg.saver.403]: immutable would silently read the file without them.
  bool immutable = false;
};

/// A checkpoint saver that stores everything in one SQLite file. See the file comment for the
/// storage layout and durability.
class SqliteSaver final : public BaseCheckpointSaver {
 public:
  /// The newest schema version this build reads and writes.
  static constexpr int kSchemaVersion = 3;
  /// The oldest schema version a read_only saver reads as it is (a writable saver migrates it).
  static constexpr int kOldestReadableSchema = 1;

  /// Opens (creating when missing) the database at `path`, checks that it is a stategraph
  /// database, switches it to WAL and applies pending schema migrations (in one transaction,
  /// safe against other processes doing the same). A file that is not ours is never modified.
  /// @param path a file path; ":memory:" and URIs are not supported (sg.saver.403).
  /// @throws SaverUnavailable [sg.saver.401] when the file cannot be opened or read (the message
  ///         names the path and gives SQLite's message; backend_code is the SQLite result code);
  ///         SaverError [sg.saver.405] when the schema is newer than kSchemaVersion (written by a
  ///         newer release); SaverError [sg.saver.406] when the file is not an SQLite database or
  ///         is another application's database; SaverCorrupt [sg.saver.402] when a stategraph
  ///         database lacks its migrations table; SaverError [sg.saver.403] for an invalid path;
  ///         with read_only, SaverError [sg.saver.408] when the file has no stategraph schema yet
  ///         or one older than kOldestReadableSchema (it cannot be migrated read-only);
  ///         without read_only, SaverError [sg.saver.413] when the file or its directory cannot be
  ///         written (checked with access(2) and SQLite's own view of the file); with immutable,
  ///         SaverError [sg.saver.403] when a "-wal" holding commits lies next to the file.
  explicit SqliteSaver(std::filesystem::path path, SqliteSaverOptions options = {});
  /// Closes the pooled connections (read_only: and removes the WAL companions it caused, see
  /// SqliteSaverOptions::read_only). No call may be in flight. Never throws.
  ~SqliteSaver() override;

  /// The database file this saver opened.
  [[nodiscard]] const std::filesystem::path& path() const noexcept;

 private:
  // Storage hooks; saver.hpp states each public call's contract (checks, errors). Every writing
  // call (put, put_writes, delete_thread, prune, copy_thread, lock_thread) on a read-only saver
  // throws SaverError [sg.saver.409]. I/O errors and a busy database past busy_timeout:
  // SaverUnavailable [sg.saver.401].

  /// Reads in one transaction (a consistent snapshot).
  /// @throws SaverCorrupt [sg.saver.402] naming thread, namespace, checkpoint (and channel and
  ///         version) when a row does not decode or a value it refers to is missing.
  std::optional<CheckpointTuple> do_get_tuple(const CheckpointConfig& config) override;
  /// Metadata filters run in SQL (json_extract) and are then checked with JSON equality.
  std::vector<CheckpointTuple> do_list(const CheckpointConfig& config, const ListOptions& options) override;
  /// One transaction: the checkpoint row and the rows of its changed values. A value for a
  /// (thread, ns, channel, version) that is already stored is kept.
  /// @throws SaverError [sg.saver.403] also when a metadata string is not valid UTF-8 (metadata
  ///         is stored as JSON text).
  void do_put(const SaverPut& put) override;
  /// One transaction.
  void do_put_writes(const SaverWrites& writes) override;
  /// One transaction for all of it (the engine stores a superstep's task writes with its
  /// checkpoint this way).
  void do_put_batch(std::span<const SaverWrites> writes, const SaverPut* put) override;
  void do_put_batches(std::span<const SaverBatch> batches) override;
  /// One transaction.
  void do_delete_thread(std::string_view thread_id) override;
  /// One indexed query (no values are read).
  std::optional<std::string> do_latest_checkpoint_id(const CheckpointConfig& config) override;
  /// Exclusive right to run `thread_id`, across threads and processes: a write lock on one byte
  /// (a 62-bit hash of the thread id) of the file "<lock_directory>/threads.lock", taken with
  /// fcntl F_OFD_SETLK. The file is created once (by the first lock_thread of the first saver)
  /// and opened once per saver; no file is created or deleted per run. OFD locks belong to the
  /// saver's open file description, so another saver or process on the database is excluded, and
  /// the kernel drops them when the holder's process dies, even by SIGKILL, so a crashed run
  /// never leaves a thread locked. Runs of one saver exclude each other in memory first. A second
  /// run on a busy thread WAITS, polling, up to `wait` (0: one attempt) and then throws. Not
  /// recursive: the same thread asking twice waits for itself. Two thread ids with the same hash
  /// share a lock (a spurious wait, never a fork). ThreadLock::is_held (two stat calls): false
  /// once "threads.lock" was deleted or replaced while held (a new saver would lock another file).
  /// Savers of earlier versions locked per-thread files (flock): they do not exclude this one's runs.
  /// @throws SaverError [sg.saver.404] "thread busy" when `wait` passes first; SaverUnavailable
  ///         [sg.saver.401] when the lock directory or file cannot be created or locked.
  std::unique_ptr<ThreadLock> do_lock_thread(std::string_view thread_id, std::chrono::milliseconds wait) override;
  /// One transaction; values still referenced by a remaining checkpoint, directly or as the base
  /// of a delta, are kept. Does not shrink the file (SQLite reuses the freed pages; run VACUUM
  /// to return them to the file system).
  /// @throws SaverCorrupt [sg.saver.402] when a remaining checkpoint row does not decode
  ///         (nothing is deleted then).
  std::size_t do_prune(std::string_view thread_id, const PruneOptions& rule) override;
  /// One transaction. @throws SaverError [sg.saver.403] when `to` already has rows.
  void do_copy_thread(std::string_view from, std::string_view to) override;
  /// Three aggregate queries in one read transaction (no value is read; only the newest
  /// checkpoint row of each listed thread is decoded). Bytes are the lengths of the encoded
  /// columns (metadata text and checkpoint CBOR; value CBOR; write CBOR), keys not included.
  /// A damaged row does not stop the listing: its thread is listed with last_ts (or last_step)
  /// empty, and damaged metadata matches no filter; reading the checkpoint reports the damage.
  std::vector<ThreadInfo> do_list_threads(const ThreadListOptions& options) override;
  /// Three queries over the thread's rows; decodes the checkpoint rows (not the values).
  std::map<std::string, std::uint64_t> do_checkpoint_bytes(const CheckpointConfig& config) override;
  /// Rows and encoded bytes of sg_checkpoints, sg_blobs, sg_writes; the file's size (with its
  /// -wal file) and its free pages.
  StorageStats do_storage_stats() override;
  /// `PRAGMA quick_check` (every page of the file is read: B-tree structure, record formats,
  /// NOT NULL; not the indexes' agreement with their tables, which integrity_check adds at
  /// several times the cost) and two counts per table of rows with and without a checksum.
  /// quick_check's complaints (up to 100, one line each) are the problems; a file too damaged to
  /// run it gives the error SQLite returned as the last problem. A schema-1 file counts all its
  /// items as without a checksum.
  StorageCheck do_check_storage() override;

  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sg
