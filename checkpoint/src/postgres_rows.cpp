#include "postgres_rows.hpp"

#include <algorithm>
#include <charconv>
#include <map>

#include "saver_algorithms.hpp"
#include "stategraph/checkpoint/error.hpp"

namespace sg::pg {

namespace {

using nlohmann::json;

std::string key_of(std::string_view a, std::string_view b, std::string_view c = {}) {
  std::string k;
  k.reserve(a.size() + b.size() + c.size() + 2);
  k.append(a).push_back('\0');
  k.append(b).push_back('\0');
  k.append(c);
  return k;
}

class ListDecoder {
 public:
  ListDecoder(const std::string& schema, const std::string& ns, bool values)
      : store_("schema \"" + schema + "\""), ns_(ns), values_(values) {}

  std::vector<CheckpointTuple> decode(const std::vector<ListRow>& rows) {
    struct CheckpointRow {
      std::string_view thread, id, ts, v, channel_versions, versions_seen, metadata;
      std::optional<std::string_view> parent, delta_chains;
    };
    std::vector<CheckpointRow> checkpoints;
    for (const ListRow& row : rows) {
      at_ = {text(row, 0, "thread_id"), ns_, {}, store_};
      if (row.kind == 0) {
        at_.checkpoint = text(row, 1, "checkpoint_id");
        checkpoints.push_back({at_.thread, at_.checkpoint, text(row, 3, "ts"), text(row, 4, "v"),
                               text(row, 5, "channel_versions"), text(row, 6, "versions_seen"),
                               text(row, 7, "metadata"), row.col[2], row.col[8]});
      } else if (row.kind == 1) {
        Blob blob;
        blob.base = row.col[3];
        blob.keep = row.col[4].value_or("0");
        blob.value = text(row, 5, "value");
        blobs_.insert_or_assign(key_of(at_.thread, text(row, 1, "channel"), text(row, 2, "version")), blob);
      } else if (row.kind == 2) {
        at_.checkpoint = text(row, 1, "checkpoint_id");
        writes_[key_of(at_.thread, at_.checkpoint)].push_back(
            {text(row, 2, "task_id"), text(row, 3, "channel"), text(row, 5, "value"),
             static_cast<int>(number(text(row, 4, "idx"), "a pending write's idx"))});
      } else {
        throw corrupt("a row of unknown kind " + std::to_string(row.kind));
      }
    }
    std::sort(checkpoints.begin(), checkpoints.end(), [](const CheckpointRow& a, const CheckpointRow& b) {
      return a.id != b.id ? a.id > b.id : a.thread < b.thread;
    });

    // Built oldest first, so that a value is copied from the tuple that already holds it (or its
    // delta base) rather than rebuilt: one copy per tuple, as the result needs anyway. `out` is
    // sized up front; the addresses of its values stay valid while it fills.
    std::vector<CheckpointTuple> out(checkpoints.size());
    for (std::size_t i = checkpoints.size(); i-- > 0;) {
      const CheckpointRow& row = checkpoints[i];
      CheckpointTuple& t = out[i];
      at_ = {row.thread, ns_, row.id, store_};
      t.config = CheckpointConfig{std::string(row.thread), ns_, std::string(row.id)};
      Checkpoint& c = t.checkpoint;
      c.id = row.id;
      c.ts = row.ts;
      c.v = static_cast<int>(number(row.v, "v"));
      try {
        parse(row.channel_versions, "channel_versions").get_to(c.channel_versions);
        parse(row.versions_seen, "versions_seen").get_to(c.versions_seen);
        t.metadata = parse(row.metadata, "metadata");
        if (row.delta_chains) c.delta_chains = parse(*row.delta_chains, "delta_chains");
      } catch (const json::exception& e) {
        throw corrupt(std::string("its channel_versions or versions_seen has the wrong shape: ") + e.what());
      }
      if (values_) {
        for (const auto& [channel, version] : c.channel_versions) {
          const auto value = c.channel_values.emplace_hint(c.channel_values.end(), channel, resolve(channel, version));
          built_.insert_or_assign(key_of(row.thread, channel, version), &value->second);
        }
      }
      if (row.parent) t.parent_config = CheckpointConfig{std::string(row.thread), ns_, std::string(*row.parent)};
      if (const auto w = writes_.find(key_of(row.thread, row.id)); w != writes_.end()) {
        auto& list = w->second;
        std::sort(list.begin(), list.end(), [](const WriteRow& a, const WriteRow& b) {
          return a.task != b.task ? a.task < b.task : a.idx < b.idx;
        });
        t.pending_writes.reserve(list.size());
        for (const WriteRow& wr : list)
          t.pending_writes.push_back({std::string(wr.task), std::string(wr.channel), parse(wr.value, "a pending write")});
      }
    }
    return out;
  }

 private:
  struct Blob {
    std::optional<std::string_view> base;
    std::string_view keep;
    std::string_view value;
  };
  struct WriteRow {
    std::string_view task, channel, value;
    int idx;
  };

  SaverCorrupt corrupt(const std::string& detail) const {
    return SaverCorrupt("postgres saver: " + saver_detail::describe(at_) + " is damaged: " + detail);
  }

  std::string_view text(const ListRow& row, std::size_t column, std::string_view what) const {
    if (!row.col[column]) throw corrupt("a row has no " + std::string(what));
    return *row.col[column];
  }

  long long number(std::string_view text, std::string_view what) const {
    long long n = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc() || end != text.data() + text.size() || n < std::numeric_limits<int>::min() ||
        n > std::numeric_limits<int>::max())
      throw corrupt(std::string(what) + " is not an integer: \"" + std::string(text) + "\"");
    return n;
  }

  json parse(std::string_view text, std::string_view what) const {
    json j = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) throw corrupt(std::string(what) + " does not parse");
    return j;
  }

  // The value of `channel` at `version` on the current thread: a copy of a value an older tuple
  // already holds, or the stored value, with the deltas on top (saver_algorithms).
  json resolve(const std::string& channel, std::string_view version) {
    std::map<std::string, ChannelDelta, std::less<>> deltas;  // this chain's, parsed
    std::optional<json> whole;
    auto lookup = [&](std::string_view v) -> std::optional<saver_detail::StoredVersion> {
      const std::string key = key_of(at_.thread, channel, v);
      if (const auto it = built_.find(key); it != built_.end()) return saver_detail::StoredVersion{it->second, nullptr, nullptr};
      const auto b = blobs_.find(key);
      if (b == blobs_.end()) return std::nullopt;
      if (!b->second.base) {
        whole = parse(b->second.value, "the value of channel \"" + channel + "\"");
        return saver_detail::StoredVersion{nullptr, &*whole, nullptr};
      }
      // A version seen before in this chain (damaged rows that loop) keeps its parsed delta:
      // resolve_value holds views of its base.
      if (const auto seen = deltas.find(v); seen != deltas.end())
        return saver_detail::StoredVersion{nullptr, nullptr, &seen->second};
      ChannelDelta& d = deltas[std::string(v)];
      d.base = std::string(*b->second.base);
      const long long keep = number(b->second.keep, "the keep of a delta");
      d.append = parse(b->second.value, "a delta of channel \"" + channel + "\"");
      if (keep < 0 || !d.append.is_array())
        throw corrupt("the delta of channel \"" + channel + "\" at version \"" + std::string(v) +
                      "\" is not {keep >= 0, append: array}");
      d.keep = static_cast<std::size_t>(keep);
      return saver_detail::StoredVersion{nullptr, nullptr, &d};
    };
    try {
      return saver_detail::resolve_value(at_, channel, version, lookup);
    } catch (const SaverCorrupt& e) {
      throw SaverCorrupt("postgres saver: " + std::string(e.message()));
    }
  }

  std::string store_;
  const std::string& ns_;
  bool values_;
  saver_detail::Location at_;
  std::unordered_map<std::string, Blob> blobs_;
  std::unordered_map<std::string, std::vector<WriteRow>> writes_;
  // (thread, channel, version) → the value in a tuple built already.
  std::unordered_map<std::string, const json*> built_;
};

}  // namespace

std::vector<CheckpointTuple> decode_list(const std::vector<ListRow>& rows, const std::string& schema,
                                         const std::string& ns, bool values) {
  ListDecoder decoder(schema, ns, values);
  return decoder.decode(rows);
}

}  // namespace sg::pg
