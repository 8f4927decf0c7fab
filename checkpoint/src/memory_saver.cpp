// InMemorySaver: the engine's calls (get_tuple, list, put, put_writes, delete_thread) as storage
// hooks over memory_store.hpp. Inspection and maintenance: memory_admin.cpp.

#include "stategraph/checkpoint/memory_saver.hpp"

#include <algorithm>
#include <iterator>

#include "memory_store.hpp"
#include "saver_algorithms.hpp"
#include "stategraph/checkpoint/error.hpp"

namespace sg {

using memory_detail::Blob;
using memory_detail::NsData;
using memory_detail::Stored;
using memory_detail::TaskWrites;
using memory_detail::ThreadData;
using memory_detail::WriteMap;

namespace memory_detail {

std::uint64_t bytes_of(const Blob& blob) {
  return blob.delta ? blob.delta->append.dump().size() : blob.value.dump().size();
}
std::uint64_t bytes_of(const Stored& stored) {
  return stored.metadata.dump().size() + (stored.delta_chains.empty() ? 0 : stored.delta_chains.dump().size());
}
std::uint64_t bytes_of(const TaskWrites& writes) {
  std::uint64_t n = 0;
  for (const auto& [idx, write] : writes) n += write.second.dump().size();
  return n;
}

}  // namespace memory_detail

const NsData* InMemorySaver::Impl::find(std::string_view thread_id, std::string_view ns) const {
  const auto thread = threads.find(thread_id);
  if (thread == threads.end()) return nullptr;
  const auto it = thread->second.namespaces.find(std::string(ns));
  return it == thread->second.namespaces.end() ? nullptr : &it->second;
}

CheckpointTuple InMemorySaver::Impl::make_tuple(const std::string& thread_id, const std::string& ns, const NsData& data,
                                                std::map<std::string, Stored>::const_iterator it, bool values,
                                                const ChannelVersions* older) {
  const Stored& stored = it->second;
  CheckpointTuple tuple;
  tuple.config = CheckpointConfig{thread_id, ns, it->first};
  Checkpoint& checkpoint = tuple.checkpoint;
  checkpoint.v = stored.v;
  checkpoint.id = it->first;
  checkpoint.ts = stored.ts;
  checkpoint.channel_versions = stored.versions.channel_versions();
  checkpoint.versions_seen = stored.versions.versions_seen();
  if (!stored.delta_chains.is_null()) checkpoint.delta_chains = stored.delta_chains;
  if (values) {
    const saver_detail::Location at{thread_id, ns, it->first};
    for (const auto& [channel, version] : checkpoint.channel_versions) {
      const auto ch = data.blobs.find(channel);
      if (older != nullptr && ch != data.blobs.end()) {
        if (const auto before = older->find(channel); before != older->end()) {
          if (before->second == version) continue;  // the next tuple's value
          const auto b = ch->second.find(version);
          if (b != ch->second.end() && b->second.delta && b->second.delta->base == before->second) {
            checkpoint.channel_deltas.emplace(channel, *b->second.delta);
            continue;
          }
        }
      }
      auto lookup = [&](std::string_view v) -> std::optional<saver_detail::StoredVersion> {
        if (ch == data.blobs.end()) return std::nullopt;
        const auto b = ch->second.find(v);
        if (b == ch->second.end()) return std::nullopt;
        if (b->second.delta) return saver_detail::StoredVersion{nullptr, nullptr, &*b->second.delta};
        return saver_detail::StoredVersion{&b->second.value, nullptr, nullptr};
      };
      checkpoint.channel_values.emplace_hint(checkpoint.channel_values.end(), channel,
                                             saver_detail::resolve_value(at, channel, version, lookup));
    }
  }
  tuple.metadata = stored.metadata;
  if (!stored.parent_id.empty()) tuple.parent_config = CheckpointConfig{thread_id, ns, stored.parent_id};
  if (const auto w = data.writes.find(it->first); w != data.writes.end()) {
    for (const auto& [task, by_idx] : w->second)
      for (const auto& [idx, write] : by_idx) tuple.pending_writes.push_back({task, write.first, write.second});
  }
  return tuple;
}

InMemorySaver::InMemorySaver() : impl_(std::make_unique<Impl>()) {}

InMemorySaver::~InMemorySaver() = default;

std::optional<std::string> InMemorySaver::do_latest_checkpoint_id(const CheckpointConfig& config) {
  const std::lock_guard lock(impl_->mutex);
  const NsData* data = impl_->find(config.thread_id, config.checkpoint_ns);
  if (data == nullptr || data->checkpoints.empty()) return std::nullopt;
  return data->checkpoints.rbegin()->first;
}

std::optional<CheckpointTuple> InMemorySaver::do_get_tuple(const CheckpointConfig& config) {
  const std::lock_guard lock(impl_->mutex);
  const auto thread = impl_->threads.find(config.thread_id);
  if (thread == impl_->threads.end()) return std::nullopt;
  const auto ns = thread->second.namespaces.find(config.checkpoint_ns);
  if (ns == thread->second.namespaces.end()) return std::nullopt;
  const auto& checkpoints = ns->second.checkpoints;
  auto it = checkpoints.end();
  if (config.checkpoint_id) {
    it = checkpoints.find(*config.checkpoint_id);
  } else if (!checkpoints.empty()) {
    it = std::prev(checkpoints.end());
  }
  if (it == checkpoints.end()) return std::nullopt;
  return Impl::make_tuple(thread->first, ns->first, ns->second, it);
}

std::vector<CheckpointTuple> InMemorySaver::do_list(const CheckpointConfig& config, const ListOptions& options) {
  const std::size_t limit = options.limit.value_or(static_cast<std::size_t>(-1));
  struct Candidate {
    const std::string* thread_id;
    const NsData* data;
    std::map<std::string, Stored>::const_iterator it;
  };
  const std::lock_guard lock(impl_->mutex);
  std::vector<Candidate> candidates;
  auto collect = [&](const std::string& thread_id, const ThreadData& thread) {
    const auto ns = thread.namespaces.find(config.checkpoint_ns);
    if (ns == thread.namespaces.end()) return;
    const auto& checkpoints = ns->second.checkpoints;
    // Newest first: walk down from the end (or from `before`).
    auto end = options.before ? checkpoints.lower_bound(*options.before) : checkpoints.end();
    auto begin = checkpoints.begin();
    if (config.checkpoint_id) {
      begin = checkpoints.find(*config.checkpoint_id);
      if (begin == checkpoints.end() || (options.before && !(begin->first < *options.before))) return;
      end = std::next(begin);
    }
    // One thread yields at most `limit` results, so the walk can stop early.
    std::size_t taken = 0;
    for (auto it = end; it != begin && taken < limit;) {
      --it;
      if (!saver_detail::metadata_matches(it->second.metadata, options.filter)) continue;
      candidates.push_back({&thread_id, &ns->second, it});
      ++taken;
    }
  };
  if (config.thread_id.empty()) {
    for (const auto& [thread_id, thread] : impl_->threads) collect(thread_id, thread);
    std::sort(candidates.begin(), candidates.end(),
              [](const Candidate& a, const Candidate& b) { return a.it->first > b.it->first; });
  } else if (const auto thread = impl_->threads.find(config.thread_id); thread != impl_->threads.end()) {
    collect(thread->first, thread->second);
  }
  const std::size_t n = std::min(limit, candidates.size());
  std::vector<CheckpointTuple> result;
  result.reserve(n);
  // ListOptions::deltas (one thread): values relative to the next tuple's.
  const bool relative = options.values && options.deltas && !config.thread_id.empty();
  ChannelVersions older;
  for (std::size_t i = 0; i < n; ++i) {
    const Candidate& c = candidates[i];
    const bool has_older = relative && i + 1 < n;
    if (has_older) older = candidates[i + 1].it->second.versions.channel_versions();
    result.push_back(Impl::make_tuple(*c.thread_id, config.checkpoint_ns, *c.data, c.it, options.values,
                                      has_older ? &older : nullptr));
  }
  return result;
}

namespace {

/// `v`, moved out when the put was given up (SaverPut::movable: the object is not const), else copied.
template <class T>
T take(const SaverPut& put, const T& v) {
  return put.movable ? std::move(const_cast<T&>(v)) : v;  // NOLINT(cppcoreguidelines-pro-type-const-cast)
}

}  // namespace

void InMemorySaver::do_put(const SaverPut& put) {
  const CheckpointConfig& config = put.config;
  Stored stored;
  stored.v = put.checkpoint.v;
  stored.versions = memory_detail::PackedVersions(put.checkpoint.channel_versions, put.checkpoint.versions_seen);
  if (put.parent != nullptr) stored.parent_id = *put.parent;

  const std::lock_guard lock(impl_->mutex);
  // A delta needs its base (unless this version is stored already: a put repeated). Checked
  // before anything is created, so a refused put leaves no trace.
  const NsData* existing = impl_->find(config.thread_id, config.checkpoint_ns);
  for (const auto& c : put.changed) {
    if (c.delta == nullptr) continue;
    bool ok = false;
    if (existing != nullptr)
      if (const auto ch = existing->blobs.find(*c.channel); ch != existing->blobs.end())
        ok = ch->second.find(c.delta->base) != ch->second.end() || ch->second.find(*c.version) != ch->second.end();
    if (!ok) throw saver_detail::unknown_delta_base(config, *c.channel, *c.version, c.delta->base);
  }
  stored.ts = take(put, put.checkpoint.ts);
  if (const auto& chains = put.checkpoint.delta_chains; !(chains.is_object() && chains.empty()))
    stored.delta_chains = take(put, chains);
  stored.metadata = take(put, put.metadata);
  NsData& data = impl_->threads[config.thread_id].namespaces[config.checkpoint_ns];
  for (const auto& c : put.changed) {
    // A value already stored for this version is kept (values are immutable per version).
    auto& versions = data.blobs[*c.channel];
    if (versions.find(*c.version) != versions.end()) continue;
    Blob blob;
    if (c.delta != nullptr) {
      blob.delta = std::make_unique<ChannelDelta>(take(put, *c.delta));
    } else {
      blob.value = take(put, *c.value);
    }
    versions.emplace(*c.version, std::move(blob));
  }
  if (put.delete_parent_value_writes)
    if (const auto w = data.writes.find(stored.parent_id); w != data.writes.end()) {
      // The value writes (index >= 0) go; the special writes stay for history.
      for (auto task = w->second.begin(); task != w->second.end();) {
        task->second.erase(task->second.lower_bound(0), task->second.end());
        task = task->second.empty() ? w->second.erase(task) : std::next(task);
      }
      if (w->second.empty()) data.writes.erase(w);
    }
  data.checkpoints.insert_or_assign(data.checkpoints.end(), put.checkpoint.id, std::move(stored));
}

void InMemorySaver::do_put_writes(const SaverWrites& writes) {
  const std::lock_guard lock(impl_->mutex);
  WriteMap& stored =
      impl_->threads[writes.config.thread_id].namespaces[writes.config.checkpoint_ns].writes[writes.checkpoint_id];
  auto task = stored.find(writes.task_id);
  if (task == stored.end()) task = stored.emplace(std::string(writes.task_id), TaskWrites{}).first;
  for (const auto& row : writes.rows) {
    if (row.idx < 0) {
      task->second.insert_or_assign(row.idx, std::pair{row.write->channel, row.write->value});
    } else {
      task->second.try_emplace(row.idx, row.write->channel, row.write->value);
    }
  }
}

void InMemorySaver::do_delete_thread(std::string_view thread_id) {
  const std::lock_guard lock(impl_->mutex);
  if (const auto it = impl_->threads.find(thread_id); it != impl_->threads.end()) impl_->threads.erase(it);
}

}  // namespace sg
