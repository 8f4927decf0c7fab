#include "sqlite_reader.hpp"

#include <set>

#include "saver_algorithms.hpp"
#include "sqlite_checksum.hpp"
#include "stategraph/checkpoint/error.hpp"

namespace sg::sqlite_detail {

using nlohmann::json;

namespace {

// Each read selects the checksum column, or NULL in its place in a file without checksums.
const char* select_blob(const Connection& c) {
  return c.checksums() ? "SELECT base, keep, data, checksum FROM sg_blobs "
                         "WHERE thread_id = ? AND checkpoint_ns = ? AND channel = ? AND version = ?"
                       : "SELECT base, keep, data, NULL FROM sg_blobs "
                         "WHERE thread_id = ? AND checkpoint_ns = ? AND channel = ? AND version = ?";
}

// The delta chain of one version in one statement: the channel's rows from that version down,
// newest first, of which the caller keeps the chain's (each row's base is an older version, so
// the chain comes in order, interleaved at most with the rows of other branches of a fork).
// One statement instead of one per row: a chat thread's list sits on hundreds of one-message
// deltas. (A recursive CTE does the same walk at three times the cost: it copies each row
// through a queue.)
const char* select_chain(const Connection& c) {
  return c.checksums() ? "SELECT version, base, keep, data, checksum FROM sg_blobs WHERE thread_id = ? AND "
                         "checkpoint_ns = ? AND channel = ? AND version <= ? ORDER BY version DESC"
                       : "SELECT version, base, keep, data, NULL FROM sg_blobs WHERE thread_id = ? AND "
                         "checkpoint_ns = ? AND channel = ? AND version <= ? ORDER BY version DESC";
}

const char* select_writes(const Connection& c) {
  return c.checksums() ? "SELECT task_id, channel, value, checksum FROM sg_writes "
                         "WHERE thread_id = ? AND checkpoint_ns = ? AND checkpoint_id = ? ORDER BY task_id, idx"
                       : "SELECT task_id, channel, value, NULL FROM sg_writes "
                         "WHERE thread_id = ? AND checkpoint_ns = ? AND checkpoint_id = ? ORDER BY task_id, idx";
}

SaverCorrupt checksum_mismatch(const saver_detail::Location& at, const std::string& what) {
  return SaverCorrupt(ErrorId::saver_checksum_mismatch,
                      saver_detail::describe(at) + ": " + what + " does not match its checksum (damaged bytes)");
}

// True when `column` of the row holds a checksum (not NULL) other than that of `bytes`. Checked
// once the bytes decode: what does not decode is reported as such.
bool sum_differs(const Stmt& s, int column, std::span<const std::uint8_t> bytes) {
  return !s.is_null(column) && s.int64(column) != checksum(bytes);
}

std::string key_of(std::string_view channel, std::string_view version) {
  std::string key(channel);
  key += '\0';
  key.append(version);
  return key;
}

}  // namespace

const char* checkpoint_columns(const Connection& c) {
  return c.checksums() ? "thread_id, checkpoint_id, parent_checkpoint_id, metadata, checkpoint, checksum"
                       : "thread_id, checkpoint_id, parent_checkpoint_id, metadata, checkpoint, NULL";
}

CheckpointRow read_row(const Stmt& s, const std::string& ns) {
  CheckpointRow row;
  row.thread_id = s.text(0);
  row.checkpoint_id = s.text(1);
  if (!s.is_null(2)) row.parent_id = std::string(s.text(2));
  row.metadata = decode_metadata(s.text(3), saver_detail::describe({row.thread_id, ns, row.checkpoint_id}));
  const auto header = s.blob(4);
  row.checksum_mismatch = !s.is_null(5) && s.int64(5) != row_checksum(header, s.text(3));
  row.header.assign(header.begin(), header.end());
  return row;
}

Resolver::BlobRow Resolver::read_blob(const Stmt& s, int first, const std::string& checkpoint, const std::string& channel,
                                      std::string_view version) const {
  const saver_detail::Location at{thread_, ns_, checkpoint};
  BlobRow row;
  if (!s.is_null(first)) {
    row.delta.emplace();
    row.delta->base = std::string(s.text(first));
    const std::int64_t keep = s.int64(first + 1);
    if (keep < 0)
      throw saver_detail::damaged(at, "channel \"" + channel + "\" at version \"" + std::string(version) +
                                          "\" has a negative keep");
    row.delta->keep = static_cast<std::size_t>(keep);
  }
  auto what = [&] { return "the stored value of channel \"" + channel + "\" at version \"" + std::string(version) + "\""; };
  auto data = decode(s.blob(first + 2));
  if (!data || (row.delta && !data->is_array())) throw saver_detail::damaged(at, what() + " does not decode");
  if (sum_differs(s, first + 3, s.blob(first + 2))) throw checksum_mismatch(at, what());
  (row.delta ? row.delta->append : row.value) = std::move(*data);
  return row;
}

Resolver::BlobRow* Resolver::fetch(const std::string& checkpoint, const std::string& channel, std::string_view version) {
  std::string key;
  if (remember_) {
    key = key_of(channel, version);
    if (const auto it = rows_.find(key); it != rows_.end()) return &it->second;
  }
  auto s = c_.prepare(select_blob(c_));
  s.bind(1, thread_).bind(2, ns_).bind(3, channel).bind(4, version);
  if (!s.step()) return nullptr;
  BlobRow row = read_blob(s, 0, checkpoint, channel, version);
  if (remember_) return &rows_.emplace(std::move(key), std::move(row)).first->second;
  return &owned_.emplace_back(std::move(row));
}

void Resolver::fetch_chain(const std::string& checkpoint, const std::string& channel, std::string_view version) {
  chain_.clear();
  auto s = c_.prepare(select_chain(c_));
  s.bind(1, thread_).bind(2, ns_).bind(3, channel).bind(4, version);
  std::string want(version);
  while (s.step()) {
    const std::string_view v = s.text(0);
    if (v > want) continue;  // another branch's row
    if (v < want) break;     // `want` is not stored (or a base is newer than its delta: damaged)
    BlobRow row = read_blob(s, 1, checkpoint, channel, v);
    const bool whole = !row.delta;
    if (!whole) want = row.delta->base;
    const bool again = !chain_.emplace(std::string(v), std::move(row)).second;
    if (whole || again) break;  // the chain's whole value; or a loop, which resolve_value reports
  }
}

void Resolver::fill(const std::string& checkpoint_id, Checkpoint& checkpoint) {
  const saver_detail::Location at{thread_, ns_, checkpoint_id};
  for (const auto& [channel, version] : checkpoint.channel_versions) {
    json value;
    const auto known = remember_ ? values_.find(key_of(channel, version)) : values_.end();
    if (known != values_.end()) {
      value = *known->second;
    } else {
      owned_.clear();
      if (!remember_) fetch_chain(checkpoint_id, channel, version);
      value = saver_detail::resolve_value(at, channel, version, [&](std::string_view v) -> std::optional<saver_detail::StoredVersion> {
        if (remember_) {
          if (const auto it = values_.find(key_of(channel, v)); it != values_.end())
            return saver_detail::StoredVersion{it->second, nullptr, nullptr};
        } else if (const auto it = chain_.find(v); it != chain_.end()) {
          // Read for this chain alone: moved from.
          BlobRow& row = it->second;
          if (row.delta) return saver_detail::StoredVersion{nullptr, nullptr, &*row.delta, &*row.delta};
          return saver_detail::StoredVersion{nullptr, &row.value, nullptr};
        }
        BlobRow* row = fetch(checkpoint_id, channel, v);
        if (row == nullptr) return std::nullopt;
        if (row->delta) return saver_detail::StoredVersion{nullptr, nullptr, &*row->delta};
        // A row read for this chain alone may be moved from; a remembered one is copied.
        return remember_ ? saver_detail::StoredVersion{&row->value, nullptr, nullptr}
                         : saver_detail::StoredVersion{nullptr, &row->value, nullptr};
      });
    }
    const auto it = checkpoint.channel_values.emplace_hint(checkpoint.channel_values.end(), channel, std::move(value));
    // The value now lives in a node of the tuple's channel_values, which stays put while the
    // tuple is moved: later checkpoints of the call copy it from there.
    if (remember_) values_.emplace(key_of(channel, version), &it->second);
  }
}

void Resolver::fill_relative(const std::string& checkpoint_id, Checkpoint& checkpoint, const ChannelVersions* older) {
  const saver_detail::Location at{thread_, ns_, checkpoint_id};
  std::set<std::string_view> relative;  // channels not resolved in full
  for (const auto& [channel, version] : checkpoint.channel_versions) {
    const auto before = older != nullptr ? older->find(channel) : ChannelVersions::const_iterator{};
    if (older == nullptr || before == older->end()) continue;
    if (before->second == version) {
      relative.emplace(channel);
      continue;
    }
    const BlobRow* row = fetch(checkpoint_id, channel, version);
    if (row == nullptr) throw saver_detail::missing_value(at, channel, version, version);
    if (row->delta && row->delta->base == before->second) {
      relative.emplace(channel);
      checkpoint.channel_deltas.emplace(channel, *row->delta);
    }
  }
  // The rest in full, through the rows read so far.
  Checkpoint full;
  for (const auto& [channel, version] : checkpoint.channel_versions)
    if (relative.count(channel) == 0) full.channel_versions.emplace(channel, version);
  fill(checkpoint_id, full);
  checkpoint.channel_values = std::move(full.channel_values);
}

std::vector<PendingWrite> load_writes(Connection& c, const std::string& thread, const std::string& ns,
                                      const std::string& checkpoint) {
  std::vector<PendingWrite> out;
  auto s = c.prepare(select_writes(c));
  s.bind(1, thread).bind(2, ns).bind(3, checkpoint);
  while (s.step()) {
    PendingWrite w;
    w.task_id = s.text(0);
    w.channel = s.text(1);
    auto what = [&] { return "the pending write of task \"" + w.task_id + "\" to channel \"" + w.channel + "\""; };
    auto value = decode(s.blob(2));
    if (!value) throw saver_detail::damaged({thread, ns, checkpoint}, what() + " does not decode");
    if (sum_differs(s, 3, s.blob(2))) throw checksum_mismatch({thread, ns, checkpoint}, what());
    w.value = std::move(*value);
    out.push_back(std::move(w));
  }
  return out;
}

CheckpointTuple build_tuple(Connection& c, Resolver* resolver, const std::string& ns, CheckpointRow row) {
  CheckpointTuple tuple;
  Checkpoint& checkpoint = tuple.checkpoint;
  checkpoint.id = row.checkpoint_id;
  decode_header(row.header, checkpoint, saver_detail::describe({row.thread_id, ns, row.checkpoint_id}));
  if (row.checksum_mismatch)
    throw checksum_mismatch({row.thread_id, ns, row.checkpoint_id}, "the checkpoint row (checkpoint and metadata)");
  if (resolver != nullptr) resolver->fill(row.checkpoint_id, checkpoint);
  tuple.metadata = std::move(row.metadata);
  if (row.parent_id) tuple.parent_config = CheckpointConfig{row.thread_id, ns, std::move(*row.parent_id)};
  tuple.pending_writes = load_writes(c, row.thread_id, ns, row.checkpoint_id);
  tuple.config = CheckpointConfig{std::move(row.thread_id), ns, std::move(row.checkpoint_id)};
  return tuple;
}

}  // namespace sg::sqlite_detail
