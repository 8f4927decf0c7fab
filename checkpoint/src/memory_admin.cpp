// InMemorySaver: inspection and maintenance hooks (prune, copy_thread, list_threads,
// checkpoint_bytes, storage_stats) and value_count.

#include <algorithm>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "memory_store.hpp"
#include "saver_algorithms.hpp"
#include "stategraph/checkpoint/error.hpp"

namespace sg {

using memory_detail::NsData;
using memory_detail::ThreadData;

void InMemorySaver::Impl::erase_checkpoints(NsData& data, const std::vector<std::string>& ids) {
  for (const auto& id : ids) {
    data.checkpoints.erase(id);
    data.writes.erase(id);
  }
  std::map<saver_detail::ValueKey, std::optional<std::string>> stored;
  for (const auto& [channel, versions] : data.blobs)
    for (const auto& [version, blob] : versions)
      stored.emplace(saver_detail::ValueKey{channel, version},
                     blob.delta ? std::optional<std::string>(blob.delta->base) : std::nullopt);
  std::vector<ChannelVersions> live;
  live.reserve(data.checkpoints.size());
  for (const auto& [id, checkpoint] : data.checkpoints) live.push_back(checkpoint.versions.channel_versions());
  for (const auto& [channel, version] : saver_detail::unreferenced_values(stored, live)) {
    const auto ch = data.blobs.find(channel);
    ch->second.erase(version);
    if (ch->second.empty()) data.blobs.erase(ch);
  }
}

std::size_t InMemorySaver::do_prune(std::string_view thread_id, const PruneOptions& rule) {
  const std::lock_guard lock(impl_->mutex);
  const auto thread = impl_->threads.find(thread_id);
  if (thread == impl_->threads.end()) return 0;
  std::size_t deleted = 0;
  for (auto& [ns, data] : thread->second.namespaces) {
    std::vector<std::string> ids;
    ids.reserve(data.checkpoints.size());
    for (const auto& [id, checkpoint] : data.checkpoints) ids.push_back(id);
    std::vector<std::string> doomed;
    for (const std::size_t position : saver_detail::pruned_positions(ids, rule)) doomed.push_back(ids[position]);
    if (doomed.empty()) continue;
    deleted += doomed.size();
    Impl::erase_checkpoints(data, doomed);
  }
  return deleted;
}

void InMemorySaver::do_copy_thread(std::string_view from, std::string_view to) {
  const std::lock_guard lock(impl_->mutex);
  if (impl_->threads.find(to) != impl_->threads.end()) throw saver_detail::destination_exists(to);
  const auto source = impl_->threads.find(from);
  if (source == impl_->threads.end()) return;
  impl_->threads.emplace(std::string(to), source->second);
}

std::vector<ThreadInfo> InMemorySaver::do_list_threads(const ThreadListOptions& options) {
  const std::lock_guard lock(impl_->mutex);
  std::vector<ThreadInfo> out;
  auto summarise = [&](const std::string& id, const ThreadData& thread) {
    ThreadInfo info;
    info.thread_id = id;
    bool match = options.filter.empty();
    for (const auto& [ns, data] : thread.namespaces) {
      if (data.checkpoints.empty()) continue;
      info.namespaces.push_back(ns);
      info.checkpoints += data.checkpoints.size();
      const auto& [last_id, last] = *data.checkpoints.rbegin();
      if (last_id > info.last_checkpoint_id) {
        info.last_checkpoint_id = last_id;
        info.last_ts = last.ts;
        info.last_step.reset();
        if (const auto step = last.metadata.find(format::kStepKey); step != last.metadata.end() && step->is_number_integer())
          info.last_step = step->get<std::int64_t>();
      }
      for (const auto& [cid, stored] : data.checkpoints) {
        info.bytes += memory_detail::bytes_of(stored);
        if (!match) match = saver_detail::metadata_matches(stored.metadata, options.filter);
      }
      for (const auto& [channel, versions] : data.blobs)
        for (const auto& [version, blob] : versions) info.bytes += memory_detail::bytes_of(blob);
      for (const auto& [cid, tasks] : data.writes)
        for (const auto& [task, writes] : tasks) info.bytes += memory_detail::bytes_of(writes);
    }
    if (info.checkpoints > 0 && match) out.push_back(std::move(info));
  };
  if (options.thread_id) {
    if (const auto t = impl_->threads.find(*options.thread_id); t != impl_->threads.end()) summarise(t->first, t->second);
  } else {
    for (const auto& [id, thread] : impl_->threads) summarise(id, thread);
  }
  std::sort(out.begin(), out.end(),
            [](const ThreadInfo& a, const ThreadInfo& b) { return a.last_checkpoint_id > b.last_checkpoint_id; });
  if (options.limit && out.size() > *options.limit) out.resize(*options.limit);
  return out;
}

std::map<std::string, std::uint64_t> InMemorySaver::do_checkpoint_bytes(const CheckpointConfig& config) {
  const std::lock_guard lock(impl_->mutex);
  const NsData* data = impl_->find(config.thread_id, config.checkpoint_ns);
  if (data == nullptr) return {};
  std::vector<saver_detail::CheckpointSize> sizes;
  sizes.reserve(data->checkpoints.size());
  for (const auto& [id, stored] : data->checkpoints)  // oldest first
    sizes.push_back({id, memory_detail::bytes_of(stored), stored.versions.channel_versions()});
  std::map<saver_detail::ValueKey, std::uint64_t> values;
  for (const auto& [channel, versions] : data->blobs)
    for (const auto& [version, blob] : versions) values.emplace(saver_detail::ValueKey{channel, version}, memory_detail::bytes_of(blob));
  std::map<std::string, std::uint64_t> writes;
  for (const auto& [id, tasks] : data->writes)
    for (const auto& [task, w] : tasks) writes[id] += memory_detail::bytes_of(w);
  return saver_detail::attribute_bytes(sizes, std::move(values), writes);
}

StorageStats InMemorySaver::do_storage_stats() {
  StorageStats stats;
  TableStats checkpoints{"sg_checkpoints", 0, 0, std::nullopt};
  TableStats blobs{"sg_blobs", 0, 0, std::nullopt};
  TableStats writes{"sg_writes", 0, 0, std::nullopt};
  const std::lock_guard lock(impl_->mutex);
  for (const auto& [id, thread] : impl_->threads) {
    for (const auto& [ns, data] : thread.namespaces) {
      checkpoints.rows += data.checkpoints.size();
      for (const auto& [cid, stored] : data.checkpoints) checkpoints.bytes += memory_detail::bytes_of(stored);
      for (const auto& [channel, versions] : data.blobs) {
        blobs.rows += versions.size();
        for (const auto& [version, blob] : versions) blobs.bytes += memory_detail::bytes_of(blob);
      }
      for (const auto& [cid, tasks] : data.writes)
        for (const auto& [task, w] : tasks) {
          writes.rows += w.size();
          writes.bytes += memory_detail::bytes_of(w);
        }
    }
  }
  stats.tables = {checkpoints, blobs, writes};
  return stats;
}

std::size_t InMemorySaver::value_count() const {
  const std::lock_guard lock(impl_->mutex);
  std::size_t n = 0;
  for (const auto& [thread_id, thread] : impl_->threads)
    for (const auto& [ns, data] : thread.namespaces)
      for (const auto& [channel, versions] : data.blobs) n += versions.size();
  return n;
}

}  // namespace sg
