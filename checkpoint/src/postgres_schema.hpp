#pragma once
// The Postgres saver's tables: the ordered migrations that create them, and the check that a
// schema holds our tables at a version this release supports.

#include <string>

#include <pqxx/pqxx>

namespace sg::pg {

/// Brings `schema` to PostgresSaver::kSchemaVersion (migrate = true) or checks that it is there
/// (migrate = false), in one transaction on `conn`. Migrations run under a transaction-scoped
/// advisory lock on the schema's name, so concurrent callers (threads or processes) apply each
/// migration once and the others wait, then find the schema current.
/// @throws SaverError 405 (newer schema), 406 (tables of ours with another shape),
///         408 (migrate is false and the schema is not current); pqxx exceptions otherwise.
void ensure_schema(pqxx::connection& conn, const std::string& schema, bool migrate);

}  // namespace sg::pg
