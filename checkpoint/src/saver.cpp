// The saver contract's public calls (checks, normalisation, the format upgrade of what is read)
// and the default hooks. Backends implement only the storage hooks.

#include "stategraph/checkpoint/saver.hpp"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <set>
#include <utility>

#include "saver_algorithms.hpp"
#include "stategraph/checkpoint/error.hpp"

namespace sg {

namespace {

SaverError invalid_argument(std::string_view message) { return SaverError(ErrorId::saver_invalid_argument, message); }

void check_filter(const nlohmann::json& filter, std::string_view call) {
  if (!filter.is_null() && !filter.is_object())
    throw invalid_argument(std::string(call) + ": filter must be a JSON object, got " + filter.dump());
}

}  // namespace

// ---------------------------------------------------------------------------------- local locks

/// The threads held by runs of this process, for the default lock_thread.
struct CheckpointSaver::LocalLocks {
  std::mutex mutex;
  std::condition_variable released;
  std::set<std::string, std::less<>> held;
};

namespace {

class LocalThreadLock final : public ThreadLock {
 public:
  LocalThreadLock(std::shared_ptr<void> owner, std::mutex& m, std::condition_variable& cv,
                  std::set<std::string, std::less<>>& held, std::string thread)
      : owner_(std::move(owner)), mutex_(m), released_(cv), held_(held), thread_(std::move(thread)) {}
  ~LocalThreadLock() override {
    {
      std::lock_guard lock(mutex_);
      held_.erase(thread_);
    }
    released_.notify_all();
  }

 private:
  std::shared_ptr<void> owner_;  // keeps the lock table alive
  std::mutex& mutex_;
  std::condition_variable& released_;
  std::set<std::string, std::less<>>& held_;
  std::string thread_;
};

}  // namespace

CheckpointSaver::CheckpointSaver() : local_locks_(std::make_shared<LocalLocks>()) {}

// ---------------------------------------------------------------------------- CheckpointSaver

std::optional<CheckpointTuple> CheckpointSaver::get_tuple(const CheckpointConfig& config) {
  if (config.thread_id.empty()) return std::nullopt;
  std::optional<CheckpointTuple> tuple;
  if (config.checkpoint_id && config.checkpoint_id->empty()) {
    tuple = do_get_tuple({config.thread_id, config.checkpoint_ns, std::nullopt});
  } else {
    tuple = do_get_tuple(config);
  }
  if (tuple) upgrade_checkpoint(tuple->checkpoint, tuple->metadata);
  return tuple;
}

std::vector<CheckpointTuple> CheckpointSaver::list(const CheckpointConfig& config, const ListOptions& options) {
  check_filter(options.filter, "list");
  if (options.limit && *options.limit == 0) return {};
  std::vector<CheckpointTuple> tuples;
  const bool odd_id = config.checkpoint_id && config.checkpoint_id->empty();
  if (options.filter.is_null() || odd_id) {
    ListOptions normal = options;
    if (normal.filter.is_null()) normal.filter = nlohmann::json::object();
    tuples = do_list(odd_id ? CheckpointConfig{config.thread_id, config.checkpoint_ns, std::nullopt} : config, normal);
  } else {
    tuples = do_list(config, options);
  }
  for (auto& t : tuples) upgrade_checkpoint(t.checkpoint, t.metadata);
  return tuples;
}

namespace {

/// put()'s checks and normalisation; `put.changed` refers into the arguments.
SaverPut checked_put(const CheckpointConfig& config, const Checkpoint& checkpoint, const CheckpointMetadata& metadata,
                     const ChannelVersions& new_versions) {
  if (config.thread_id.empty())
    throw invalid_argument("put: config.thread_id is empty; every checkpoint belongs to a thread");
  if (checkpoint.id.empty())
    throw invalid_argument("put: checkpoint.id is empty; create it with sg::new_checkpoint_id()");
  const std::string* parent = config.checkpoint_id && !config.checkpoint_id->empty() ? &*config.checkpoint_id : nullptr;
  SaverPut put{config, checkpoint, metadata, new_versions, parent, {},
               checkpoint.parent_writes_applied && parent != nullptr};
  put.changed.reserve(new_versions.size());
  for (const auto& [channel, version] : new_versions) {
    const auto current = checkpoint.channel_versions.find(channel);
    if (current == checkpoint.channel_versions.end()) continue;  // channel now has no value
    if (current->second != version)
      throw invalid_argument("put: new_versions gives channel \"" + channel + "\" version \"" + version +
                             "\" but channel_versions has \"" + current->second + "\"");
    if (const auto value = checkpoint.channel_values.find(channel); value != checkpoint.channel_values.end()) {
      put.changed.push_back({&channel, &version, &value->second, nullptr});
    } else if (const auto delta = checkpoint.channel_deltas.find(channel); delta != checkpoint.channel_deltas.end()) {
      check_delta(channel, version, delta->second);
      put.changed.push_back({&channel, &version, nullptr, &delta->second});
    } else {
      throw invalid_argument("put: channel \"" + channel +
                             "\" is in new_versions but has no entry in channel_values or channel_deltas");
    }
  }
  return put;
}

/// put_writes()'s checks and normalisation (rows empty for no writes).
SaverWrites checked_writes(const CheckpointConfig& config, std::span<const PendingWrite> writes,
                           std::string_view task_id) {
  if (config.thread_id.empty()) throw invalid_argument("put_writes: config.thread_id is empty");
  if (!config.checkpoint_id || config.checkpoint_id->empty())
    throw invalid_argument("put_writes: config.checkpoint_id is empty; writes belong to a checkpoint");
  SaverWrites w{config, *config.checkpoint_id, task_id, writes, {}};
  w.rows.reserve(writes.size());
  for (std::size_t i = 0; i < writes.size(); ++i) {
    const int idx = format::write_index(writes[i].channel, static_cast<int>(i));
    if (idx < 0) {  // a special channel given twice in one call: the last one
      const auto same = std::find_if(w.rows.begin(), w.rows.end(), [&](const auto& r) { return r.idx == idx; });
      if (same != w.rows.end()) {
        same->write = &writes[i];
        continue;
      }
    }
    w.rows.push_back({idx, &writes[i]});
  }
  return w;
}

/// Whether `w` belongs to the parent of `put` (same thread and namespace).
bool of_parent(const SaverWrites& w, const SaverPut& put) {
  return put.parent != nullptr && w.checkpoint_id == *put.parent && w.config.thread_id == put.config.thread_id &&
         w.config.checkpoint_ns == put.config.checkpoint_ns;
}

}  // namespace

CheckpointConfig CheckpointSaver::put(const CheckpointConfig& config, const Checkpoint& checkpoint,
                                      const CheckpointMetadata& metadata, const ChannelVersions& new_versions) {
  do_put(checked_put(config, checkpoint, metadata, new_versions));
  return CheckpointConfig{config.thread_id, config.checkpoint_ns, checkpoint.id};
}

void CheckpointSaver::put_writes(const CheckpointConfig& config, std::span<const PendingWrite> writes,
                                 std::string_view task_id) {
  const SaverWrites w = checked_writes(config, writes, task_id);
  if (!w.rows.empty()) do_put_writes(w);
}

std::optional<CheckpointConfig> CheckpointSaver::put_batch(std::span<const TaskWrites> writes, const CheckpointPut* put) {
  return store_batch(writes, put, false);
}

std::optional<CheckpointConfig> CheckpointSaver::put_batch(std::span<const TaskWrites> writes, CheckpointPut&& put) {
  return store_batch(writes, &put, true);
}

namespace {

/// put_batch()'s checks: the put (if any) and the writes with rows left, the put's parent's value
/// writes dropped when it deletes them.
void check_batch(std::span<const TaskWrites> writes, const CheckpointPut* put, std::optional<SaverPut>& p,
                 std::vector<SaverWrites>& ws) {
  if (put != nullptr) p.emplace(checked_put(put->config, put->checkpoint, put->metadata, put->new_versions));
  ws.reserve(writes.size());
  for (const auto& tw : writes) {
    SaverWrites w = checked_writes(tw.config, tw.writes, tw.task_id);
    // The put deletes its parent's value writes: those of the batch need not be stored at all.
    if (p && p->delete_parent_value_writes && of_parent(w, *p))
      std::erase_if(w.rows, [](const SaverWrites::Row& r) { return r.idx >= 0; });
    if (!w.rows.empty()) ws.push_back(std::move(w));
  }
}

}  // namespace

std::optional<CheckpointConfig> CheckpointSaver::store_batch(std::span<const TaskWrites> writes, const CheckpointPut* put,
                                                             bool movable) {
  std::optional<SaverPut> p;
  std::vector<SaverWrites> ws;
  check_batch(writes, put, p, ws);
  if (p) p->movable = movable;
  store_checked(ws, p ? &*p : nullptr);
  if (!p) return std::nullopt;
  return CheckpointConfig{put->config.thread_id, put->config.checkpoint_ns, put->checkpoint.id};
}

void CheckpointSaver::store_checked(std::span<const SaverWrites> writes, const SaverPut* put) {
  if (writes.empty() && put == nullptr) return;
  if (writes.empty()) {
    do_put(*put);
  } else if (put == nullptr && writes.size() == 1) {
    do_put_writes(writes.front());
  } else {
    do_put_batch(writes, put);
  }
}

void CheckpointSaver::put_batches(std::span<const PutBatch> batches) {
  // Everything is checked before anything is stored. (std::deque: SaverPut and SaverWrites refer
  // to each other's storage and are never moved once made.)
  std::deque<std::optional<SaverPut>> puts;
  std::deque<std::vector<SaverWrites>> writes;
  std::vector<SaverBatch> checked;
  checked.reserve(batches.size());
  for (const auto& b : batches) {
    auto& p = puts.emplace_back();
    auto& ws = writes.emplace_back();
    check_batch(b.writes, b.put ? &*b.put : nullptr, p, ws);
    if (p || !ws.empty()) checked.push_back({ws, p ? &*p : nullptr});
  }
  if (checked.size() == 1) {
    store_checked(checked.front().writes, checked.front().put);
  } else if (!checked.empty()) {
    do_put_batches(checked);
  }
}

void CheckpointSaver::do_put_batches(std::span<const SaverBatch> batches) {
  for (const auto& b : batches) store_checked(b.writes, b.put);
}

void CheckpointSaver::do_put_batch(std::span<const SaverWrites> writes, const SaverPut* put) {
  auto own = [&](const SaverWrites& w) { return put != nullptr && w.checkpoint_id == put->checkpoint.id; };
  for (const auto& w : writes)
    if (!own(w)) do_put_writes(w);
  if (put != nullptr) do_put(*put);
  for (const auto& w : writes)
    if (own(w)) do_put_writes(w);
}

void CheckpointSaver::delete_thread(std::string_view thread_id) {
  if (thread_id.empty()) return;
  do_delete_thread(thread_id);
}

std::optional<std::string> CheckpointSaver::latest_checkpoint_id(const CheckpointConfig& config) {
  if (config.thread_id.empty()) return std::nullopt;
  return do_latest_checkpoint_id({config.thread_id, config.checkpoint_ns, std::nullopt});
}

std::unique_ptr<ThreadLock> CheckpointSaver::lock_thread(std::string_view thread_id, std::chrono::milliseconds wait) {
  return do_lock_thread(thread_id, wait);
}

std::optional<std::string> CheckpointSaver::do_latest_checkpoint_id(const CheckpointConfig& config) {
  auto t = do_get_tuple(config);
  if (!t) return std::nullopt;
  return t->checkpoint.id;
}

std::unique_ptr<ThreadLock> CheckpointSaver::do_lock_thread(std::string_view thread_id, std::chrono::milliseconds wait) {
  auto& l = *local_locks_;
  std::unique_lock lock(l.mutex);
  const bool got = l.released.wait_for(lock, wait, [&] { return l.held.find(thread_id) == l.held.end(); });
  if (!got)
    throw SaverError(ErrorId::saver_thread_busy, "thread \"" + std::string(thread_id) + "\" is busy: another run has held it for " +
                                         std::to_string(wait.count()) + " ms; try again later");
  l.held.emplace(thread_id);
  return std::make_unique<LocalThreadLock>(local_locks_, l.mutex, l.released, l.held, std::string(thread_id));
}

// ---------------------------------------------------------------------------- CheckpointAdmin

std::vector<ThreadInfo> CheckpointAdmin::list_threads(const ThreadListOptions& options) {
  check_filter(options.filter, "list_threads");
  if ((options.limit && *options.limit == 0) || (options.thread_id && options.thread_id->empty())) return {};
  if (!options.filter.is_null()) return do_list_threads(options);
  ThreadListOptions normal = options;
  normal.filter = nlohmann::json::object();
  return do_list_threads(normal);
}

std::map<std::string, std::uint64_t> CheckpointAdmin::checkpoint_bytes(const CheckpointConfig& config) {
  if (config.thread_id.empty()) return {};
  return do_checkpoint_bytes(config);
}

StorageStats CheckpointAdmin::storage_stats() { return do_storage_stats(); }

StorageCheck CheckpointAdmin::check_storage() { return do_check_storage(); }

std::size_t CheckpointAdmin::prune(std::string_view thread_id, const PruneOptions& options) {
  if (thread_id.empty() || (!options.keep_last && !options.before)) return 0;
  PruneOptions rule = options;
  if (rule.keep_last) rule.keep_last = std::max<std::size_t>(*rule.keep_last, 1);
  return do_prune(thread_id, rule);
}

void CheckpointAdmin::copy_thread(std::string_view from, std::string_view to) {
  if (from.empty() || to.empty()) throw invalid_argument("copy_thread: thread ids must not be empty");
  do_copy_thread(from, to);
}

// ------------------------------------------------------------------- BaseCheckpointSaver defaults

namespace {

std::optional<std::int64_t> step_of(const CheckpointMetadata& metadata) {
  if (!metadata.is_object()) return std::nullopt;
  const auto it = metadata.find(format::kStepKey);
  if (it == metadata.end() || !it->is_number_integer()) return std::nullopt;
  return it->get<std::int64_t>();
}

std::uint64_t json_bytes(const nlohmann::json& j) { return j.dump().size(); }

}  // namespace

std::vector<ThreadInfo> BaseCheckpointSaver::do_list_threads(const ThreadListOptions& options) {
  ListOptions all;
  all.values = false;
  CheckpointConfig config;
  if (options.thread_id) config.thread_id = *options.thread_id;
  std::map<std::string, ThreadInfo> threads;
  std::set<std::string> matching;
  const bool filtered = !options.filter.empty();
  for (const auto& t : list(config, all)) {
    ThreadInfo& info = threads[t.config.thread_id];
    if (info.checkpoints++ == 0) {  // newest first: the first seen is the latest
      info.thread_id = t.config.thread_id;
      info.namespaces = {t.config.checkpoint_ns};
      info.last_checkpoint_id = t.checkpoint.id;
      info.last_ts = t.checkpoint.ts;
      info.last_step = step_of(t.metadata);
    }
    if (filtered && saver_detail::metadata_matches(t.metadata, options.filter)) matching.insert(t.config.thread_id);
  }
  std::vector<ThreadInfo> out;
  for (auto& [id, info] : threads) {
    if (filtered && matching.count(id) == 0) continue;
    for (const auto& [checkpoint, bytes] : checkpoint_bytes({id, "", std::nullopt})) info.bytes += bytes;
    out.push_back(std::move(info));
  }
  std::sort(out.begin(), out.end(),
            [](const ThreadInfo& a, const ThreadInfo& b) { return a.last_checkpoint_id > b.last_checkpoint_id; });
  if (options.limit && out.size() > *options.limit) out.resize(*options.limit);
  return out;
}

std::map<std::string, std::uint64_t> BaseCheckpointSaver::do_checkpoint_bytes(const CheckpointConfig& config) {
  const auto tuples = list({config.thread_id, config.checkpoint_ns, std::nullopt});
  std::vector<saver_detail::CheckpointSize> sizes;
  std::map<saver_detail::ValueKey, std::uint64_t> values;
  std::map<std::string, std::uint64_t> writes;
  for (auto t = tuples.rbegin(); t != tuples.rend(); ++t) {  // oldest first
    sizes.push_back({t->checkpoint.id, json_bytes(t->metadata), t->checkpoint.channel_versions});
    for (const auto& w : t->pending_writes) writes[t->checkpoint.id] += json_bytes(w.value);
    for (const auto& [channel, version] : t->checkpoint.channel_versions)
      if (const auto v = t->checkpoint.channel_values.find(channel); v != t->checkpoint.channel_values.end())
        values.try_emplace({channel, version}, json_bytes(v->second));
  }
  return saver_detail::attribute_bytes(sizes, std::move(values), writes);
}

StorageStats BaseCheckpointSaver::do_storage_stats() {
  StorageStats stats;
  TableStats checkpoints{"sg_checkpoints", 0, 0, std::nullopt};
  TableStats blobs{"sg_blobs", 0, 0, std::nullopt};
  TableStats writes{"sg_writes", 0, 0, std::nullopt};
  ListOptions no_values;
  no_values.values = false;
  for (const auto& thread : list_threads()) {
    for (const auto& ns : thread.namespaces) {
      std::set<std::pair<std::string, std::string>> versions;
      for (const auto& t : list({thread.thread_id, ns, std::nullopt}, no_values)) {
        ++checkpoints.rows;
        checkpoints.bytes += json_bytes(t.metadata);
        writes.rows += t.pending_writes.size();
        for (const auto& w : t.pending_writes) writes.bytes += json_bytes(w.value);
        for (const auto& cv : t.checkpoint.channel_versions) versions.insert(cv);
      }
      blobs.rows += versions.size();
    }
    blobs.bytes += thread.bytes;
  }
  blobs.bytes = blobs.bytes > checkpoints.bytes + writes.bytes ? blobs.bytes - checkpoints.bytes - writes.bytes : 0;
  stats.tables = {checkpoints, blobs, writes};
  return stats;
}

StorageCheck BaseCheckpointSaver::do_check_storage() {
  StorageCheck check;
  check.note = "no storage check: this saver has no storage of its own to check";
  check.checksum_note = "none: this saver stores no checksums";
  return check;
}

}  // namespace sg
