#pragma once
// Internal to stategraph::sqlite: reading checkpoint rows into tuples — the row of
// sg_checkpoints, its values resolved through their delta chains (saver_algorithms'
// resolve_value over sg_blobs rows) and its pending writes.

#include <deque>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "sqlite_codec.hpp"
#include "sqlite_connection.hpp"
#include "stategraph/checkpoint/checkpoint.hpp"

namespace sg::sqlite_detail {

/// Columns of sg_checkpoints every read selects, in this order.
inline constexpr const char* kCheckpointColumns =
    "thread_id, checkpoint_id, parent_checkpoint_id, metadata, checkpoint";

/// A checkpoint row as read from sg_checkpoints.
struct CheckpointRow {
  std::string thread_id;
  std::string checkpoint_id;
  std::optional<std::string> parent_id;
  nlohmann::json metadata;
  Bytes header;
};

/// Reads the columns kCheckpointColumns of the current row. @throws SaverCorrupt (metadata).
CheckpointRow read_row(const Stmt& s, const std::string& ns);

/// Resolves channel values of one (thread, namespace) in one read transaction, following delta
/// chains. With `remember` (list), decoded rows are kept for the later checkpoints of the call,
/// so each row is read and decoded once however many chains pass through it, and a value that
/// was already returned is copied from the tuple that holds it.
class Resolver {
 public:
  Resolver(Connection& c, std::string thread, std::string ns, bool remember)
      : c_(c), thread_(std::move(thread)), ns_(std::move(ns)), remember_(remember) {}

  /// Fills checkpoint.channel_values for every channel of its channel_versions.
  /// @throws SaverCorrupt naming the checkpoint, channel and version.
  void fill(const std::string& checkpoint_id, Checkpoint& checkpoint);

 private:
  // A stored value row: the value itself, or a delta whose append is the decoded data.
  struct BlobRow {
    nlohmann::json value;
    std::optional<ChannelDelta> delta;
  };
  BlobRow* fetch(const std::string& checkpoint, const std::string& channel, std::string_view version);

  Connection& c_;
  std::string thread_;
  std::string ns_;
  bool remember_;
  std::unordered_map<std::string, BlobRow> rows_;         // remember_: channel '\0' version → row
  std::unordered_map<std::string, const nlohmann::json*> values_;  // remember_: values already returned
  std::deque<BlobRow> owned_;                             // !remember_: rows of the current chain
};

/// The pending writes of a checkpoint, ordered by (task_id, idx). @throws SaverCorrupt.
std::vector<PendingWrite> load_writes(Connection& c, const std::string& thread, const std::string& ns,
                                      const std::string& checkpoint);

/// The tuple of a row: values resolved (unless `resolver` is null), writes attached.
/// @throws SaverCorrupt.
CheckpointTuple build_tuple(Connection& c, Resolver* resolver, const std::string& ns, CheckpointRow row);

}  // namespace sg::sqlite_detail
