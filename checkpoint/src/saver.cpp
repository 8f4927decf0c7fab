// Default implementations of BaseCheckpointSaver's optional members.

#include "stategraph/checkpoint/saver.hpp"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <set>
#include <utility>

#include "stategraph/checkpoint/error.hpp"

namespace sg {

/// The threads held by runs of this process, for the default lock_thread.
struct BaseCheckpointSaver::LocalLocks {
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

BaseCheckpointSaver::BaseCheckpointSaver() : local_locks_(std::make_shared<LocalLocks>()) {}

std::optional<std::string> BaseCheckpointSaver::latest_checkpoint_id(const CheckpointConfig& config) {
  auto t = get_tuple({config.thread_id, config.checkpoint_ns, std::nullopt});
  if (!t) return std::nullopt;
  return t->checkpoint.id;
}

std::unique_ptr<ThreadLock> BaseCheckpointSaver::lock_thread(std::string_view thread_id,
                                                             std::chrono::milliseconds wait) {
  auto& l = *local_locks_;
  std::unique_lock lock(l.mutex);
  const bool got = l.released.wait_for(lock, wait, [&] { return l.held.find(thread_id) == l.held.end(); });
  if (!got)
    throw SaverError(ErrorId::saver_thread_busy, "thread \"" + std::string(thread_id) + "\" is busy: another run has held it for " +
                                         std::to_string(wait.count()) + " ms; try again later");
  l.held.emplace(thread_id);
  return std::make_unique<LocalThreadLock>(local_locks_, l.mutex, l.released, l.held, std::string(thread_id));
}

namespace {

std::optional<std::int64_t> step_of(const CheckpointMetadata& metadata) {
  if (!metadata.is_object()) return std::nullopt;
  const auto it = metadata.find("step");
  if (it == metadata.end() || !it->is_number_integer()) return std::nullopt;
  return it->get<std::int64_t>();
}

std::uint64_t json_bytes(const nlohmann::json& j) { return j.dump().size(); }

}  // namespace

std::vector<ThreadInfo> BaseCheckpointSaver::list_threads(const ThreadListOptions& options) {
  if (!options.filter.is_null() && !options.filter.is_object())
    throw SaverError(ErrorId::saver_invalid_argument, "list_threads: filter must be a JSON object, got " + options.filter.dump());
  ListOptions all;
  all.values = false;
  CheckpointConfig config;
  if (options.thread_id) config.thread_id = *options.thread_id;
  if (options.thread_id && options.thread_id->empty()) return {};
  std::map<std::string, ThreadInfo> threads;
  std::set<std::string> matching;
  const bool filtered = options.filter.is_object() && !options.filter.empty();
  for (const auto& t : list(config, all)) {
    ThreadInfo& info = threads[t.config.thread_id];
    if (info.checkpoints++ == 0) {  // newest first: the first seen is the latest
      info.thread_id = t.config.thread_id;
      info.namespaces = {t.config.checkpoint_ns};
      info.last_checkpoint_id = t.checkpoint.id;
      info.last_ts = t.checkpoint.ts;
      info.last_step = step_of(t.metadata);
    }
    if (filtered) {
      bool match = t.metadata.is_object();
      for (const auto& [key, value] : options.filter.items()) {
        if (!match) break;
        const auto it = t.metadata.find(key);
        match = it != t.metadata.end() && *it == value;
      }
      if (match) matching.insert(t.config.thread_id);
    }
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

std::map<std::string, std::uint64_t> BaseCheckpointSaver::checkpoint_bytes(const CheckpointConfig& config) {
  CheckpointConfig all{config.thread_id, config.checkpoint_ns, std::nullopt};
  auto tuples = list(all);
  std::map<std::string, std::uint64_t> out;
  std::set<std::pair<std::string, std::string>> seen;  // (channel, version) counted already
  for (auto t = tuples.rbegin(); t != tuples.rend(); ++t) {  // oldest first
    std::uint64_t bytes = json_bytes(t->metadata);
    for (const auto& w : t->pending_writes) bytes += json_bytes(w.value);
    for (const auto& [channel, version] : t->checkpoint.channel_versions) {
      if (!seen.emplace(channel, version).second) continue;
      if (const auto v = t->checkpoint.channel_values.find(channel); v != t->checkpoint.channel_values.end())
        bytes += json_bytes(v->second);
    }
    out[t->checkpoint.id] = bytes;
  }
  return out;
}

StorageStats BaseCheckpointSaver::storage_stats() {
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

}  // namespace sg
