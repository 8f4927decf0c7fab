#include "stategraph/checkpoint/sqlite_saver.hpp"

#include <algorithm>
#include <cstdint>
#include <deque>
#include <iterator>
#include <limits>
#include <map>
#include <mutex>
#include <set>
#include <system_error>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <variant>
#include <vector>

#include "sqlite_connection.hpp"
#include "sqlite_schema.hpp"
#include "sqlite_thread_lock.hpp"
#include "stategraph/checkpoint/error.hpp"

namespace sg {

using nlohmann::json;
using sqlite_detail::Connection;
using sqlite_detail::Stmt;
using sqlite_detail::Transaction;

static_assert(SqliteSaver::kSchemaVersion == sqlite_detail::kSchemaVersion);

namespace {

using Bytes = std::vector<std::uint8_t>;

// ----------------------------------------------------------------------------------- helpers

// The checkpoint id a config names; an empty string counts as none.
const std::string* named_id(const CheckpointConfig& config) {
  return config.checkpoint_id && !config.checkpoint_id->empty() ? &*config.checkpoint_id : nullptr;
}

SaverError invalid_argument(std::string_view message) { return SaverError("sg.saver.403", message); }

bool metadata_matches(const json& metadata, const json& filter) {
  if (!metadata.is_object()) return filter.empty();
  for (const auto& [key, value] : filter.items()) {
    const auto it = metadata.find(key);
    if (it == metadata.end() || *it != value) return false;
  }
  return true;
}

// "checkpoint "<id>" of thread "<t>" (namespace "<ns>")", for error messages.
std::string where(std::string_view thread, std::string_view ns, std::string_view checkpoint) {
  std::string s = "checkpoint \"";
  s.append(checkpoint).append("\" of thread \"").append(thread).append("\" (namespace \"").append(ns).append("\")");
  return s;
}

// Stored values are self-described CBOR (RFC 8949 §3.4.6): the tag 55799 (bytes d9 d9 f7) and
// the value. The 3-byte mark lets a read tell damaged or foreign bytes from a value: plain CBOR
// would accept most text ("garbage" is a valid CBOR string) as some value.
constexpr std::uint8_t kCborMark[] = {0xd9, 0xd9, 0xf7};

Bytes encode(const json& value) {
  Bytes out(std::begin(kCborMark), std::end(kCborMark));
  json::to_cbor(value, out);
  return out;
}

// Decodes a stored value; nullopt when the bytes are not the mark and exactly one CBOR value.
std::optional<json> decode(std::span<const std::uint8_t> bytes) {
  if (bytes.size() <= sizeof kCborMark || !std::equal(std::begin(kCborMark), std::end(kCborMark), bytes.begin()))
    return std::nullopt;
  try {
    json j = json::from_cbor(bytes.data() + sizeof kCborMark, bytes.data() + bytes.size(), /*strict=*/true,
                             /*allow_exceptions=*/false);
    if (j.is_discarded()) return std::nullopt;
    return j;
  } catch (const json::exception&) {
    return std::nullopt;
  }
}

// Metadata as JSON text (filterable in SQL). @throws sg.saver.403 on invalid UTF-8.
std::string metadata_text(const json& metadata) {
  try {
    return metadata.dump();
  } catch (const json::exception& e) {
    throw invalid_argument(std::string("put: metadata cannot be stored as JSON: ") + e.what());
  }
}

// The checkpoint row's CBOR: everything but the values (and the id, a column).
Bytes encode_header(const Checkpoint& c) {
  json j = json::object();
  j["v"] = c.v;
  j["ts"] = c.ts;
  j["channel_versions"] = c.channel_versions;
  j["versions_seen"] = c.versions_seen;
  if (!c.delta_chains.is_object() || !c.delta_chains.empty()) j["delta_chains"] = c.delta_chains;
  return encode(j);
}

// Fills v, ts, channel_versions, versions_seen and delta_chains (format 2; absent in format 1)
// from a checkpoint row; throws SaverCorrupt.
void decode_header(std::span<const std::uint8_t> bytes, Checkpoint& c, const std::string& at) {
  const auto j = decode(bytes);
  if (!j) throw SaverCorrupt(at + ": the checkpoint row does not decode (damaged data)");
  try {
    j->at("v").get_to(c.v);
    j->at("ts").get_to(c.ts);
    j->at("channel_versions").get_to(c.channel_versions);
    j->at("versions_seen").get_to(c.versions_seen);
    if (const auto it = j->find("delta_chains"); it != j->end()) c.delta_chains = *it;
  } catch (const json::exception& e) {
    throw SaverCorrupt(at + ": the checkpoint row has an unexpected shape: " + e.what());
  }
}

json decode_metadata(std::string_view text, const std::string& at) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) throw SaverCorrupt(at + ": the metadata is not valid JSON (damaged data)");
  return j;
}

// ---------------------------------------------------------------------------------- Resolver

constexpr const char* kSelectBlob =
    "SELECT base, keep, data FROM sg_blobs WHERE thread_id = ? AND checkpoint_ns = ? AND channel = ? AND version = ?";

// A stored value row: the value itself, or a delta (base set) whose data is the appended array.
struct BlobRow {
  std::optional<std::string> base;
  std::size_t keep = 0;
  json data;
};

// Resolves channel values of one (thread, namespace) in one read transaction, following delta
// chains. With `remember` (list), decoded rows are kept for the later checkpoints of the call,
// so each row is read and decoded once however many chains pass through it, and a value that
// was already returned (see note()) is copied from the tuple that holds it.
class Resolver {
 public:
  Resolver(Connection& c, std::string thread, std::string ns, bool remember)
      : c_(c), thread_(std::move(thread)), ns_(std::move(ns)), remember_(remember) {}

  json value(const std::string& checkpoint, const std::string& channel, const std::string& version) {
    std::string key = channel;
    key += '\0';
    key += version;
    if (remember_)
      if (const auto it = values_.find(key); it != values_.end()) return *it->second;
    owned_.clear();
    std::vector<const BlobRow*> chain;
    std::unordered_set<std::string> seen;  // only for long chains: a cycle means damaged data
    json result;
    for (std::string v = version;;) {
      if (chain.size() > 256 && !seen.insert(v).second)
        throw SaverCorrupt(where(thread_, ns_, checkpoint) + ": the deltas of channel \"" + channel +
                           "\" form a cycle at version \"" + v + "\" (damaged data)");
      BlobRow& row = fetch(checkpoint, channel, v);
      if (!row.base) {
        result = remember_ ? row.data : std::move(row.data);
        break;
      }
      chain.push_back(&row);
      v = *row.base;
    }
    for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
      const BlobRow& delta = **it;
      if (!result.is_array() || result.size() < delta.keep)
        throw SaverCorrupt(where(thread_, ns_, checkpoint) + ": a delta of channel \"" + channel + "\" keeps " +
                           std::to_string(delta.keep) + " elements of version \"" + *delta.base +
                           "\", which is not an array of at least that many (damaged data)");
      auto& array = result.get_ref<json::array_t&>();
      array.erase(array.begin() + static_cast<std::ptrdiff_t>(delta.keep), array.end());
      // insert grows the array geometrically; reserving the exact size here would move the whole
      // list once per delta (quadratic along a chain of thousands).
      array.insert(array.end(), delta.data.begin(), delta.data.end());
    }
    return result;
  }

  // Records where the value of (channel, version) now lives (a node of a tuple's
  // channel_values, which stays put while the tuple is moved), for later checkpoints to copy.
  void note(const std::string& channel, const std::string& version, const json* value) {
    if (!remember_) return;
    std::string key = channel;
    key += '\0';
    key += version;
    values_.emplace(std::move(key), value);
  }

 private:
  BlobRow& fetch(const std::string& checkpoint, const std::string& channel, const std::string& version) {
    std::string key;
    if (remember_) {
      key = channel;
      key += '\0';
      key += version;
      if (const auto it = rows_.find(key); it != rows_.end()) return it->second;
    }
    auto s = c_.prepare(kSelectBlob);
    s.bind(1, thread_).bind(2, ns_).bind(3, channel).bind(4, version);
    if (!s.step())
      throw SaverCorrupt(where(thread_, ns_, checkpoint) + " refers to channel \"" + channel + "\" at version \"" +
                         version + "\", which is not stored");
    BlobRow row;
    if (!s.is_null(0)) {
      row.base = std::string(s.text(0));
      const std::int64_t keep = s.int64(1);
      if (keep < 0)
        throw SaverCorrupt(where(thread_, ns_, checkpoint) + ": channel \"" + channel + "\" at version \"" + version +
                           "\" has a negative keep (damaged data)");
      row.keep = static_cast<std::size_t>(keep);
    }
    auto data = decode(s.blob(2));
    if (!data || (row.base && !data->is_array()))
      throw SaverCorrupt(where(thread_, ns_, checkpoint) + ": the stored value of channel \"" + channel +
                         "\" at version \"" + version + "\" does not decode (damaged data)");
    row.data = std::move(*data);
    if (remember_) return rows_.emplace(std::move(key), std::move(row)).first->second;
    return owned_.emplace_back(std::move(row));
  }

  Connection& c_;
  std::string thread_;
  std::string ns_;
  bool remember_;
  std::unordered_map<std::string, BlobRow> rows_;  // remember_: channel '\0' version → row
  std::unordered_map<std::string, const json*> values_;  // remember_: values already returned
  std::deque<BlobRow> owned_;                      // !remember_: rows of the current chain
};

// Reads the pending writes of a checkpoint, ordered by (task_id, idx).
std::vector<PendingWrite> load_writes(Connection& c, const std::string& thread, const std::string& ns,
                                      const std::string& checkpoint) {
  std::vector<PendingWrite> out;
  auto s = c.prepare(
      "SELECT task_id, channel, value FROM sg_writes WHERE thread_id = ? AND checkpoint_ns = ? AND checkpoint_id = ? "
      "ORDER BY task_id, idx");
  s.bind(1, thread).bind(2, ns).bind(3, checkpoint);
  while (s.step()) {
    PendingWrite w;
    w.task_id = s.text(0);
    w.channel = s.text(1);
    auto value = decode(s.blob(2));
    if (!value)
      throw SaverCorrupt(where(thread, ns, checkpoint) + ": the pending write of task \"" + w.task_id +
                         "\" to channel \"" + w.channel + "\" does not decode (damaged data)");
    w.value = std::move(*value);
    out.push_back(std::move(w));
  }
  return out;
}

// A checkpoint row as read from sg_checkpoints.
struct CheckpointRow {
  std::string thread_id;
  std::string checkpoint_id;
  std::optional<std::string> parent_id;
  json metadata;
  Bytes header;
};

void fill_values(Resolver& resolver, const std::string& checkpoint_id, Checkpoint& checkpoint);

// Builds the tuple of a row: values resolved (unless `resolver` is null), writes attached.
CheckpointTuple build_tuple(Connection& c, Resolver* resolver, const std::string& ns, CheckpointRow row) {
  CheckpointTuple tuple;
  const std::string at = where(row.thread_id, ns, row.checkpoint_id);
  Checkpoint& checkpoint = tuple.checkpoint;
  checkpoint.id = row.checkpoint_id;
  decode_header(row.header, checkpoint, at);
  if (resolver != nullptr) fill_values(*resolver, row.checkpoint_id, checkpoint);
  tuple.metadata = std::move(row.metadata);
  upgrade_checkpoint(checkpoint, tuple.metadata);
  if (row.parent_id) tuple.parent_config = CheckpointConfig{row.thread_id, ns, std::move(*row.parent_id)};
  tuple.pending_writes = load_writes(c, row.thread_id, ns, row.checkpoint_id);
  tuple.config = CheckpointConfig{std::move(row.thread_id), ns, std::move(row.checkpoint_id)};
  return tuple;
}

void fill_values(Resolver& resolver, const std::string& checkpoint_id, Checkpoint& checkpoint) {
  for (const auto& [channel, version] : checkpoint.channel_versions) {
    const auto it = checkpoint.channel_values.emplace_hint(checkpoint.channel_values.end(), channel,
                                                           resolver.value(checkpoint_id, channel, version));
    resolver.note(channel, version, &it->second);
  }
}

// Reads columns (thread_id, checkpoint_id, parent_checkpoint_id, metadata, checkpoint).
CheckpointRow read_row(const Stmt& s, const std::string& ns) {
  CheckpointRow row;
  row.thread_id = s.text(0);
  row.checkpoint_id = s.text(1);
  if (!s.is_null(2)) row.parent_id = std::string(s.text(2));
  row.metadata = decode_metadata(s.text(3), where(row.thread_id, ns, row.checkpoint_id));
  const auto header = s.blob(4);
  row.header.assign(header.begin(), header.end());
  return row;
}

// A value to bind in a dynamically built statement.
using Param = std::variant<std::string, std::int64_t>;

void bind_all(Stmt& s, const std::vector<Param>& params) {
  int i = 1;
  for (const auto& p : params) {
    if (const auto* text = std::get_if<std::string>(&p)) {
      s.bind(i++, std::string_view(*text));
    } else {
      s.bind(i++, std::get<std::int64_t>(p));
    }
  }
}

// SQL conditions that keep at least every row whose metadata matches `filter` (JSON equality is
// then checked in C++). Keys SQLite's JSON path syntax cannot quote get no condition.
void filter_sql(const json& filter, std::string& sql, std::vector<Param>& params) {
  for (const auto& [key, value] : filter.items()) {
    if (key.empty() || key.find_first_of("\"\\") != std::string::npos || key.find('\0') != std::string::npos) {
      continue;
    }
    const std::string path = "$.\"" + key + "\"";
    // json_valid first: a damaged row is kept so that reading it reports SaverCorrupt.
    sql += " AND CASE WHEN json_valid(metadata) THEN ";
    params.emplace_back(path);
    switch (value.type()) {
      case json::value_t::string: {
        const auto& text = value.get_ref<const std::string&>();
        if (text.find('\0') != std::string::npos) {
          sql += "json_type(metadata, ?) = 'text'";
        } else {
          sql += "json_type(metadata, ?) = 'text' AND json_extract(metadata, ?) = ?";
          params.emplace_back(path);
          params.emplace_back(text);
        }
        break;
      }
      case json::value_t::number_integer:
        sql += "json_type(metadata, ?) IN ('integer', 'real') AND json_extract(metadata, ?) = ?";
        params.emplace_back(path);
        params.emplace_back(value.get<std::int64_t>());
        break;
      case json::value_t::number_unsigned:
        if (value.get<std::uint64_t>() <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
          sql += "json_type(metadata, ?) IN ('integer', 'real') AND json_extract(metadata, ?) = ?";
          params.emplace_back(path);
          params.emplace_back(static_cast<std::int64_t>(value.get<std::uint64_t>()));
        } else {
          sql += "json_type(metadata, ?) IN ('integer', 'real')";
        }
        break;
      case json::value_t::number_float:  // no equality in SQL: its float parsing may differ in the last bit
        sql += "json_type(metadata, ?) IN ('integer', 'real')";
        break;
      case json::value_t::boolean:
        sql += value.get<bool>() ? "json_type(metadata, ?) = 'true'" : "json_type(metadata, ?) = 'false'";
        break;
      case json::value_t::null:
        sql += "json_type(metadata, ?) = 'null'";
        break;
      case json::value_t::object:
        sql += "json_type(metadata, ?) = 'object'";
        break;
      case json::value_t::array:
        sql += "json_type(metadata, ?) = 'array'";
        break;
      default:
        sql += "json_type(metadata, ?) IS NOT NULL";
        break;
    }
    sql += " ELSE 1 END";
  }
}

// A value of a put, encoded before the transaction starts.
struct NewBlob {
  const std::string* channel;
  const std::string* version;
  const std::string* base;  // delta base, or nullptr for a value
  std::int64_t keep = 0;
  Bytes data;
};

}  // namespace

// --------------------------------------------------------------------------------------- Impl

struct SqliteSaver::Impl {
  std::filesystem::path path;
  std::string path_string;
  SqliteSaverOptions options;
  std::filesystem::path lock_directory;

  std::mutex mutex;
  std::vector<std::unique_ptr<Connection>> idle;

  std::unique_ptr<Connection> open() const {
    return std::make_unique<Connection>(path_string, options.busy_timeout,
                                        options.synchronous == SqliteSynchronous::full, options.read_only);
  }

  // Writing calls on a read-only saver fail before touching the file.
  void require_writable(std::string_view call) const {
    if (options.read_only)
      throw SaverError("sg.saver.409", std::string(call) + ": the SQLite database \"" + path_string +
                                           "\" was opened read-only (SqliteSaverOptions::read_only)");
  }

  // A pooled connection, used by one thread until the lease ends.
  class Lease {
   public:
    Lease(Impl& impl, std::unique_ptr<Connection> c) : impl_(impl), c_(std::move(c)) {}
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() { impl_.give_back(std::move(c_)); }
    Connection& operator*() const noexcept { return *c_; }
    Connection* operator->() const noexcept { return c_.get(); }

   private:
    Impl& impl_;
    std::unique_ptr<Connection> c_;
  };

  Lease lease() {
    {
      const std::lock_guard lock(mutex);
      if (!idle.empty()) {
        auto c = std::move(idle.back());
        idle.pop_back();
        return Lease(*this, std::move(c));
      }
    }
    return Lease(*this, open());
  }

  void give_back(std::unique_ptr<Connection> c) noexcept {
    if (!c->autocommit()) {
      // A transaction survived an error: roll it back, or drop the connection.
      sqlite3_exec(c->db(), "ROLLBACK", nullptr, nullptr, nullptr);
      if (!c->autocommit()) return;
    }
    const std::lock_guard lock(mutex);
    if (idle.size() < options.max_idle_connections) idle.push_back(std::move(c));
  }
};

SqliteSaver::SqliteSaver(std::filesystem::path path, SqliteSaverOptions options) : impl_(std::make_unique<Impl>()) {
  const std::string text = path.string();
  if (text.empty() || text == ":memory:" || text.rfind("file:", 0) == 0)
    throw invalid_argument("SqliteSaver: \"" + text +
                           "\" is not a database file path (in-memory databases and URIs are not supported; "
                           "use InMemorySaver for a database that does not outlive the process)");
  impl_->path = std::move(path);
  impl_->path_string = text;
  impl_->options = std::move(options);
  impl_->lock_directory =
      impl_->options.lock_directory.empty() ? std::filesystem::path(text + ".locks") : impl_->options.lock_directory;
  auto c = impl_->open();
  sqlite_detail::prepare_schema(*c);
  impl_->idle.push_back(std::move(c));
}

SqliteSaver::~SqliteSaver() = default;

const std::filesystem::path& SqliteSaver::path() const noexcept { return impl_->path; }

// ---------------------------------------------------------------------------------- reading

std::optional<CheckpointTuple> SqliteSaver::get_tuple(const CheckpointConfig& config) {
  auto c = impl_->lease();
  Transaction tx(*c, Transaction::Mode::read);
  const std::string* id = named_id(config);
  std::optional<CheckpointRow> row;
  {
    auto s = c->prepare(
      id != nullptr
          ? "SELECT thread_id, checkpoint_id, parent_checkpoint_id, metadata, checkpoint FROM sg_checkpoints "
            "WHERE thread_id = ? AND checkpoint_ns = ? AND checkpoint_id = ?"
          : "SELECT thread_id, checkpoint_id, parent_checkpoint_id, metadata, checkpoint FROM sg_checkpoints "
            "WHERE thread_id = ? AND checkpoint_ns = ? ORDER BY checkpoint_id DESC LIMIT 1");
    s.bind(1, config.thread_id).bind(2, config.checkpoint_ns);
    if (id != nullptr) s.bind(3, *id);
    if (!s.step()) return std::nullopt;
    row = read_row(s, config.checkpoint_ns);
  }
  Resolver resolver(*c, config.thread_id, config.checkpoint_ns, /*remember=*/false);
  auto tuple = build_tuple(*c, &resolver, config.checkpoint_ns, std::move(*row));
  tx.commit();
  return tuple;
}

std::vector<CheckpointTuple> SqliteSaver::list(const CheckpointConfig& config, const ListOptions& options) {
  if (!options.filter.is_null() && !options.filter.is_object())
    throw invalid_argument("list: filter must be a JSON object, got " + options.filter.dump());
  const bool filtered = options.filter.is_object() && !options.filter.empty();
  const std::size_t limit = options.limit.value_or(std::numeric_limits<std::size_t>::max());
  std::vector<CheckpointTuple> result;
  if (limit == 0) return result;

  std::string sql =
      "SELECT thread_id, checkpoint_id, parent_checkpoint_id, metadata, checkpoint FROM sg_checkpoints "
      "WHERE checkpoint_ns = ?";
  std::vector<Param> params{config.checkpoint_ns};
  const bool all_threads = config.thread_id.empty();
  if (!all_threads) {
    sql += " AND thread_id = ?";
    params.emplace_back(config.thread_id);
  }
  if (const std::string* id = named_id(config)) {
    sql += " AND checkpoint_id = ?";
    params.emplace_back(*id);
  }
  if (options.before) {
    sql += " AND checkpoint_id < ?";
    params.emplace_back(*options.before);
  }
  if (filtered) filter_sql(options.filter, sql, params);
  sql += all_threads ? " ORDER BY checkpoint_id DESC, thread_id DESC" : " ORDER BY checkpoint_id DESC";

  auto c = impl_->lease();
  Transaction tx(*c, Transaction::Mode::read);
  // Tuples are built in a deque: the resolvers point into earlier tuples' values, and a deque
  // never moves its elements when it grows.
  std::deque<CheckpointTuple> built;
  {
    auto s = c->prepare(sql);
    bind_all(s, params);
    std::map<std::string, Resolver, std::less<>> resolvers;  // one per thread (list of all threads)
    while (built.size() < limit && s.step()) {
      CheckpointRow row = read_row(s, config.checkpoint_ns);
      if (filtered && !metadata_matches(row.metadata, options.filter)) continue;
      if (!options.values) {
        built.push_back(build_tuple(*c, nullptr, config.checkpoint_ns, std::move(row)));
        continue;
      }
      auto r = resolvers.find(row.thread_id);
      if (r == resolvers.end())
        r = resolvers.try_emplace(row.thread_id, *c, row.thread_id, config.checkpoint_ns, /*remember=*/true).first;
      built.push_back(build_tuple(*c, &r->second, config.checkpoint_ns, std::move(row)));
    }
  }  // the statement is reset before the transaction ends
  tx.commit();
  result.reserve(built.size());
  for (auto& t : built) result.push_back(std::move(t));
  return result;
}

std::optional<std::string> SqliteSaver::latest_checkpoint_id(const CheckpointConfig& config) {
  auto c = impl_->lease();
  auto s = c->prepare(
      "SELECT checkpoint_id FROM sg_checkpoints WHERE thread_id = ? AND checkpoint_ns = ? "
      "ORDER BY checkpoint_id DESC LIMIT 1");
  s.bind(1, config.thread_id).bind(2, config.checkpoint_ns);
  if (!s.step()) return std::nullopt;
  return std::string(s.text(0));
}

// ---------------------------------------------------------------------------------- writing

CheckpointConfig SqliteSaver::put(const CheckpointConfig& config, const Checkpoint& checkpoint,
                                  const CheckpointMetadata& metadata, const ChannelVersions& new_versions) {
  impl_->require_writable("put");
  if (config.thread_id.empty())
    throw invalid_argument("put: config.thread_id is empty; every checkpoint belongs to a thread");
  if (checkpoint.id.empty())
    throw invalid_argument("put: checkpoint.id is empty; create it with sg::new_checkpoint_id()");
  // Validate and encode before touching the database, so a failed put stores nothing.
  std::vector<NewBlob> blobs;
  blobs.reserve(new_versions.size());
  for (const auto& [channel, version] : new_versions) {
    const auto current = checkpoint.channel_versions.find(channel);
    if (current == checkpoint.channel_versions.end()) continue;  // channel now has no value
    if (current->second != version)
      throw invalid_argument("put: new_versions gives channel \"" + channel + "\" version \"" + version +
                             "\" but channel_versions has \"" + current->second + "\"");
    NewBlob blob{&channel, &version, nullptr, 0, {}};
    if (const auto value = checkpoint.channel_values.find(channel); value != checkpoint.channel_values.end()) {
      blob.data = encode(value->second);
    } else if (const auto delta = checkpoint.channel_deltas.find(channel); delta != checkpoint.channel_deltas.end()) {
      const ChannelDelta& d = delta->second;
      check_delta(channel, version, d);
      if (d.keep > static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max()))
        throw invalid_argument("put: the delta of channel \"" + channel + "\" keeps too many elements");
      blob.base = &d.base;
      blob.keep = static_cast<std::int64_t>(d.keep);
      blob.data = encode(d.append);
    } else {
      throw invalid_argument("put: channel \"" + channel +
                             "\" is in new_versions but has no entry in channel_values or channel_deltas");
    }
    blobs.push_back(std::move(blob));
  }
  const Bytes header = encode_header(checkpoint);
  const std::string meta = metadata_text(metadata);
  const std::string* parent = named_id(config);

  auto c = impl_->lease();
  Transaction tx(*c, Transaction::Mode::write);
  auto stored = [&](const std::string& channel, const std::string& version) {
    auto s = c->prepare(
        "SELECT 1 FROM sg_blobs WHERE thread_id = ? AND checkpoint_ns = ? AND channel = ? AND version = ?");
    s.bind(1, config.thread_id).bind(2, config.checkpoint_ns).bind(3, channel).bind(4, version);
    return s.step();
  };
  for (const NewBlob& blob : blobs) {
    if (blob.base != nullptr && !stored(*blob.channel, *blob.base) && !stored(*blob.channel, *blob.version))
      throw invalid_argument("put: the delta of channel \"" + *blob.channel + "\" at version \"" + *blob.version +
                             "\" is based on version \"" + *blob.base + "\", which thread \"" + config.thread_id +
                             "\" (namespace \"" + config.checkpoint_ns + "\") has not stored");
    // A value already stored for this version is kept (values are immutable per version).
    auto s = c->prepare(
        "INSERT OR IGNORE INTO sg_blobs (thread_id, checkpoint_ns, channel, version, base, keep, data) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)");
    s.bind(1, config.thread_id).bind(2, config.checkpoint_ns).bind(3, *blob.channel).bind(4, *blob.version);
    if (blob.base != nullptr) {
      s.bind(5, *blob.base);
    } else {
      s.bind_null(5);
    }
    s.bind(6, blob.keep).bind_blob(7, blob.data).run();
  }
  {
    auto s = c->prepare(
        "INSERT OR REPLACE INTO sg_checkpoints "
        "(thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, metadata, checkpoint) "
        "VALUES (?, ?, ?, ?, ?, ?)");
    s.bind(1, config.thread_id).bind(2, config.checkpoint_ns).bind(3, checkpoint.id);
    if (parent != nullptr) {
      s.bind(4, *parent);
    } else {
      s.bind_null(4);
    }
    s.bind(5, meta).bind_blob(6, header).run();
  }
  if (checkpoint.parent_writes_applied && parent != nullptr) {
    // The value writes go; the special writes (negative idx) stay for history.
    c->prepare("DELETE FROM sg_writes WHERE thread_id = ? AND checkpoint_ns = ? AND checkpoint_id = ? AND idx >= 0")
        .bind(1, config.thread_id)
        .bind(2, config.checkpoint_ns)
        .bind(3, *parent)
        .run();
  }
  tx.commit();
  return CheckpointConfig{config.thread_id, config.checkpoint_ns, checkpoint.id};
}

void SqliteSaver::put_writes(const CheckpointConfig& config, std::span<const PendingWrite> writes,
                             std::string_view task_id) {
  impl_->require_writable("put_writes");
  if (config.thread_id.empty()) throw invalid_argument("put_writes: config.thread_id is empty");
  const std::string* checkpoint_id = named_id(config);
  if (checkpoint_id == nullptr)
    throw invalid_argument("put_writes: config.checkpoint_id is empty; writes belong to a checkpoint");
  if (writes.empty()) return;
  std::vector<Bytes> values;
  values.reserve(writes.size());
  for (const PendingWrite& w : writes) values.push_back(encode(w.value));

  auto c = impl_->lease();
  Transaction tx(*c, Transaction::Mode::write);
  for (std::size_t i = 0; i < writes.size(); ++i) {
    const int idx = format::write_index(writes[i].channel, static_cast<int>(i));
    auto s = c->prepare(idx < 0
                            ? "INSERT OR REPLACE INTO sg_writes "
                              "(thread_id, checkpoint_ns, checkpoint_id, task_id, idx, channel, value) "
                              "VALUES (?, ?, ?, ?, ?, ?, ?)"
                            : "INSERT OR IGNORE INTO sg_writes "
                              "(thread_id, checkpoint_ns, checkpoint_id, task_id, idx, channel, value) "
                              "VALUES (?, ?, ?, ?, ?, ?, ?)");
    s.bind(1, config.thread_id).bind(2, config.checkpoint_ns).bind(3, *checkpoint_id).bind(4, task_id);
    s.bind(5, std::int64_t{idx});
    s.bind(6, writes[i].channel).bind_blob(7, values[i]).run();
  }
  tx.commit();
}

void SqliteSaver::delete_thread(std::string_view thread_id) {
  impl_->require_writable("delete_thread");
  auto c = impl_->lease();
  Transaction tx(*c, Transaction::Mode::write);
  for (const char* sql : {"DELETE FROM sg_writes WHERE thread_id = ?", "DELETE FROM sg_blobs WHERE thread_id = ?",
                          "DELETE FROM sg_checkpoints WHERE thread_id = ?"}) {
    c->prepare(sql).bind(1, thread_id).run();
  }
  tx.commit();
}

std::size_t SqliteSaver::prune(std::string_view thread_id, const PruneOptions& options) {
  impl_->require_writable("prune");
  if (!options.keep_last && !options.before) return 0;
  auto c = impl_->lease();
  Transaction tx(*c, Transaction::Mode::write);
  std::vector<std::string> namespaces;
  {
    auto s = c->prepare("SELECT DISTINCT checkpoint_ns FROM sg_checkpoints WHERE thread_id = ?");
    s.bind(1, thread_id);
    while (s.step()) namespaces.emplace_back(s.text(0));
  }
  std::size_t deleted = 0;
  for (const std::string& ns : namespaces) {
    std::vector<std::string> ids;  // oldest first
    {
      auto s = c->prepare(
          "SELECT checkpoint_id FROM sg_checkpoints WHERE thread_id = ? AND checkpoint_ns = ? ORDER BY checkpoint_id");
      s.bind(1, thread_id).bind(2, ns);
      while (s.step()) ids.emplace_back(s.text(0));
    }
    const std::size_t count = ids.size();
    if (count <= 1) continue;
    // A checkpoint goes when either rule says so; the newest always stays.
    const std::size_t keep = std::max<std::size_t>(options.keep_last.value_or(count), 1);
    std::size_t doomed = 0;
    for (std::size_t position = 0; position + 1 < count; ++position) {
      const bool too_old = count - position > keep;
      const bool before = options.before && ids[position] < *options.before;
      if (!too_old && !before) continue;
      for (const char* sql :
           {"DELETE FROM sg_writes WHERE thread_id = ? AND checkpoint_ns = ? AND checkpoint_id = ?",
            "DELETE FROM sg_checkpoints WHERE thread_id = ? AND checkpoint_ns = ? AND checkpoint_id = ?"}) {
        c->prepare(sql).bind(1, thread_id).bind(2, ns).bind(3, ids[position]).run();
      }
      ++doomed;
    }
    if (doomed == 0) continue;
    deleted += doomed;

    // Values the remaining checkpoints refer to, with the bases of their delta chains.
    std::map<std::string, std::map<std::string, std::optional<std::string>>, std::less<>> blobs;  // channel → version → base
    {
      auto s = c->prepare("SELECT channel, version, base FROM sg_blobs WHERE thread_id = ? AND checkpoint_ns = ?");
      s.bind(1, thread_id).bind(2, ns);
      while (s.step()) {
        std::optional<std::string> base;
        if (!s.is_null(2)) base = std::string(s.text(2));
        blobs[std::string(s.text(0))].emplace(s.text(1), std::move(base));
      }
    }
    std::set<std::pair<std::string, std::string>> referenced;
    {
      auto s = c->prepare(
          "SELECT checkpoint_id, checkpoint FROM sg_checkpoints WHERE thread_id = ? AND checkpoint_ns = ?");
      s.bind(1, thread_id).bind(2, ns);
      while (s.step()) {
        Checkpoint header;
        decode_header(s.blob(1), header, where(thread_id, ns, s.text(0)));
        for (const auto& [channel, version] : header.channel_versions) {
          const auto ch = blobs.find(channel);
          for (std::string v = version; referenced.emplace(channel, v).second && ch != blobs.end();) {
            const auto b = ch->second.find(v);
            if (b == ch->second.end() || !b->second) break;
            v = *b->second;
          }
        }
      }
    }
    for (const auto& [channel, versions] : blobs) {
      for (const auto& [version, base] : versions) {
        if (referenced.count({channel, version}) != 0) continue;
        c->prepare(
             "DELETE FROM sg_blobs WHERE thread_id = ? AND checkpoint_ns = ? AND channel = ? AND version = ?")
            .bind(1, thread_id)
            .bind(2, ns)
            .bind(3, channel)
            .bind(4, version)
            .run();
      }
    }
  }
  tx.commit();
  return deleted;
}

void SqliteSaver::copy_thread(std::string_view from, std::string_view to) {
  impl_->require_writable("copy_thread");
  if (from.empty() || to.empty()) throw invalid_argument("copy_thread: thread ids must not be empty");
  auto c = impl_->lease();
  Transaction tx(*c, Transaction::Mode::write);
  {
    auto s = c->prepare(
        "SELECT EXISTS (SELECT 1 FROM sg_checkpoints WHERE thread_id = ?1) "
        "OR EXISTS (SELECT 1 FROM sg_blobs WHERE thread_id = ?1) "
        "OR EXISTS (SELECT 1 FROM sg_writes WHERE thread_id = ?1)");
    s.bind(1, to);
    if (s.step() && s.int64(0) != 0)
      throw invalid_argument("copy_thread: destination thread \"" + std::string(to) +
                             "\" already exists; delete it first or pick another id");
  }
  for (const char* sql :
       {"INSERT INTO sg_checkpoints (thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, metadata, "
        "checkpoint) SELECT ?1, checkpoint_ns, checkpoint_id, parent_checkpoint_id, metadata, checkpoint "
        "FROM sg_checkpoints WHERE thread_id = ?2",
        "INSERT INTO sg_blobs (thread_id, checkpoint_ns, channel, version, base, keep, data) "
        "SELECT ?1, checkpoint_ns, channel, version, base, keep, data FROM sg_blobs WHERE thread_id = ?2",
        "INSERT INTO sg_writes (thread_id, checkpoint_ns, checkpoint_id, task_id, idx, channel, value) "
        "SELECT ?1, checkpoint_ns, checkpoint_id, task_id, idx, channel, value FROM sg_writes WHERE thread_id = ?2"}) {
    c->prepare(sql).bind(1, to).bind(2, from).run();
  }
  tx.commit();
}

// ------------------------------------------------------------------------------- inspection

std::vector<ThreadInfo> SqliteSaver::list_threads(const ThreadListOptions& options) {
  if (!options.filter.is_null() && !options.filter.is_object())
    throw invalid_argument("list_threads: filter must be a JSON object, got " + options.filter.dump());
  const bool filtered = options.filter.is_object() && !options.filter.empty();
  const std::size_t limit = options.limit.value_or(std::numeric_limits<std::size_t>::max());
  std::vector<ThreadInfo> out;
  if (limit == 0) return out;
  const std::string by_thread = options.thread_id ? " WHERE thread_id = ?" : "";

  auto c = impl_->lease();
  Transaction tx(*c, Transaction::Mode::read);
  // Threads with a checkpoint whose metadata matches the filter (SQL narrows, JSON equality decides).
  std::unordered_set<std::string> matching;
  if (filtered) {
    std::string sql = "SELECT thread_id, checkpoint_id, metadata FROM sg_checkpoints WHERE 1";
    std::vector<Param> params;
    if (options.thread_id) {
      sql += " AND thread_id = ?";
      params.emplace_back(*options.thread_id);
    }
    filter_sql(options.filter, sql, params);
    auto s = c->prepare(sql);
    bind_all(s, params);
    while (s.step()) {
      std::string thread(s.text(0));
      if (matching.count(thread) != 0) continue;
      const json metadata = json::parse(s.text(2), nullptr, /*allow_exceptions=*/false);  // damaged: no match
      if (!metadata.is_discarded() && metadata_matches(metadata, options.filter)) matching.insert(std::move(thread));
    }
  }
  // One row per thread; the bare columns come from the row with max(checkpoint_id) (SQLite's
  // min/max bare-column rule), i.e. the thread's newest checkpoint.
  struct Row {
    ThreadInfo info;
    Bytes header;
    std::string ns;
  };
  std::vector<Row> rows;
  {
    auto s = c->prepare(
        "SELECT thread_id, count(*), max(checkpoint_id), checkpoint_ns, checkpoint, "
        "CASE WHEN json_valid(metadata) AND json_type(metadata, '$.step') = 'integer' "
        "THEN json_extract(metadata, '$.step') END, "
        "sum(length(CAST(metadata AS BLOB)) + length(checkpoint)) "
        "FROM sg_checkpoints" + by_thread + " GROUP BY thread_id");
    if (options.thread_id) s.bind(1, *options.thread_id);
    while (s.step()) {
      Row row;
      row.info.thread_id = s.text(0);
      if (filtered && matching.count(row.info.thread_id) == 0) continue;
      row.info.checkpoints = static_cast<std::size_t>(s.int64(1));
      row.info.last_checkpoint_id = s.text(2);
      row.ns = s.text(3);
      const auto header = s.blob(4);
      row.header.assign(header.begin(), header.end());
      if (!s.is_null(5)) row.info.last_step = s.int64(5);
      row.info.bytes = static_cast<std::uint64_t>(s.int64(6));
      rows.push_back(std::move(row));
    }
  }
  std::sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    return a.info.last_checkpoint_id != b.info.last_checkpoint_id ? a.info.last_checkpoint_id > b.info.last_checkpoint_id
                                                                  : a.info.thread_id < b.info.thread_id;
  });
  if (rows.size() > limit) rows.resize(limit);
  std::unordered_map<std::string_view, ThreadInfo*> by_id;
  by_id.reserve(rows.size());
  for (Row& row : rows) by_id.emplace(row.info.thread_id, &row.info);
  // Namespaces and the sizes of values and writes, per thread.
  const std::pair<const char*, int> extra[] = {
      {"SELECT thread_id, group_concat(DISTINCT checkpoint_ns) FROM sg_checkpoints", 0},
      {"SELECT thread_id, sum(length(data)) FROM sg_blobs", 1},
      {"SELECT thread_id, sum(length(value)) FROM sg_writes", 1}};
  for (const auto& [select, kind] : extra) {
    auto s = c->prepare(std::string(select) + by_thread + " GROUP BY thread_id");
    if (options.thread_id) s.bind(1, *options.thread_id);
    while (s.step()) {
      const auto it = by_id.find(s.text(0));
      if (it == by_id.end()) continue;
      if (kind == 1) {
        it->second->bytes += static_cast<std::uint64_t>(s.int64(1));
        continue;
      }
      // group_concat joins with ','; a namespace holding ',' is split wrongly, so read them apart then.
      const std::string_view list = s.text(1);
      if (list.find(',') == std::string_view::npos || it->second->checkpoints < 2) {
        it->second->namespaces = {std::string(list)};
        continue;
      }
      auto n = c->prepare("SELECT DISTINCT checkpoint_ns FROM sg_checkpoints WHERE thread_id = ? ORDER BY 1");
      n.bind(1, it->second->thread_id);
      while (n.step()) it->second->namespaces.emplace_back(n.text(0));
    }
  }
  tx.commit();
  out.reserve(rows.size());
  for (Row& row : rows) {
    // A damaged newest row leaves last_ts empty: a listing is a summary, and reading the
    // checkpoint itself reports the damage (sg.saver.402).
    try {
      Checkpoint header;
      decode_header(row.header, header, where(row.info.thread_id, row.ns, row.info.last_checkpoint_id));
      row.info.last_ts = std::move(header.ts);
    } catch (const SaverCorrupt&) {
    }
    std::sort(row.info.namespaces.begin(), row.info.namespaces.end());
    out.push_back(std::move(row.info));
  }
  return out;
}

std::map<std::string, std::uint64_t> SqliteSaver::checkpoint_bytes(const CheckpointConfig& config) {
  std::map<std::string, std::uint64_t> out;
  auto c = impl_->lease();
  Transaction tx(*c, Transaction::Mode::read);
  std::map<std::pair<std::string, std::string>, std::uint64_t> blobs;  // (channel, version) → bytes
  {
    auto s = c->prepare("SELECT channel, version, length(data) FROM sg_blobs WHERE thread_id = ? AND checkpoint_ns = ?");
    s.bind(1, config.thread_id).bind(2, config.checkpoint_ns);
    while (s.step()) blobs.emplace(std::pair{std::string(s.text(0)), std::string(s.text(1))}, s.int64(2));
  }
  {
    auto s = c->prepare(
        "SELECT checkpoint_id, length(CAST(metadata AS BLOB)) + length(checkpoint), checkpoint FROM sg_checkpoints "
        "WHERE thread_id = ? AND checkpoint_ns = ? ORDER BY checkpoint_id");
    s.bind(1, config.thread_id).bind(2, config.checkpoint_ns);
    while (s.step()) {
      std::string id(s.text(0));
      auto bytes = static_cast<std::uint64_t>(s.int64(1));
      Checkpoint header;
      decode_header(s.blob(2), header, where(config.thread_id, config.checkpoint_ns, id));
      for (const auto& entry : header.channel_versions) {
        // The oldest checkpoint referring to a value is charged with it (once).
        const auto b = blobs.find(entry);
        if (b == blobs.end()) continue;
        bytes += b->second;
        blobs.erase(b);
      }
      out.emplace(std::move(id), bytes);
    }
  }
  {
    auto s = c->prepare(
        "SELECT checkpoint_id, sum(length(value)) FROM sg_writes WHERE thread_id = ? AND checkpoint_ns = ? "
        "GROUP BY checkpoint_id");
    s.bind(1, config.thread_id).bind(2, config.checkpoint_ns);
    while (s.step())
      if (const auto it = out.find(std::string(s.text(0))); it != out.end()) it->second += s.int64(1);
  }
  tx.commit();
  return out;
}

StorageStats SqliteSaver::storage_stats() {
  StorageStats stats;
  auto c = impl_->lease();
  Transaction tx(*c, Transaction::Mode::read);
  const std::pair<const char*, const char*> tables[] = {
      {"sg_checkpoints", "SELECT count(*), coalesce(sum(length(CAST(metadata AS BLOB)) + length(checkpoint)), 0) "
                         "FROM sg_checkpoints"},
      {"sg_blobs", "SELECT count(*), coalesce(sum(length(data)), 0) FROM sg_blobs"},
      {"sg_writes", "SELECT count(*), coalesce(sum(length(value)), 0) FROM sg_writes"}};
  for (const auto& [name, sql] : tables) {
    auto s = c->prepare(sql);
    TableStats t{name, 0, 0, std::nullopt};
    if (s.step()) {
      t.rows = static_cast<std::uint64_t>(s.int64(0));
      t.bytes = static_cast<std::uint64_t>(s.int64(1));
    }
    stats.tables.push_back(std::move(t));
  }
  std::int64_t page_size = 0, pages = 0, free_pages = 0;
  for (auto [sql, target] : {std::pair{"PRAGMA page_size", &page_size}, std::pair{"PRAGMA page_count", &pages},
                             std::pair{"PRAGMA freelist_count", &free_pages}}) {
    auto s = c->prepare(sql);
    if (s.step()) *target = s.int64(0);
  }
  tx.commit();
  std::uint64_t disk = static_cast<std::uint64_t>(page_size * pages);
  std::error_code ec;
  const auto wal = std::filesystem::file_size(impl_->path_string + "-wal", ec);
  if (!ec) disk += wal;
  stats.total_disk_bytes = disk;
  stats.free_bytes = static_cast<std::uint64_t>(page_size * free_pages);
  return stats;
}

std::unique_ptr<ThreadLock> SqliteSaver::lock_thread(std::string_view thread_id, std::chrono::milliseconds wait) {
  impl_->require_writable("lock_thread");
  return sqlite_detail::lock_thread_file(impl_->lock_directory, thread_id, wait, impl_->options.lock_poll_interval);
}

}  // namespace sg
