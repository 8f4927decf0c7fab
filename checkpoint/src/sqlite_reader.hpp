#pragma once
// Internal to stategraph::sqlite: reading checkpoint rows into tuples — the row of
// sg_checkpoints, its values resolved through their delta chains (saver_algorithms'
// resolve_value over sg_blobs rows) and its pending writes.

#include <deque>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "sqlite_codec.hpp"
#include "sqlite_connection.hpp"
#include "stategraph/checkpoint/checkpoint.hpp"

namespace sg::sqlite_detail {

/// Columns of sg_checkpoints every read selects, in this order: thread_id, checkpoint_id,
/// parent_checkpoint_id, metadata, checkpoint, checksum (NULL when the file has no checksums).
const char* checkpoint_columns(const Connection& c);

/// A checkpoint row as read from sg_checkpoints.
struct CheckpointRow {
  std::string thread_id;
  std::string checkpoint_id;
  std::optional<std::string> parent_id;
  nlohmann::json metadata;
  Bytes header;
  /// A checksum is stored and does not match the checkpoint and metadata read (build_tuple
  /// throws [sg.saver.412] once both decode: what does not decode is reported as such first).
  bool checksum_mismatch = false;
};

/// Reads the columns checkpoint_columns() of the current row and compares its checksum.
/// @throws SaverCorrupt [sg.saver.402] when the metadata is not JSON.
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
  /// @throws SaverCorrupt naming the checkpoint, channel and version ([sg.saver.412] when a
  ///         stored value does not match its checksum).
  void fill(const std::string& checkpoint_id, Checkpoint& checkpoint);
  /// fill() for ListOptions::deltas: a channel at the version it has in `older` (the next tuple
  /// of the result; null for the last) is left out, one stored as a delta on that version goes
  /// to checkpoint.channel_deltas, the others are resolved in full. Needs `remember`.
  /// @throws SaverCorrupt as fill().
  void fill_relative(const std::string& checkpoint_id, Checkpoint& checkpoint, const ChannelVersions* older);

 private:
  // A stored value row: the value itself, or a delta whose append is the decoded data.
  struct BlobRow {
    nlohmann::json value;
    std::optional<ChannelDelta> delta;
  };
  BlobRow* fetch(const std::string& checkpoint, const std::string& channel, std::string_view version);
  /// Decodes the row's columns base, keep, data, checksum from column `first` on.
  BlobRow read_blob(const Stmt& s, int first, const std::string& checkpoint, const std::string& channel,
                    std::string_view version) const;
  /// !remember_: reads the whole delta chain of `version` in one statement into chain_.
  void fetch_chain(const std::string& checkpoint, const std::string& channel, std::string_view version);

  Connection& c_;
  std::string thread_;
  std::string ns_;
  bool remember_;
  std::unordered_map<std::string, BlobRow> rows_;         // remember_: channel '\0' version → row
  std::unordered_map<std::string, const nlohmann::json*> values_;  // remember_: values already returned
  std::deque<BlobRow> owned_;                             // !remember_: rows of the current chain
  std::map<std::string, BlobRow, std::less<>> chain_;      // !remember_: fetch_chain's rows by version
};

/// The pending writes of a checkpoint, ordered by (task_id, idx), checksums checked.
/// @throws SaverCorrupt.
std::vector<PendingWrite> load_writes(Connection& c, const std::string& thread, const std::string& ns,
                                      const std::string& checkpoint);

/// The tuple of a row: values resolved (unless `resolver` is null), writes attached.
/// @throws SaverCorrupt ([sg.saver.412] when row.checksum_mismatch).
CheckpointTuple build_tuple(Connection& c, Resolver* resolver, const std::string& ns, CheckpointRow row);

}  // namespace sg::sqlite_detail
