// SqliteSaver: opening the file, and the engine's calls (get_tuple, list, put, put_writes,
// delete_thread) as storage hooks. Row codec: sqlite_codec.cpp; reading rows into tuples:
// sqlite_reader.cpp; metadata filters in SQL: sqlite_filter.cpp; the connection pool:
// sqlite_saver_impl.hpp; inspection and maintenance: sqlite_admin.cpp.

#include "stategraph/checkpoint/sqlite_saver.hpp"

#include <cstdint>
#include <deque>
#include <limits>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "saver_algorithms.hpp"
#include "sqlite_codec.hpp"
#include "sqlite_checksum.hpp"
#include "sqlite_filter.hpp"
#include "sqlite_open_mode.hpp"
#include "sqlite_reader.hpp"
#include "sqlite_saver_impl.hpp"
#include "sqlite_schema.hpp"
#include "stategraph/checkpoint/error.hpp"

namespace sg {

using sqlite_detail::Bytes;
using sqlite_detail::CheckpointRow;
using sqlite_detail::Param;
using sqlite_detail::Resolver;
using sqlite_detail::Transaction;

namespace {

// Binds the checksum that `sum` computes, or NULL when the saver stores none (options.checksums).
template <class Sum>
void bind_checksum(sqlite_detail::Stmt& s, int index, bool on, Sum sum) {
  if (on) {
    s.bind(index, sum());
  } else {
    s.bind_null(index);
  }
}

}  // namespace

static_assert(SqliteSaver::kSchemaVersion == sqlite_detail::kSchemaVersion);
static_assert(SqliteSaver::kOldestReadableSchema == sqlite_detail::kOldestReadableSchema);

SqliteSaver::SqliteSaver(std::filesystem::path path, SqliteSaverOptions options) : impl_(std::make_unique<Impl>()) {
  const std::string text = path.string();
  if (text.empty() || text == ":memory:" || text.rfind("file:", 0) == 0)
    throw SaverError(ErrorId::saver_invalid_argument, "SqliteSaver: \"" + text +
                                         "\" is not a database file path (in-memory databases and URIs are not "
                                         "supported; use InMemorySaver for a database that does not outlive the process)");
  impl_->path = std::move(path);
  impl_->path_string = text;
  impl_->options = std::move(options);
  impl_->options.read_only = impl_->options.read_only || impl_->options.immutable;
  impl_->lock_directory =
      impl_->options.lock_directory.empty() ? std::filesystem::path(text + ".locks") : impl_->options.lock_directory;
  const auto plan = sqlite_detail::plan_open(text, impl_->options.read_only, impl_->options.immutable);
  impl_->mode = plan.mode;
  auto c = impl_->open();
  try {
    if (!impl_->options.read_only) sqlite_detail::require_writable_file(*c);
    impl_->checksums = sqlite_detail::prepare_schema(*c) >= sqlite_detail::kChecksumsSince;
  } catch (...) {
    c.reset();
    if (plan.tidy_companions) sqlite_detail::remove_wal_companions(text);
    throw;
  }
  c->set_checksums(impl_->checksums);
  if (!impl_->options.read_only) {
    impl_->writer = sqlite_detail::SharedWriter::of(text, impl_->options.busy_timeout,
                                                    impl_->options.synchronous == SqliteSynchronous::full);
    impl_->writer->configure_connection([&](sqlite_detail::Connection& w) { w.set_checksums(impl_->checksums); });
  }
  impl_->tidy_companions = plan.tidy_companions;  // from here on the destructor tidies up
  impl_->idle.push_back(std::move(c));
}

SqliteSaver::~SqliteSaver() {
  impl_->idle.clear();  // every connection is back in the pool: no call is in flight
  if (impl_->tidy_companions) sqlite_detail::remove_wal_companions(impl_->path_string);
}

const std::filesystem::path& SqliteSaver::path() const noexcept { return impl_->path; }

// ---------------------------------------------------------------------------------- reading

std::optional<CheckpointTuple> SqliteSaver::do_get_tuple(const CheckpointConfig& config) {
  auto c = impl_->lease();
  Transaction tx(*c, Transaction::Mode::read);
  std::optional<CheckpointRow> row;
  {
    auto s = c->prepare(std::string("SELECT ") + sqlite_detail::checkpoint_columns(*c) +
                        (config.checkpoint_id
                             ? " FROM sg_checkpoints WHERE thread_id = ? AND checkpoint_ns = ? AND checkpoint_id = ?"
                             : " FROM sg_checkpoints WHERE thread_id = ? AND checkpoint_ns = ? "
                               "ORDER BY checkpoint_id DESC LIMIT 1"));
    s.bind(1, config.thread_id).bind(2, config.checkpoint_ns);
    if (config.checkpoint_id) s.bind(3, *config.checkpoint_id);
    if (!s.step()) return std::nullopt;
    row = sqlite_detail::read_row(s, config.checkpoint_ns);
  }
  Resolver resolver(*c, config.thread_id, config.checkpoint_ns, /*remember=*/false);
  auto tuple = sqlite_detail::build_tuple(*c, &resolver, config.checkpoint_ns, std::move(*row));
  tx.commit();
  return tuple;
}

std::vector<CheckpointTuple> SqliteSaver::do_list(const CheckpointConfig& config, const ListOptions& options) {
  const bool filtered = !options.filter.empty();
  const std::size_t limit = options.limit.value_or(std::numeric_limits<std::size_t>::max());
  std::string sql = " FROM sg_checkpoints WHERE checkpoint_ns = ?";  // after SELECT and the columns
  std::vector<Param> params{config.checkpoint_ns};
  const bool all_threads = config.thread_id.empty();
  if (!all_threads) {
    sql += " AND thread_id = ?";
    params.emplace_back(config.thread_id);
  }
  if (config.checkpoint_id) {
    sql += " AND checkpoint_id = ?";
    params.emplace_back(*config.checkpoint_id);
  }
  if (options.before) {
    sql += " AND checkpoint_id < ?";
    params.emplace_back(*options.before);
  }
  if (filtered) sqlite_detail::filter_sql(options.filter, sql, params);
  sql += all_threads ? " ORDER BY checkpoint_id DESC, thread_id DESC" : " ORDER BY checkpoint_id DESC";

  const bool relative = options.values && options.deltas && !all_threads;
  auto c = impl_->lease();
  Transaction tx(*c, Transaction::Mode::read);
  // Tuples are built in a deque: the resolvers point into earlier tuples' values, and a deque
  // never moves its elements when it grows.
  std::deque<CheckpointTuple> built;
  {
    auto s = c->prepare(std::string("SELECT ") + sqlite_detail::checkpoint_columns(*c) + sql);
    sqlite_detail::bind_all(s, params);
    std::map<std::string, Resolver, std::less<>> resolvers;  // one per thread (list of all threads)
    while (built.size() < limit && s.step()) {
      CheckpointRow row = sqlite_detail::read_row(s, config.checkpoint_ns);
      if (filtered && !saver_detail::metadata_matches(row.metadata, options.filter)) continue;
      Resolver* resolver = nullptr;
      if (options.values) {
        auto r = resolvers.find(row.thread_id);
        if (r == resolvers.end())
          r = resolvers.try_emplace(row.thread_id, *c, row.thread_id, config.checkpoint_ns, /*remember=*/true).first;
        resolver = &r->second;
      }
      built.push_back(sqlite_detail::build_tuple(*c, relative ? nullptr : resolver, config.checkpoint_ns, std::move(row)));
    }
  }  // the statement is reset before the transaction ends
  if (relative) {  // ListOptions::deltas: each tuple's values relative to the next (older) one's
    Resolver resolver(*c, config.thread_id, config.checkpoint_ns, /*remember=*/true);
    for (std::size_t i = 0; i < built.size(); ++i)
      resolver.fill_relative(*built[i].config.checkpoint_id, built[i].checkpoint,
                             i + 1 < built.size() ? &built[i + 1].checkpoint.channel_versions : nullptr);
  }
  tx.commit();
  std::vector<CheckpointTuple> result;
  result.reserve(built.size());
  for (auto& t : built) result.push_back(std::move(t));
  return result;
}

std::optional<std::string> SqliteSaver::do_latest_checkpoint_id(const CheckpointConfig& config) {
  auto c = impl_->lease();
  auto s = c->prepare(
      "SELECT checkpoint_id FROM sg_checkpoints WHERE thread_id = ? AND checkpoint_ns = ? "
      "ORDER BY checkpoint_id DESC LIMIT 1");
  s.bind(1, config.thread_id).bind(2, config.checkpoint_ns);
  if (!s.step()) return std::nullopt;
  return std::string(s.text(0));
}

// ---------------------------------------------------------------------------------- writing

namespace {

/// What a put stores, encoded before the database is touched (a failed encoding stores nothing).
struct EncodedPut {
  std::vector<Bytes> data;  // per put.changed
  Bytes header;
  std::string meta;
};

EncodedPut encode_put(const SaverPut& put) {
  EncodedPut e;
  e.data.reserve(put.changed.size());
  for (const auto& c : put.changed) {
    if (c.delta != nullptr && c.delta->keep > static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max()))
      throw SaverError(ErrorId::saver_invalid_argument, "put: the delta of channel \"" + *c.channel + "\" keeps too many elements");
    e.data.push_back(sqlite_detail::encode(c.delta != nullptr ? c.delta->append : *c.value));
  }
  e.header = sqlite_detail::encode_header(put.checkpoint);
  e.meta = sqlite_detail::metadata_text(put.metadata);
  return e;
}

std::vector<Bytes> encode_writes(const SaverWrites& writes) {
  std::vector<Bytes> values;
  values.reserve(writes.rows.size());
  for (const auto& row : writes.rows) values.push_back(sqlite_detail::encode(row.write->value));
  return values;
}

/// The statements of a put, inside the caller's write transaction.
void store_put(sqlite_detail::Connection* c, const SaverPut& put, const EncodedPut& encoded, bool checksums) {
  const CheckpointConfig& config = put.config;
  const std::vector<Bytes>& data = encoded.data;
  const Bytes& header = encoded.header;
  const std::string& meta = encoded.meta;
  auto stored = [&](const std::string& channel, const std::string& version) {
    auto s = c->prepare(
        "SELECT 1 FROM sg_blobs WHERE thread_id = ? AND checkpoint_ns = ? AND channel = ? AND version = ?");
    s.bind(1, config.thread_id).bind(2, config.checkpoint_ns).bind(3, channel).bind(4, version);
    return s.step();
  };
  for (std::size_t i = 0; i < put.changed.size(); ++i) {
    const auto& changed = put.changed[i];
    const ChannelDelta* delta = changed.delta;
    if (delta != nullptr && !stored(*changed.channel, delta->base) && !stored(*changed.channel, *changed.version))
      throw saver_detail::unknown_delta_base(config, *changed.channel, *changed.version, delta->base);
    // A value already stored for this version is kept (values are immutable per version).
    auto s = c->prepare(
        "INSERT OR IGNORE INTO sg_blobs (thread_id, checkpoint_ns, channel, version, base, keep, data, checksum) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    s.bind(1, config.thread_id).bind(2, config.checkpoint_ns).bind(3, *changed.channel).bind(4, *changed.version);
    if (delta != nullptr) {
      s.bind(5, delta->base);
    } else {
      s.bind_null(5);
    }
    s.bind(6, static_cast<std::int64_t>(delta != nullptr ? delta->keep : 0)).bind_blob(7, data[i]);
    bind_checksum(s, 8, checksums, [&] { return sqlite_detail::checksum(data[i]); });
    s.run();
  }
  {
    auto s = c->prepare(
        "INSERT OR REPLACE INTO sg_checkpoints "
        "(thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, metadata, checkpoint, checksum) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)");
    s.bind(1, config.thread_id).bind(2, config.checkpoint_ns).bind(3, put.checkpoint.id);
    if (put.parent != nullptr) {
      s.bind(4, *put.parent);
    } else {
      s.bind_null(4);
    }
    s.bind(5, meta).bind_blob(6, header);
    bind_checksum(s, 7, checksums, [&] { return sqlite_detail::row_checksum(header, meta); });
    s.run();
  }
  if (put.delete_parent_value_writes) {
    // The value writes go; the special writes (negative idx) stay for history.
    c->prepare("DELETE FROM sg_writes WHERE thread_id = ? AND checkpoint_ns = ? AND checkpoint_id = ? AND idx >= 0")
        .bind(1, config.thread_id)
        .bind(2, config.checkpoint_ns)
        .bind(3, *put.parent)
        .run();
  }
}

/// The statements of a put_writes, inside the caller's write transaction.
void store_writes(sqlite_detail::Connection* c, const SaverWrites& writes, const std::vector<Bytes>& values,
                  bool checksums) {
  for (std::size_t i = 0; i < writes.rows.size(); ++i) {
    const auto& row = writes.rows[i];
    auto s = c->prepare(row.idx < 0 ? "INSERT OR REPLACE INTO sg_writes "
                                      "(thread_id, checkpoint_ns, checkpoint_id, task_id, idx, channel, value, checksum) "
                                      "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                                    : "INSERT OR IGNORE INTO sg_writes "
                                      "(thread_id, checkpoint_ns, checkpoint_id, task_id, idx, channel, value, checksum) "
                                      "VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    s.bind(1, writes.config.thread_id).bind(2, writes.config.checkpoint_ns).bind(3, writes.checkpoint_id);
    s.bind(4, writes.task_id).bind(5, std::int64_t{row.idx});
    s.bind(6, row.write->channel).bind_blob(7, values[i]);
    bind_checksum(s, 8, checksums, [&] { return sqlite_detail::checksum(values[i]); });
    s.run();
  }
}

}  // namespace

void SqliteSaver::do_put(const SaverPut& put) {
  const EncodedPut encoded = encode_put(put);
  impl_->write("put", [&](sqlite_detail::Connection& c) { store_put(&c, put, encoded, impl_->options.checksums); });
}

void SqliteSaver::do_put_writes(const SaverWrites& writes) {
  const std::vector<Bytes> values = encode_writes(writes);
  impl_->write("put_writes",
               [&](sqlite_detail::Connection& c) { store_writes(&c, writes, values, impl_->options.checksums); });
}

void SqliteSaver::do_put_batch(std::span<const SaverWrites> writes, const SaverPut* put) {
  const SaverBatch batch{writes, put};
  do_put_batches(std::span(&batch, 1));
}

void SqliteSaver::do_put_batches(std::span<const SaverBatch> batches) {
  const char* call = saver_detail::batches_call(batches);
  impl_->require_writable(call);  // before encoding
  struct Encoded {
    std::optional<EncodedPut> put;
    std::vector<std::vector<Bytes>> writes;
  };
  std::vector<Encoded> encoded(batches.size());
  for (std::size_t b = 0; b < batches.size(); ++b) {
    if (batches[b].put != nullptr) encoded[b].put = encode_put(*batches[b].put);
    encoded[b].writes.reserve(batches[b].writes.size());
    for (const auto& w : batches[b].writes) encoded[b].writes.push_back(encode_writes(w));
  }
  impl_->write(call, [&](sqlite_detail::Connection& c) {
    for (std::size_t b = 0; b < batches.size(); ++b) {
      const auto& writes = batches[b].writes;
      for (std::size_t i = 0; i < writes.size(); ++i)
        store_writes(&c, writes[i], encoded[b].writes[i], impl_->options.checksums);
      if (batches[b].put != nullptr) store_put(&c, *batches[b].put, *encoded[b].put, impl_->options.checksums);
    }
  });
}

void SqliteSaver::do_delete_thread(std::string_view thread_id) {
  impl_->write("delete_thread", [&](sqlite_detail::Connection& c) {
    for (const char* sql : {"DELETE FROM sg_writes WHERE thread_id = ?", "DELETE FROM sg_blobs WHERE thread_id = ?",
                            "DELETE FROM sg_checkpoints WHERE thread_id = ?"})
      c.prepare(sql).bind(1, thread_id).run();
  });
}

}  // namespace sg
