#pragma once
// Internal to the checkpoint targets: the parts of the saver contract that do not depend on how
// a backend stores rows, written once and used by every saver (InMemorySaver, SqliteSaver,
// PostgresSaver): where a checkpoint is and what "damaged" means in a message, the metadata
// filter, the resolution of a channel value through its delta chain, the prune rule and its walk
// through delta bases, and the attribution of stored bytes to checkpoints.
//
// Thread-safety: pure functions; any thread.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "stategraph/checkpoint/checkpoint.hpp"
#include "stategraph/checkpoint/error.hpp"
#include "stategraph/checkpoint/saver.hpp"

namespace sg::saver_detail {

// ---- where, and damaged rows --------------------------------------------------------------------

/// A checkpoint named in an error message. `store` adds where the backend keeps it (Postgres:
/// `schema "s"`), empty for none.
struct Location {
  std::string_view thread;
  std::string_view ns;
  std::string_view checkpoint;
  std::string_view store = {};
};

/// The saver call that `batches` stand for in errors and logs: "put" when one of them has a
/// checkpoint, else "put_writes".
[[nodiscard]] inline const char* batches_call(std::span<const SaverBatch> batches) {
  for (const auto& b : batches)
    if (b.put != nullptr) return "put";
  return "put_writes";
}

/// `checkpoint "<id>" of thread "<t>" (namespace "<ns>"[, <store>])`.
std::string describe(const Location& at);

/// SaverCorrupt [sg.saver.402] "<describe(at)>: <detail> (damaged data)".
SaverCorrupt damaged(const Location& at, std::string_view detail);

/// SaverCorrupt [sg.saver.402]: the checkpoint refers to `channel` at `version`, which is not
/// stored; `of_version` names the version whose delta chain led there when it differs.
SaverCorrupt missing_value(const Location& at, std::string_view channel, std::string_view version,
                           std::string_view of_version);

/// SaverError [sg.saver.403] for put: the delta of `channel` at `version` is based on `base`,
/// which the thread and namespace of `config` have not stored.
SaverError unknown_delta_base(const CheckpointConfig& config, std::string_view channel, std::string_view version,
                              std::string_view base);

/// SaverError [sg.saver.403] for copy_thread: the destination thread exists already.
SaverError destination_exists(std::string_view to);

// ---- metadata filter ----------------------------------------------------------------------------

/// True when `metadata` has every top-level key of `filter` (an object) with an equal JSON value.
/// A metadata that is not an object matches only the empty filter.
bool metadata_matches(const nlohmann::json& metadata, const nlohmann::json& filter);

// ---- delta chains -------------------------------------------------------------------------------

/// One stored version of a channel, as a backend finds it: a whole value, or a delta on an
/// earlier version. `value` may point at a value already resolved for an earlier checkpoint (the
/// chain then ends there). With `owned`, the value may be moved from (the backend will not
/// read it again).
struct StoredVersion {
  const nlohmann::json* value = nullptr;
  nlohmann::json* owned = nullptr;
  const ChannelDelta* delta = nullptr;
  /// The same delta when its appended elements may be moved from (read for this chain alone).
  ChannelDelta* owned_delta = nullptr;
};

/// Finds a stored version of the channel being resolved; nullopt when it is not stored.
using VersionLookup = std::function<std::optional<StoredVersion>(std::string_view version)>;

/// The value of `channel` at `version`: the whole value the chain of deltas starts from, with
/// each delta applied oldest first, in place (truncate to `keep`, then append; linear in the
/// result however long the chain).
/// @throws SaverCorrupt naming `at`, the channel and the version when a version of the chain is
///         missing, the chain loops, or a delta keeps more than its base holds.
nlohmann::json resolve_value(const Location& at, const std::string& channel, std::string_view version,
                             const VersionLookup& lookup);

// ---- prune --------------------------------------------------------------------------------------

/// The checkpoints of one namespace that PruneOptions deletes, given every id of the namespace
/// oldest first: an id goes when it is older than the newest `keep_last` (at least 1) or smaller
/// than `before`; the newest always stays. Positions into `ids`, ascending.
std::vector<std::size_t> pruned_positions(const std::vector<std::string>& ids, const PruneOptions& rule);

/// (channel, version) of a stored value.
using ValueKey = std::pair<std::string, std::string>;

/// The stored values of one namespace that no remaining checkpoint needs, directly or as a base
/// of a delta it needs. `stored`: every stored value → its delta base (nullopt for a whole value);
/// `live`: the channel_versions of every remaining checkpoint.
std::vector<ValueKey> unreferenced_values(const std::map<ValueKey, std::optional<std::string>>& stored,
                                          const std::vector<ChannelVersions>& live);

// ---- bytes per checkpoint -----------------------------------------------------------------------

/// A checkpoint of one namespace as checkpoint_bytes sees it.
struct CheckpointSize {
  std::string id;
  std::uint64_t own = 0;      ///< its row (metadata, versions, ...)
  ChannelVersions versions;   ///< its channel_versions
};

/// Bytes each checkpoint added: its own row, its writes (`write_bytes` by checkpoint id) and every
/// stored value (`value_bytes`) it is the oldest checkpoint to refer to. `checkpoints` oldest
/// first. Values no checkpoint refers to are charged to none.
std::map<std::string, std::uint64_t> attribute_bytes(const std::vector<CheckpointSize>& checkpoints,
                                                     std::map<ValueKey, std::uint64_t> value_bytes,
                                                     const std::map<std::string, std::uint64_t>& write_bytes);

}  // namespace sg::saver_detail
