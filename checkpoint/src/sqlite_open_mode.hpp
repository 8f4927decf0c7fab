#pragma once
// Internal to stategraph::sqlite: how SqliteSaver opens its file — read-write, read-only
// ("mode=ro") or immutable — and how a read-only saver leaves a cleanly closed WAL database as
// one file again. SqliteSaverOptions::read_only and ::immutable state the rules for users.
//
// What SQLite does (3.40; tested in tests/checkpoint/sqlite_integrity.cpp and
// tests/cli/cli_store_test.cpp): reading a WAL database needs the "-shm" index and the "-wal"
// file; a read-only connection creates them when missing and, unable to checkpoint, never
// removes them. In a directory it cannot write it cannot create them, and the first read fails
// with SQLITE_READONLY_DIRECTORY (1544); only immutable=1 (no locks, no companions) reads it.
// Thread-safety: reentrant.

#include <string>

#include "sqlite_connection.hpp"

namespace sg::sqlite_detail {

/// How to open a file, and whether to tidy up after reading it.
struct OpenPlan {
  OpenMode mode = OpenMode::read_write;
  /// read_only: the -wal and -shm were both missing, so remove_wal_companions runs at the end.
  bool tidy_companions = false;
};

/// Chooses how to open `path`: read_write unless `read_only`; immutable when asked, or when the
/// file or its directory cannot be written (access(2)) and no "-wal" holding commits lies next
/// to it; else read_only.
/// @throws SaverError [sg.saver.413] when !read_only and the file (if it exists) or its directory
///         cannot be written; SaverError [sg.saver.403] when `immutable` and a non-empty "-wal"
///         lies next to the file (immutable would read the file without those commits).
OpenPlan plan_open(const std::string& path, bool read_only, bool immutable);

/// After opening read-write: SQLite opens a write-protected file read-only without a word.
/// @throws SaverError [sg.saver.413] when it did.
void require_writable_file(Connection& connection);

/// Lets SQLite remove the "-wal" and "-shm" files of `path` that read-only connections created:
/// opens it read-write (no create) with `PRAGMA query_only`, reads the schema and closes; SQLite
/// checkpoints the (empty) WAL and deletes both only when it is the last connection to the file.
/// Call after every read-only connection of the saver is closed. Never throws (best effort).
void remove_wal_companions(const std::string& path) noexcept;

}  // namespace sg::sqlite_detail
