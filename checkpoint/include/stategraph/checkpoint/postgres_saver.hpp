#pragma once
/// @file
/// PostgresSaver: a checkpoint saver that keeps every thread's checkpoints in PostgreSQL.
///
/// Follows LangGraph's PostgresSaver (langchain-ai/langgraph:
/// libs/checkpoint-postgres/langgraph/checkpoint/postgres/{base.py,__init__.py}) with these
/// recorded differences:
///  - Values are stored once per (thread, ns, channel, version) like LangGraph's
///    checkpoint_blobs, but a value given as a ChannelDelta is stored as the delta (what a step
///    appended) and resolved on read, so a growing conversation costs what each step added.
///  - Values and pending writes are stored as `json` (exact text, so any JSON value, "\u0000"
///    included, round-trips byte for byte); metadata as `jsonb` (list filters run in SQL).
///    Postgres `jsonb` cannot hold the character U+0000: like LangGraph, NUL characters are
///    removed from metadata strings and keys.
///  - Every call is one SQL statement (one round trip over prepared statements) and therefore one
///    transaction, except prune, copy_thread and setup, which run in one explicit transaction.
///    JIT is off for the saver's sessions (short statements; compiling would cost more).
///  - Beyond LangGraph: prune, copy_thread, latest_checkpoint_id and a cross-process
///    lock_thread (a session advisory lock).
///
/// Tables (in PostgresSaverOptions::schema): sg_migrations(v), sg_checkpoints,
/// sg_blobs (values and deltas), sg_writes (pending writes); see postgres_schema.cpp.
///
/// No libpq or libpqxx header is included here: users of this header link
/// stategraph::postgres and nothing else.
///
/// Thread-safety: every member function may be called concurrently from any number of threads.
/// Each database connection is used by one thread at a time (a pool of
/// PostgresSaverOptions::pool_size connections with checkout and return).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "stategraph/checkpoint/saver.hpp"

namespace sg {

/// How PostgresSaver connects, waits and retries. Plain values; copy freely.
struct PostgresSaverOptions {
  /// Schema holding the saver's tables; created by setup() when missing. Several savers (or
  /// test cases) share a database by using distinct schemas. Any name; it is quoted in SQL.
  std::string schema = "public";
  /// Most connections open at once for ordinary calls (lock_thread uses its own connections).
  /// A call waits for a free connection when all are busy. Must be ≥ 1.
  std::size_t pool_size = 4;
  /// Longest wait for the server to accept a connection (libpq connect_timeout, whole seconds;
  /// libpq treats 1 as 2). Zero waits indefinitely.
  std::chrono::seconds connect_timeout{5};
  /// Longest run of one SQL statement (Postgres statement_timeout) before it is cancelled and
  /// the call throws SaverUnavailable with SQLSTATE 57014. Zero means no limit.
  std::chrono::milliseconds statement_timeout{30'000};
  /// How many times a call is tried again after a transient failure: a broken connection (the
  /// server restarted, the backend was terminated, SQLSTATE class 08, 57P01-57P03), a
  /// serialization failure (40001) or a deadlock (40P01). A broken connection is replaced by a
  /// new one first. Every call is idempotent, so retrying is safe. Zero disables retries.
  int retries = 1;
  /// Run setup() (create or migrate the schema) in the constructor. When false the constructor
  /// only checks that the schema is at the supported version.
  bool migrate = true;
  /// application_name of the saver's connections (shown in pg_stat_activity).
  std::string application_name = "stategraph";
  /// Read-only sessions (`default_transaction_read_only`): the constructor only checks the
  /// schema (as with migrate = false; 408 when it is missing or older), and every writing call
  /// (put, put_writes, delete_thread, prune, copy_thread, setup, lock_thread) throws SaverError
  /// [sg.saver.409] without contacting the server. For inspection tools.
  bool read_only = false;
  /// Receives one line for every retry ("postgres saver: connection broken (...); reconnected,
  /// retrying put (1 of 1)"). Empty: the line goes to std::cerr. Called on the failing thread,
  /// possibly from several threads at once.
  std::function<void(std::string_view)> log;
};

/// Counters of what a PostgresSaver did; for tests, logs and monitoring.
struct PostgresSaverStats {
  std::uint64_t connections_opened = 0;  ///< including reconnects and lock connections
  std::uint64_t reconnects = 0;          ///< broken connections replaced during a call
  std::uint64_t retries = 0;             ///< calls tried again after a transient failure
};

/// A checkpoint saver on PostgreSQL 11 or newer (tested on 15) through libpqxx 6.4.
///
/// Errors (all derive from sg::SaverError; backend_code() holds the SQLSTATE when the server
/// sent one):
///  - [sg.saver.401] SaverUnavailable: the server cannot be reached, refused the login, the
///    connection broke and the retries (PostgresSaverOptions::retries) failed too, or a statement
///    timed out. Retryable.
///  - [sg.saver.402] SaverCorrupt: a stored row does not parse or refers to a value that is not
///    stored. Nothing is modified.
///  - [sg.saver.403] invalid arguments (see BaseCheckpointSaver), or copy_thread onto a thread
///    that exists.
///  - [sg.saver.404] lock_thread: the thread stayed busy for the whole wait.
///  - [sg.saver.411] (thrown by the engine) a run's thread lock was lost with its session
///    (ThreadLock::is_held false before one of the run's writes); the run stops writing.
///  - [sg.saver.405] the schema was written by a newer stategraph (its sg_migrations version is
///    higher than kSchemaVersion); upgrade stategraph, or use another schema.
///  - [sg.saver.406] the schema holds tables named like ours (sg_migrations, sg_checkpoints,
///    sg_blobs, sg_writes) that do not have our shape: not a stategraph schema.
///  - [sg.saver.407] the server rejected a statement for another reason (permissions, disk
///    full, a table dropped behind our back); the message has the server's text.
///  - [sg.saver.408] migrate is false and the schema is missing or older than kSchemaVersion;
///    call setup() (or construct with migrate = true) first.
///  - [sg.saver.409] a writing call on a saver opened with read_only.
class PostgresSaver final : public BaseCheckpointSaver {
 public:
  /// Version of the table layout this release reads and writes (rows of sg_migrations).
  static constexpr int kSchemaVersion = 2;

  /// Connects to `uri` (a libpq URI "postgresql://user@host:port/db?..." or a key=value
  /// connection string), then runs setup() when options.migrate is set, else checks the
  /// schema's version. The options' connect_timeout, statement_timeout and application_name
  /// override those of the URI. Error messages show the URI with its password replaced by ***.
  /// @throws SaverUnavailable (401) when the server cannot be reached within connect_timeout;
  ///         SaverError 403 when pool_size is 0; 405, 406, 407 or 408 (see the class comment).
  explicit PostgresSaver(std::string uri, PostgresSaverOptions options = {});
  /// Closes every pooled connection. ThreadLocks still held stay valid until destroyed.
  ~PostgresSaver() override;

  /// Creates the schema and the tables, or migrates them to kSchemaVersion, in one transaction
  /// serialised by an advisory lock, so several processes may start at once. Idempotent.
  /// @throws 401, 405, 406 or 407 (see the class comment).
  void setup();

  /// The schema the tables live in (PostgresSaverOptions::schema).
  [[nodiscard]] const std::string& schema() const noexcept;
  /// A snapshot of the counters. Thread-safe.
  [[nodiscard]] PostgresSaverStats stats() const noexcept;

 private:
  // Storage hooks; saver.hpp states each public call's contract (checks, errors). Each is one SQL
  // statement, so one round trip and one transaction (after the first use of the statement on a
  // connection, which prepares it), except prune and copy_thread: one transaction of two
  // statements each. All throw 401 when the server cannot be reached (after the retries), 407
  // when it rejects a statement, the reads 402 when a stored row is damaged, and the writing
  // calls 409 on a read-only saver.

  /// The checkpoint, every value it refers to (deltas resolved) and its pending writes, in one
  /// statement.
  std::optional<CheckpointTuple> do_get_tuple(const CheckpointConfig& config) override;
  /// One statement for the whole page; values shared by several checkpoints are read once.
  /// `options.filter` compares top-level metadata keys with jsonb equality (1 equals 1.0).
  std::vector<CheckpointTuple> do_list(const CheckpointConfig& config, const ListOptions& options) override;
  /// Stores the checkpoint row and the changed values (a ChannelDelta as the delta) in one
  /// statement: all or nothing; the same statement refuses a delta whose base is not stored
  /// (403, nothing stored). A value already stored for its (thread, ns, channel, version) is
  /// kept; a checkpoint stored again under its id is replaced.
  void do_put(const SaverPut& put) override;
  /// One statement: insert-if-absent per (task_id, index); the special channels upsert.
  void do_put_writes(const SaverWrites& writes) override;
  /// One transaction (one round trip per statement): every put_writes statement, then the put's;
  /// a put refused for a missing delta base rolls the writes back too.
  void do_put_batch(std::span<const SaverWrites> writes, const SaverPut* put) override;
  void do_put_batches(std::span<const SaverBatch> batches) override;
  /// One statement over the three tables.
  void do_delete_thread(std::string_view thread_id) override;
  /// One indexed query (the primary key, newest first).
  std::optional<std::string> do_latest_checkpoint_id(const CheckpointConfig& config) override;
  /// Holds a session advisory lock on (schema, thread_id) on a connection of its own, so it
  /// excludes other threads and other processes using the same database and schema. Polls
  /// pg_try_advisory_lock until `wait` has passed (a zero wait tries once). The lock goes when
  /// the returned object is destroyed or its process dies. If its connection breaks while held,
  /// the lock is lost (the server releases it): the lock's is_held() then returns false (it
  /// sends `SELECT 1` on that connection: a live session still holds its session lock, since only
  /// the destructor unlocks it), and the engine fails the run's next write with [sg.saver.411]
  /// rather than write next to whoever took the thread since. The lock key is a 64-bit hash of (schema,
  /// thread_id): two threads whose hashes collide share one lock, so one may wait for the other.
  /// @throws SaverError [sg.saver.404] when the thread stays busy; SaverUnavailable (401).
  std::unique_ptr<ThreadLock> do_lock_thread(std::string_view thread_id, std::chrono::milliseconds wait) override;
  /// One transaction: deletes the checkpoints and their writes, then the values no remaining
  /// checkpoint refers to, directly or as the base of a delta it needs (the walk of
  /// saver_algorithms' unreferenced_values, in SQL).
  std::size_t do_prune(std::string_view thread_id, const PruneOptions& rule) override;
  /// One transaction; 403 when `to` has any row already (also when another caller copies onto
  /// it at the same time).
  void do_copy_thread(std::string_view from, std::string_view to) override;
  /// One statement: an aggregate per thread over sg_checkpoints, then for the page of threads
  /// kept, their newest checkpoint and the sizes of their values and writes. Bytes are
  /// pg_column_size of the stored JSON columns (after TOAST compression), keys not included.
  std::vector<ThreadInfo> do_list_threads(const ThreadListOptions& options) override;
  /// Three queries in one read-only transaction; no value is read.
  std::map<std::string, std::uint64_t> do_checkpoint_bytes(const CheckpointConfig& config) override;
  /// Rows and bytes per table, with pg_total_relation_size (indexes and TOAST included).
  StorageStats do_storage_stats() override;
  /// No check: Postgres has no quick_check of a schema's tables; the note says so and whether
  /// the cluster keeps page checksums (`SHOW data_checksums`). One query.
  StorageCheck do_check_storage() override;

  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sg
