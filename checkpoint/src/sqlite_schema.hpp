#pragma once
// Internal to stategraph::sqlite: the versioned schema of SqliteSaver and its migrations.

#include <cstdint>

#include "sqlite_connection.hpp"

namespace sg::sqlite_detail {

/// The newest schema version this build knows (the highest migration).
inline constexpr int kSchemaVersion = 3;
/// The oldest version a read-only connection reads as it is. Version 1 lacks the checksum
/// columns (version 2), which readers then select as NULL (Connection::checksums).
inline constexpr int kOldestReadableSchema = 1;
/// The first version whose tables have the checksum columns.
inline constexpr int kChecksumsSince = 2;
/// `PRAGMA application_id` of a stategraph database: "SGSP".
inline constexpr std::int32_t kApplicationId = 0x53475350;

/// Checks that the database behind `connection` is a stategraph database (or an empty file),
/// switches it to WAL and applies the migrations it lacks, in one write transaction that
/// re-checks the version (another process may be migrating at the same time). A file that is
/// not ours, or whose schema is newer than kSchemaVersion, is never written. On a read-only
/// connection it only checks, and throws SaverError [sg.saver.408] when the schema is older
/// than kOldestReadableSchema. Returns the schema version the file now has.
/// @throws SaverError [sg.saver.406] not an SQLite database or another application's;
///         SaverError [sg.saver.405] schema newer than this build; SaverCorrupt [sg.saver.402]
///         marked as ours but without a migrations table; SaverUnavailable [sg.saver.401] I/O.
int prepare_schema(Connection& connection);

}  // namespace sg::sqlite_detail
