#pragma once
// Internal to stategraph::postgres: the rows a list statement returns (postgres_statements.cpp)
// turned into checkpoint tuples — checkpoint rows parsed, values resolved through their delta
// chains (saver_algorithms' resolve_value), pending writes attached. No libpqxx here, so the
// decoder is fuzzed on its own (tests/fuzz).
// Thread-safety: a ListDecoder belongs to one call.

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "stategraph/checkpoint/checkpoint.hpp"

namespace sg::pg {

/// One row of a list statement: `kind` and its other columns as text (nullopt: SQL NULL).
///   kind 0, a checkpoint: thread_id, checkpoint_id, parent_checkpoint_id, ts, v,
///           channel_versions, versions_seen, metadata, delta_chains
///   kind 1, a stored value: thread_id, channel, version, base, keep, value
///   kind 2, a pending write: thread_id, checkpoint_id, task_id, channel, idx, value
struct ListRow {
  int kind = 0;
  std::array<std::optional<std::string_view>, 9> col;
};

/// Decodes the rows of one list statement (one namespace) into tuples, newest first
/// (checkpoint_id descending, then thread_id). With `values` false, channel_values stay empty.
/// @throws SaverCorrupt [sg.saver.402] naming the checkpoint (and schema) when a row does not
///         parse, has the wrong shape, or refers to a value that is not among the rows.
std::vector<CheckpointTuple> decode_list(const std::vector<ListRow>& rows, const std::string& schema,
                                         const std::string& ns, bool values);

}  // namespace sg::pg
