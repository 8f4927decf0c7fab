#pragma once
/// @file
/// sg::open_store — the saver behind a store address (stategraph/checkpoint/store_uri.hpp), for
/// every binary that lets its user choose a store. Target stategraph::store (links
/// stategraph::sqlite and stategraph::postgres).

#include <memory>
#include <string_view>

#include "stategraph/checkpoint/postgres_saver.hpp"
#include "stategraph/checkpoint/run_store.hpp"
#include "stategraph/checkpoint/saver.hpp"
#include "stategraph/checkpoint/sqlite_saver.hpp"
#include "stategraph/checkpoint/store_uri.hpp"

namespace sg {

/// How open_store opens a store. The backend options are used as given, except `read_only`,
/// which overrides theirs.
struct StoreOptions {
  /// Open read-only: SQLITE_OPEN_READONLY / read-only Postgres sessions; a writing call throws
  /// SaverError [sg.saver.409]. A memory store ignores it (it starts empty).
  bool read_only = false;
  SqliteSaverOptions sqlite;      ///< for sqlite:PATH
  PostgresSaverOptions postgres;  ///< for postgres://...
};

/// Opens the saver `uri` names: an InMemorySaver, a SqliteSaver (the file is created when
/// missing unless read_only) or a PostgresSaver.
/// @throws SaverError from the savers' constructors: 401 unreachable (or an SQLite file that
///         cannot be opened), 405 schema from a newer release, 406 not a stategraph store, 408
///         schema missing with migrations off.
/// Thread-safety: reentrant; the saver returned is as thread-safe as its class says.
[[nodiscard]] std::unique_ptr<BaseCheckpointSaver> open_store(const StoreUri& uri, StoreOptions options = {});

/// parse_store_uri(uri), then open_store with default options and `read_only`.
/// @throws SaverError [sg.saver.410] for a malformed address; as above otherwise.
[[nodiscard]] std::unique_ptr<BaseCheckpointSaver> open_store(std::string_view uri, bool read_only = false);

/// The run store (run_store.hpp) in the database `uri` names, beside open_store's saver: the same
/// SQLite file, or the same Postgres database and schema (options.postgres.schema); for
/// `memory`, a private in-memory database. Creates its tables when missing.
/// @throws SaverError [sg.saver.401] when the database cannot be opened or reached.
/// Thread-safety: reentrant.
[[nodiscard]] std::unique_ptr<RunStore> open_run_store(const StoreUri& uri, const StoreOptions& options = {});

}  // namespace sg
