#include "stategraph/checkpoint/memory_saver.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <functional>
#include <iterator>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "stategraph/checkpoint/error.hpp"

namespace sg {

namespace {

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept {
    return std::hash<std::string_view>{}(s);
  }
};

template <class V>
using StringMap = std::unordered_map<std::string, V, StringHash, std::equal_to<>>;

// channel_versions and versions_seen of a stored checkpoint, packed into one string so that a
// checkpoint costs one allocation for them rather than a map node and a heap string per entry.
// Layout: a string is a u32 length and its bytes; a list is a u32 count and its items.
// channel_versions is a list of (channel, version); versions_seen a list of (node, list).
class PackedVersions {
 public:
  PackedVersions() = default;
  PackedVersions(const ChannelVersions& channel_versions,
                 const std::map<std::string, ChannelVersions>& versions_seen) {
    std::size_t size = list_size(channel_versions) + 4;
    for (const auto& [node, seen] : versions_seen) size += 4 + node.size() + list_size(seen);
    data_.reserve(size);
    put_list(channel_versions);
    put_u32(versions_seen.size());
    for (const auto& [node, seen] : versions_seen) {
      put_string(node);
      put_list(seen);
    }
  }

  // Calls fn(channel, version) for every entry of channel_versions, in channel order.
  template <class Fn>
  void for_each_channel(Fn&& fn) const {
    Reader r{data_};
    for (std::uint32_t n = r.u32(); n > 0; --n) {
      const std::string_view channel = r.string();
      fn(channel, r.string());
    }
  }

  [[nodiscard]] ChannelVersions channel_versions() const {
    Reader r{data_};
    return r.list();
  }

  [[nodiscard]] std::map<std::string, ChannelVersions> versions_seen() const {
    Reader r{data_};
    for (std::uint32_t n = r.u32(); n > 0; --n) {  // skip channel_versions
      r.string();
      r.string();
    }
    std::map<std::string, ChannelVersions> seen;
    for (std::uint32_t n = r.u32(); n > 0; --n) {
      std::string node(r.string());
      seen.emplace_hint(seen.end(), std::move(node), r.list());
    }
    return seen;
  }

 private:
  struct Reader {
    std::string_view data;
    std::size_t pos = 0;
    std::uint32_t u32() {
      std::uint32_t v = 0;
      std::memcpy(&v, data.data() + pos, sizeof v);
      pos += sizeof v;
      return v;
    }
    std::string_view string() {
      const std::uint32_t n = u32();
      pos += n;
      return data.substr(pos - n, n);
    }
    ChannelVersions list() {
      ChannelVersions out;
      for (std::uint32_t n = u32(); n > 0; --n) {
        std::string channel(string());
        out.emplace_hint(out.end(), std::move(channel), string());
      }
      return out;
    }
  };

  static std::size_t list_size(const ChannelVersions& list) {
    std::size_t size = 4;
    for (const auto& [channel, version] : list) size += 8 + channel.size() + version.size();
    return size;
  }
  void put_u32(std::size_t v) {
    const auto u = static_cast<std::uint32_t>(v);
    data_.append(reinterpret_cast<const char*>(&u), sizeof u);
  }
  void put_string(const std::string& s) {
    put_u32(s.size());
    data_.append(s);
  }
  void put_list(const ChannelVersions& list) {
    put_u32(list.size());
    for (const auto& [channel, version] : list) {
      put_string(channel);
      put_string(version);
    }
  }

  std::string data_;
};

// A checkpoint as stored, without its values (they live in NsData::blobs); the id is the key.
struct Stored {
  int v = kCheckpointFormatVersion;
  std::string ts;
  PackedVersions versions;
  nlohmann::json delta_chains;
  CheckpointMetadata metadata;
  std::string parent_id;  // empty for the first checkpoint
};

// Pending writes of one checkpoint, ordered by (task_id, idx).
/// A checkpoint's pending writes: task id → write index → (channel, value); iterating it yields
/// them in (task_id, idx) order. One task-id string per task, not one per write.
using TaskWrites = std::map<int, std::pair<std::string, nlohmann::json>>;
using WriteMap = std::map<std::string, TaskWrites, std::less<>>;

/// A stored channel value: the value itself, or a delta against an older version of the channel.
struct Blob {
  nlohmann::json value;
  std::optional<ChannelDelta> delta;
};

struct NsData {
  std::map<std::string, Stored> checkpoints;    // id → checkpoint; ids are time-ordered
  StringMap<StringMap<Blob>> blobs;             // channel → version → value or delta
  std::map<std::string, WriteMap> writes;       // checkpoint id → writes
};

struct ThreadData {
  std::map<std::string, NsData> namespaces;
};

// The checkpoint id a config names; an empty string counts as none.
const std::string* named_id(const CheckpointConfig& config) {
  return config.checkpoint_id && !config.checkpoint_id->empty() ? &*config.checkpoint_id : nullptr;
}

SaverError invalid_argument(std::string_view message) {
  return SaverError("sg.saver.403", message);
}

bool metadata_matches(const nlohmann::json& metadata, const nlohmann::json& filter) {
  for (const auto& [key, value] : filter.items()) {
    const auto it = metadata.find(key);
    if (it == metadata.end() || *it != value) return false;
  }
  return true;
}

}  // namespace

struct InMemorySaver::Impl {
  mutable std::mutex mutex;
  StringMap<ThreadData> threads;

  // Assembles the tuple of a stored checkpoint; throws SaverCorrupt when a value is missing.
  static CheckpointTuple make_tuple(const std::string& thread_id, const std::string& ns,
                                    const NsData& data,
                                    std::map<std::string, Stored>::const_iterator it, bool values = true) {
    const Stored& stored = it->second;
    CheckpointTuple tuple;
    tuple.config = CheckpointConfig{thread_id, ns, it->first};
    Checkpoint& checkpoint = tuple.checkpoint;
    checkpoint.v = stored.v;
    checkpoint.id = it->first;
    checkpoint.ts = stored.ts;
    checkpoint.channel_versions = stored.versions.channel_versions();
    checkpoint.versions_seen = stored.versions.versions_seen();
    auto& channel_values = checkpoint.channel_values;
    if (values)
      for (const auto& [channel, version] : checkpoint.channel_versions)
        channel_values.emplace_hint(channel_values.end(), channel, resolve(thread_id, ns, it->first, data, channel, version));
    checkpoint.delta_chains = stored.delta_chains;
    tuple.metadata = stored.metadata;
    upgrade_checkpoint(checkpoint, tuple.metadata);
    if (!stored.parent_id.empty()) {
      tuple.parent_config = CheckpointConfig{thread_id, ns, stored.parent_id};
    }
    if (const auto w = data.writes.find(it->first); w != data.writes.end()) {
      for (const auto& [task, by_idx] : w->second)
        for (const auto& [idx, write] : by_idx) tuple.pending_writes.push_back({task, write.first, write.second});
    }
    return tuple;
  }

  // The value of `channel` at `version`, following delta bases; throws SaverCorrupt when a value
  // or a base is missing.
  static nlohmann::json resolve(const std::string& thread_id, const std::string& ns, const std::string& checkpoint,
                                const NsData& data, const std::string& channel, std::string_view version) {
    const auto ch = data.blobs.find(channel);
    std::vector<const ChannelDelta*> chain;
    for (std::string_view v = version;;) {
      const Blob* blob = nullptr;
      if (ch != data.blobs.end())
        if (const auto b = ch->second.find(v); b != ch->second.end()) blob = &b->second;
      if (blob == nullptr)
        throw SaverCorrupt("checkpoint \"" + checkpoint + "\" of thread \"" + thread_id + "\" (namespace \"" + ns +
                           "\") refers to channel \"" + channel + "\" at version \"" + std::string(v) +
                           "\", which is not stored");
      if (!blob->delta) {
        // Oldest delta first, in place: linear in the result, however long the chain.
        nlohmann::json value = blob->value;
        for (auto d = chain.rbegin(); d != chain.rend(); ++d) {
          if (!value.is_array() || value.size() < (*d)->keep) value = apply_delta(value, **d);  // throws
          auto& array = value.get_ref<nlohmann::json::array_t&>();
          array.erase(array.begin() + static_cast<std::ptrdiff_t>((*d)->keep), array.end());
          array.insert(array.end(), (*d)->append.begin(), (*d)->append.end());
        }
        return value;
      }
      chain.push_back(&*blob->delta);
      v = blob->delta->base;
    }
  }

  // JSON text sizes of what is stored, for list_threads, checkpoint_bytes and storage_stats.
  static std::uint64_t bytes_of(const Blob& blob) {
    return blob.delta ? blob.delta->append.dump().size() : blob.value.dump().size();
  }
  static std::uint64_t bytes_of(const Stored& stored) {
    return stored.metadata.dump().size() + (stored.delta_chains.empty() ? 0 : stored.delta_chains.dump().size());
  }
  static std::uint64_t bytes_of(const TaskWrites& writes) {
    std::uint64_t n = 0;
    for (const auto& [idx, write] : writes) n += write.second.dump().size();
    return n;
  }

  // Deletes the given checkpoints of a namespace, their writes and the values left unreferenced.
  static void erase_checkpoints(NsData& data, const std::vector<std::string>& ids) {
    for (const auto& id : ids) {
      data.checkpoints.erase(id);
      data.writes.erase(id);
    }
    std::unordered_map<std::string_view, std::unordered_set<std::string_view>> referenced;
    for (const auto& [id, stored] : data.checkpoints) {
      stored.versions.for_each_channel([&](std::string_view channel, std::string_view version) {
        // A referenced value keeps the bases of its delta chain too.
        const auto ch = data.blobs.find(channel);
        for (std::string_view v = version; referenced[channel].insert(v).second && ch != data.blobs.end();) {
          const auto b = ch->second.find(v);
          if (b == ch->second.end() || !b->second.delta) break;
          v = b->second.delta->base;
        }
      });
    }
    for (auto ch = data.blobs.begin(); ch != data.blobs.end();) {
      const auto ref = referenced.find(ch->first);
      if (ref == referenced.end()) {
        ch = data.blobs.erase(ch);
        continue;
      }
      std::erase_if(ch->second, [&](const auto& entry) { return !ref->second.contains(entry.first); });
      ch = ch->second.empty() ? data.blobs.erase(ch) : std::next(ch);
    }
  }
};

InMemorySaver::InMemorySaver() : impl_(std::make_unique<Impl>()) {}

InMemorySaver::~InMemorySaver() = default;

std::optional<std::string> InMemorySaver::latest_checkpoint_id(const CheckpointConfig& config) {
  const std::lock_guard lock(impl_->mutex);
  const auto t = impl_->threads.find(config.thread_id);
  if (t == impl_->threads.end()) return std::nullopt;
  const auto ns = t->second.namespaces.find(config.checkpoint_ns);
  if (ns == t->second.namespaces.end() || ns->second.checkpoints.empty()) return std::nullopt;
  return ns->second.checkpoints.rbegin()->first;
}

std::optional<CheckpointTuple> InMemorySaver::get_tuple(const CheckpointConfig& config) {
  const std::lock_guard lock(impl_->mutex);
  const auto thread = impl_->threads.find(config.thread_id);
  if (thread == impl_->threads.end()) return std::nullopt;
  const auto ns = thread->second.namespaces.find(config.checkpoint_ns);
  if (ns == thread->second.namespaces.end()) return std::nullopt;
  const auto& checkpoints = ns->second.checkpoints;
  auto it = checkpoints.end();
  if (const std::string* id = named_id(config)) {
    it = checkpoints.find(*id);
  } else if (!checkpoints.empty()) {
    it = std::prev(checkpoints.end());
  }
  if (it == checkpoints.end()) return std::nullopt;
  return Impl::make_tuple(thread->first, ns->first, ns->second, it);
}

std::vector<CheckpointTuple> InMemorySaver::list(const CheckpointConfig& config,
                                                 const ListOptions& options) {
  if (!options.filter.is_null() && !options.filter.is_object()) {
    throw invalid_argument("list: filter must be a JSON object, got " + options.filter.dump());
  }
  const bool filtered = options.filter.is_object() && !options.filter.empty();
  const std::size_t limit = options.limit.value_or(static_cast<std::size_t>(-1));
  std::vector<CheckpointTuple> result;
  if (limit == 0) return result;

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
    if (const std::string* id = named_id(config)) {
      begin = checkpoints.find(*id);
      if (begin == checkpoints.end() || (options.before && !(begin->first < *options.before))) {
        return;
      }
      end = std::next(begin);
    }
    // One thread yields at most `limit` results, so the walk can stop early.
    std::size_t taken = 0;
    for (auto it = end; it != begin && taken < limit;) {
      --it;
      if (filtered && !metadata_matches(it->second.metadata, options.filter)) continue;
      candidates.push_back({&thread_id, &ns->second, it});
      ++taken;
    }
  };
  if (config.thread_id.empty()) {
    for (const auto& [thread_id, thread] : impl_->threads) collect(thread_id, thread);
    std::sort(candidates.begin(), candidates.end(),
              [](const Candidate& a, const Candidate& b) { return a.it->first > b.it->first; });
  } else if (const auto thread = impl_->threads.find(config.thread_id);
             thread != impl_->threads.end()) {
    collect(thread->first, thread->second);
  }
  const std::size_t n = std::min(limit, candidates.size());
  result.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    const Candidate& c = candidates[i];
    result.push_back(Impl::make_tuple(*c.thread_id, config.checkpoint_ns, *c.data, c.it, options.values));
  }
  return result;
}

CheckpointConfig InMemorySaver::put(const CheckpointConfig& config, const Checkpoint& checkpoint,
                                    const CheckpointMetadata& metadata,
                                    const ChannelVersions& new_versions) {
  if (config.thread_id.empty()) {
    throw invalid_argument("put: config.thread_id is empty; every checkpoint belongs to a thread");
  }
  if (checkpoint.id.empty()) {
    throw invalid_argument("put: checkpoint.id is empty; create it with sg::new_checkpoint_id()");
  }
  // Validate before touching anything, so a failed put stores nothing.
  std::vector<std::pair<const ChannelVersions::value_type*, Blob>> changed;
  changed.reserve(new_versions.size());
  for (const auto& entry : new_versions) {
    const auto& [channel, version] = entry;
    const auto current = checkpoint.channel_versions.find(channel);
    if (current == checkpoint.channel_versions.end()) continue;  // channel now has no value
    if (current->second != version) {
      throw invalid_argument("put: new_versions gives channel \"" + channel + "\" version \"" +
                             version + "\" but channel_versions has \"" + current->second + "\"");
    }
    Blob blob;
    if (const auto value = checkpoint.channel_values.find(channel); value != checkpoint.channel_values.end()) {
      blob.value = value->second;
    } else if (const auto delta = checkpoint.channel_deltas.find(channel); delta != checkpoint.channel_deltas.end()) {
      check_delta(channel, version, delta->second);
      blob.delta = delta->second;
    } else {
      throw invalid_argument("put: channel \"" + channel +
                             "\" is in new_versions but has no entry in channel_values or channel_deltas");
    }
    changed.emplace_back(&entry, std::move(blob));
  }

  Stored stored;
  stored.v = checkpoint.v;
  stored.ts = checkpoint.ts;
  stored.versions = PackedVersions(checkpoint.channel_versions, checkpoint.versions_seen);
  stored.delta_chains = checkpoint.delta_chains;
  stored.metadata = metadata;
  if (const std::string* parent = named_id(config)) stored.parent_id = *parent;

  const std::lock_guard lock(impl_->mutex);
  // A delta needs its base (unless this version is stored already: a put repeated). Checked
  // before anything is created, so a refused put leaves no trace.
  for (const auto& [entry, blob] : changed) {
    if (!blob.delta) continue;
    bool ok = false;
    if (const auto t = impl_->threads.find(config.thread_id); t != impl_->threads.end())
      if (const auto ns = t->second.namespaces.find(config.checkpoint_ns); ns != t->second.namespaces.end())
        if (const auto ch = ns->second.blobs.find(entry->first); ch != ns->second.blobs.end())
          ok = ch->second.find(blob.delta->base) != ch->second.end() || ch->second.find(entry->second) != ch->second.end();
    if (!ok)
      throw invalid_argument("put: the delta of channel \"" + entry->first + "\" at version \"" + entry->second +
                             "\" is based on version \"" + blob.delta->base + "\", which thread \"" + config.thread_id +
                             "\" (namespace \"" + config.checkpoint_ns + "\") has not stored");
  }
  NsData& data = impl_->threads[config.thread_id].namespaces[config.checkpoint_ns];
  for (auto& [entry, blob] : changed) {
    auto& versions = data.blobs[entry->first];
    // A value already stored for this version is kept (values are immutable per version).
    versions.try_emplace(entry->second, std::move(blob));
  }
  if (checkpoint.parent_writes_applied && !stored.parent_id.empty())
    if (const auto w = data.writes.find(stored.parent_id); w != data.writes.end()) {
      // The value writes (index >= 0) go; the special writes stay for history.
      for (auto task = w->second.begin(); task != w->second.end();) {
        task->second.erase(task->second.lower_bound(0), task->second.end());
        task = task->second.empty() ? w->second.erase(task) : std::next(task);
      }
      if (w->second.empty()) data.writes.erase(w);
    }
  data.checkpoints.insert_or_assign(data.checkpoints.end(), checkpoint.id, std::move(stored));
  return CheckpointConfig{config.thread_id, config.checkpoint_ns, checkpoint.id};
}

void InMemorySaver::put_writes(const CheckpointConfig& config,
                               std::span<const PendingWrite> writes, std::string_view task_id) {
  if (config.thread_id.empty()) throw invalid_argument("put_writes: config.thread_id is empty");
  const std::string* checkpoint_id = named_id(config);
  if (checkpoint_id == nullptr) {
    throw invalid_argument("put_writes: config.checkpoint_id is empty; writes belong to a checkpoint");
  }
  if (writes.empty()) return;
  const std::lock_guard lock(impl_->mutex);
  WriteMap& stored =
      impl_->threads[config.thread_id].namespaces[config.checkpoint_ns].writes[*checkpoint_id];
  auto task = stored.find(task_id);
  if (task == stored.end()) task = stored.emplace(std::string(task_id), TaskWrites{}).first;
  for (std::size_t i = 0; i < writes.size(); ++i) {
    const PendingWrite& w = writes[i];
    const int idx = format::write_index(w.channel, static_cast<int>(i));
    if (idx < 0) {
      task->second.insert_or_assign(idx, std::pair{w.channel, w.value});
    } else {
      task->second.try_emplace(idx, w.channel, w.value);
    }
  }
}

void InMemorySaver::delete_thread(std::string_view thread_id) {
  const std::lock_guard lock(impl_->mutex);
  if (const auto it = impl_->threads.find(thread_id); it != impl_->threads.end()) {
    impl_->threads.erase(it);
  }
}

std::size_t InMemorySaver::prune(std::string_view thread_id, const PruneOptions& options) {
  if (!options.keep_last && !options.before) return 0;
  const std::lock_guard lock(impl_->mutex);
  const auto thread = impl_->threads.find(thread_id);
  if (thread == impl_->threads.end()) return 0;
  std::size_t deleted = 0;
  for (auto& [ns, data] : thread->second.namespaces) {
    const std::size_t count = data.checkpoints.size();
    if (count <= 1) continue;
    // A checkpoint goes when either rule says so; the newest always stays.
    const std::size_t keep = std::max<std::size_t>(options.keep_last.value_or(count), 1);
    std::vector<std::string> doomed;
    std::size_t position = 0;  // 0 = oldest
    for (auto it = data.checkpoints.begin(); position + 1 < count; ++it, ++position) {
      const bool too_old = count - position > keep;
      const bool before = options.before && it->first < *options.before;
      if (too_old || before) doomed.push_back(it->first);
    }
    if (doomed.empty()) continue;
    deleted += doomed.size();
    Impl::erase_checkpoints(data, doomed);
  }
  return deleted;
}

void InMemorySaver::copy_thread(std::string_view from, std::string_view to) {
  if (from.empty() || to.empty()) throw invalid_argument("copy_thread: thread ids must not be empty");
  const std::lock_guard lock(impl_->mutex);
  if (impl_->threads.find(to) != impl_->threads.end()) {
    throw invalid_argument("copy_thread: destination thread \"" + std::string(to) +
                           "\" already exists; delete it first or pick another id");
  }
  const auto source = impl_->threads.find(from);
  if (source == impl_->threads.end()) return;
  impl_->threads.emplace(std::string(to), source->second);
}

std::vector<ThreadInfo> InMemorySaver::list_threads(const ThreadListOptions& options) {
  if (!options.filter.is_null() && !options.filter.is_object())
    throw invalid_argument("list_threads: filter must be a JSON object, got " + options.filter.dump());
  const bool filtered = options.filter.is_object() && !options.filter.empty();
  const std::lock_guard lock(impl_->mutex);
  std::vector<ThreadInfo> out;
  auto summarise = [&](const std::string& id, const ThreadData& thread) {
    ThreadInfo info;
    info.thread_id = id;
    bool match = !filtered;
    for (const auto& [ns, data] : thread.namespaces) {
      if (data.checkpoints.empty()) continue;
      info.namespaces.push_back(ns);
      info.checkpoints += data.checkpoints.size();
      const auto& [last_id, last] = *data.checkpoints.rbegin();
      if (last_id > info.last_checkpoint_id) {
        info.last_checkpoint_id = last_id;
        info.last_ts = last.ts;
        info.last_step.reset();
        if (const auto step = last.metadata.find("step"); step != last.metadata.end() && step->is_number_integer())
          info.last_step = step->get<std::int64_t>();
      }
      for (const auto& [cid, stored] : data.checkpoints) {
        info.bytes += Impl::bytes_of(stored);
        if (!match && stored.metadata.is_object()) match = metadata_matches(stored.metadata, options.filter);
      }
      for (const auto& [channel, versions] : data.blobs)
        for (const auto& [version, blob] : versions) info.bytes += Impl::bytes_of(blob);
      for (const auto& [cid, tasks] : data.writes)
        for (const auto& [task, writes] : tasks) info.bytes += Impl::bytes_of(writes);
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

std::map<std::string, std::uint64_t> InMemorySaver::checkpoint_bytes(const CheckpointConfig& config) {
  std::map<std::string, std::uint64_t> out;
  const std::lock_guard lock(impl_->mutex);
  const auto thread = impl_->threads.find(config.thread_id);
  if (thread == impl_->threads.end()) return out;
  const auto ns = thread->second.namespaces.find(config.checkpoint_ns);
  if (ns == thread->second.namespaces.end()) return out;
  const NsData& data = ns->second;
  std::set<std::pair<std::string_view, std::string_view>> counted;
  for (const auto& [id, stored] : data.checkpoints) {  // oldest first
    std::uint64_t bytes = Impl::bytes_of(stored);
    if (const auto w = data.writes.find(id); w != data.writes.end())
      for (const auto& [task, writes] : w->second) bytes += Impl::bytes_of(writes);
    stored.versions.for_each_channel([&](std::string_view channel, std::string_view version) {
      if (!counted.emplace(channel, version).second) return;
      const auto ch = data.blobs.find(channel);
      if (ch == data.blobs.end()) return;
      if (const auto b = ch->second.find(version); b != ch->second.end()) bytes += Impl::bytes_of(b->second);
    });
    out.emplace(id, bytes);
  }
  return out;
}

StorageStats InMemorySaver::storage_stats() {
  StorageStats stats;
  TableStats checkpoints{"sg_checkpoints", 0, 0, std::nullopt};
  TableStats blobs{"sg_blobs", 0, 0, std::nullopt};
  TableStats writes{"sg_writes", 0, 0, std::nullopt};
  const std::lock_guard lock(impl_->mutex);
  for (const auto& [id, thread] : impl_->threads) {
    for (const auto& [ns, data] : thread.namespaces) {
      checkpoints.rows += data.checkpoints.size();
      for (const auto& [cid, stored] : data.checkpoints) checkpoints.bytes += Impl::bytes_of(stored);
      for (const auto& [channel, versions] : data.blobs) {
        blobs.rows += versions.size();
        for (const auto& [version, blob] : versions) blobs.bytes += Impl::bytes_of(blob);
      }
      for (const auto& [cid, tasks] : data.writes)
        for (const auto& [task, w] : tasks) {
          writes.rows += w.size();
          writes.bytes += Impl::bytes_of(w);
        }
    }
  }
  stats.tables = {checkpoints, blobs, writes};
  return stats;
}

std::size_t InMemorySaver::value_count() const {
  const std::lock_guard lock(impl_->mutex);
  std::size_t n = 0;
  for (const auto& [thread_id, thread] : impl_->threads) {
    for (const auto& [ns, data] : thread.namespaces) {
      for (const auto& [channel, versions] : data.blobs) n += versions.size();
    }
  }
  return n;
}

}  // namespace sg
