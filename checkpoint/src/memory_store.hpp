#pragma once
// Internal to stategraph::checkpoint: how InMemorySaver holds its data (InMemorySaver::Impl and
// the stored forms of checkpoints, values and writes), shared by memory_saver.cpp (the engine's
// calls) and memory_admin.cpp (inspection and maintenance).

#include <cstdint>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "stategraph/checkpoint/memory_saver.hpp"

namespace sg::memory_detail {

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
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
  nlohmann::json delta_chains;  // null for the empty object (most checkpoints: no allocation)
  CheckpointMetadata metadata;
  std::string parent_id;  // empty for the first checkpoint
};

/// A checkpoint's pending writes: task id → write index → (channel, value); iterating it yields
/// them in (task_id, idx) order. One task-id string per task, not one per write.
using TaskWrites = std::map<int, std::pair<std::string, nlohmann::json>>;
using WriteMap = std::map<std::string, TaskWrites, std::less<>>;

/// A stored channel value: the value itself, or a delta against an older version of the channel.
/// 24 bytes: most values are whole (a graph's trigger channels store a bool per version), so the
/// rarer delta lives on the heap.
struct Blob {
  nlohmann::json value;
  std::unique_ptr<ChannelDelta> delta;

  Blob() = default;
  Blob(Blob&&) noexcept = default;
  Blob& operator=(Blob&&) noexcept = default;
  Blob(const Blob& other)  // copy_thread
      : value(other.value), delta(other.delta ? std::make_unique<ChannelDelta>(*other.delta) : nullptr) {}
  Blob& operator=(const Blob& other) {
    if (this != &other) *this = Blob(other);
    return *this;
  }
  ~Blob() = default;
};

/// The versions of one channel: a sorted map, which for the one or two versions most channels of
/// a thread have costs a node each and no bucket array.
using VersionMap = std::map<std::string, Blob, std::less<>>;

struct NsData {
  std::map<std::string, Stored> checkpoints;    // id → checkpoint; ids are time-ordered
  StringMap<VersionMap> blobs;                  // channel → version → value or delta
  std::map<std::string, WriteMap> writes;       // checkpoint id → writes
};

struct ThreadData {
  std::map<std::string, NsData> namespaces;
};

// JSON text sizes of what is stored, for list_threads, checkpoint_bytes and storage_stats.
std::uint64_t bytes_of(const Blob& blob);
std::uint64_t bytes_of(const Stored& stored);
std::uint64_t bytes_of(const TaskWrites& writes);

}  // namespace sg::memory_detail

namespace sg {

struct InMemorySaver::Impl {
  mutable std::mutex mutex;
  memory_detail::StringMap<memory_detail::ThreadData> threads;

  // The namespace's data, or nullptr. Call with the mutex held.
  const memory_detail::NsData* find(std::string_view thread_id, std::string_view ns) const;

  // Assembles the tuple of a stored checkpoint; throws SaverCorrupt when a value is missing.
  // With `older` (ListOptions::deltas: the versions of the next tuple listed), a channel at the
  // same version is left out and one stored as a delta on its version goes to channel_deltas.
  static CheckpointTuple make_tuple(const std::string& thread_id, const std::string& ns,
                                    const memory_detail::NsData& data,
                                    std::map<std::string, memory_detail::Stored>::const_iterator it, bool values = true,
                                    const ChannelVersions* older = nullptr);

  // Deletes the given checkpoints of a namespace, their writes and the values left unreferenced.
  static void erase_checkpoints(memory_detail::NsData& data, const std::vector<std::string>& ids);
};

}  // namespace sg
