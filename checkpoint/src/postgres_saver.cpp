// PostgresSaver: setup, and the engine's calls (get_tuple, list, put, put_writes, delete_thread,
// latest_checkpoint_id, lock_thread) as storage hooks, each one SQL statement. SQL:
// postgres_statements.cpp; decoding list rows: postgres_rows.cpp; connections, retries and error
// translation: postgres_connection.cpp; tables and migrations: postgres_schema.cpp; locks:
// postgres_thread_lock.cpp; inspection and maintenance: postgres_admin.cpp.

#include "stategraph/checkpoint/postgres_saver.hpp"

#include <limits>
#include <optional>
#include <utility>
#include <vector>

#include "postgres_rows.hpp"
#include "postgres_saver_impl.hpp"
#include "postgres_schema.hpp"
#include "postgres_statements.hpp"
#include "saver_algorithms.hpp"

namespace sg {

using nlohmann::json;

PostgresSaver::Impl::Impl(std::string uri, PostgresSaverOptions opts)
    : options(std::move(opts)),
      quoted_schema(pg::quote_ident(options.schema)),
      pool(std::move(uri), options,
           [defs = pg::statements(quoted_schema)](pqxx::connection& c) {
             for (const auto& [name, sql] : defs) c.prepare(name, sql);
           },
           counters) {}

std::vector<CheckpointTuple> PostgresSaver::Impl::run_list(const CheckpointConfig& config, const ListOptions& list_options,
                                                           std::string_view op) {
  unsigned flags = 0;
  std::vector<std::string> args;
  if (!config.thread_id.empty()) {
    flags |= pg::kByThread;
    args.push_back(config.thread_id);
  }
  args.push_back(config.checkpoint_ns);
  if (config.checkpoint_id) {
    flags |= pg::kById;
    args.push_back(*config.checkpoint_id);
  }
  if (list_options.before) {
    flags |= pg::kBefore;
    args.push_back(*list_options.before);
  }
  if (!list_options.filter.empty()) {
    flags |= pg::kFilter;
    args.push_back(pg::dump_value(pg::without_nul(list_options.filter), "list: the filter"));
  }
  if (!list_options.values) flags |= pg::kNoValues;
  const auto limit = list_options.limit.value_or(std::numeric_limits<std::size_t>::max());
  args.push_back(limit >= static_cast<std::size_t>(std::numeric_limits<long long>::max()) ? std::string(pg::kNoLimit)
                                                                                         : std::to_string(limit));
  const std::string name = pg::list_statement_name(flags);
  const pqxx::result r = pool.run(op, [&](pqxx::connection& c) {
    pqxx::nontransaction tx(c);
    return tx.exec_prepared(name, pqxx::prepare::make_dynamic_params(args));
  });
  std::vector<pg::ListRow> rows;
  rows.reserve(r.size());
  for (const auto& row : r) {
    pg::ListRow& out = rows.emplace_back();
    out.kind = row[0].as<int>();
    for (std::size_t i = 0; i < out.col.size() && i + 1 < row.size(); ++i)
      if (!row[static_cast<int>(i + 1)].is_null())
        out.col[i] = std::string_view(row[static_cast<int>(i + 1)].c_str(), row[static_cast<int>(i + 1)].size());
  }
  return pg::decode_list(rows, options.schema, config.checkpoint_ns, list_options.values);
}

PostgresSaver::PostgresSaver(std::string uri, PostgresSaverOptions options) {
  if (options.pool_size == 0) throw SaverError(ErrorId::saver_invalid_argument, "PostgresSaver: pool_size must be at least 1");
  const bool migrate = options.migrate && !options.read_only;
  impl_ = std::make_unique<Impl>(std::move(uri), std::move(options));
  // Connects (401 when the server cannot be reached) and brings the schema up to date or checks it.
  impl_->pool.run("setup", [&](pqxx::connection& c) { pg::ensure_schema(c, impl_->options.schema, migrate); });
}

PostgresSaver::~PostgresSaver() = default;

void PostgresSaver::setup() {
  impl_->require_writable("setup");
  impl_->pool.run("setup", [&](pqxx::connection& c) { pg::ensure_schema(c, impl_->options.schema, true); });
}

const std::string& PostgresSaver::schema() const noexcept { return impl_->options.schema; }

PostgresSaverStats PostgresSaver::stats() const noexcept {
  return {impl_->counters.connections_opened.load(), impl_->counters.reconnects.load(),
          impl_->counters.retries.load()};
}

std::optional<CheckpointTuple> PostgresSaver::do_get_tuple(const CheckpointConfig& config) {
  ListOptions one;
  one.limit = 1;
  auto tuples = impl_->run_list(config, one, "get_tuple");
  if (tuples.empty()) return std::nullopt;
  return std::move(tuples.front());
}

std::vector<CheckpointTuple> PostgresSaver::do_list(const CheckpointConfig& config, const ListOptions& options) {
  return impl_->run_list(config, options, "list");
}

namespace {

/// put's statement arguments, encoded before the database is touched.
struct EncodedPut {
  std::string channel_versions, versions_seen, meta, chains;
  bool has_chains = false;
  std::string channels, versions, bases, keeps, values;
};

EncodedPut encode_put(const SaverPut& put) {
  const Checkpoint& checkpoint = put.checkpoint;
  pg::ArrayLiteral channels, versions, bases, keeps, values;
  for (const auto& c : put.changed) {
    channels.add(*c.channel);
    versions.add(*c.version);
    if (c.delta == nullptr) {
      bases.add_null();
      keeps.add_null();
      values.add(pg::dump_value(*c.value, "put: the value of channel \"" + *c.channel + "\""));
    } else {
      bases.add(c.delta->base);
      keeps.add(std::to_string(c.delta->keep));
      values.add(pg::dump_value(c.delta->append, "put: the delta of channel \"" + *c.channel + "\""));
    }
  }
  EncodedPut e;
  e.channel_versions = pg::dump_value(json(checkpoint.channel_versions), "put: channel_versions");
  e.versions_seen = pg::dump_value(json(checkpoint.versions_seen), "put: versions_seen");
  e.meta = pg::dump_value(put.metadata, "put: metadata");
  if (e.meta.find("\\u0000") != std::string::npos) e.meta = pg::without_nul(put.metadata).dump();
  e.has_chains = !checkpoint.delta_chains.is_object() || !checkpoint.delta_chains.empty();
  if (e.has_chains) e.chains = pg::dump_value(checkpoint.delta_chains, "put: delta_chains");
  e.channels = channels.finish();
  e.versions = versions.finish();
  e.bases = bases.finish();
  e.keeps = keeps.finish();
  e.values = values.finish();
  return e;
}

/// Runs sg_put; returns the missing delta base (channel, version, base) when nothing was stored.
pqxx::result exec_put(pqxx::transaction_base& tx, const SaverPut& put, const EncodedPut& e) {
  const CheckpointConfig& config = put.config;
  const Checkpoint& checkpoint = put.checkpoint;
  return tx.exec_prepared("sg_put", config.thread_id, config.checkpoint_ns, checkpoint.id,
                          put.parent != nullptr ? put.parent->c_str() : nullptr, checkpoint.v, checkpoint.ts,
                          e.channel_versions, e.versions_seen, e.meta, e.channels, e.versions, e.bases, e.keeps,
                          e.values, put.delete_parent_value_writes, e.has_chains ? e.chains.c_str() : nullptr);
}

void throw_missing(const SaverPut& put, const pqxx::result& missing) {
  if (!missing.empty())  // nothing was stored
    throw saver_detail::unknown_delta_base(put.config, missing[0][0].c_str(), missing[0][1].c_str(),
                                           missing[0][2].c_str());
}

/// put_writes's statement arguments: idx, channel and value arrays.
struct EncodedWrites {
  std::string idxs, channels, values, task;
};

EncodedWrites encode_writes(const SaverWrites& writes) {
  pg::ArrayLiteral idxs, channels, values;
  for (const auto& row : writes.rows) {
    idxs.add(std::to_string(row.idx));
    channels.add(row.write->channel);
    values.add(pg::dump_value(row.write->value, "put_writes: the value written to \"" + row.write->channel + "\""));
  }
  return {idxs.finish(), channels.finish(), values.finish(), std::string(writes.task_id)};
}

void exec_writes(pqxx::transaction_base& tx, const SaverWrites& writes, const EncodedWrites& e) {
  tx.exec_prepared("sg_put_writes", writes.config.thread_id, writes.config.checkpoint_ns, writes.checkpoint_id, e.task,
                   e.idxs, e.channels, e.values);
}

}  // namespace

void PostgresSaver::do_put(const SaverPut& put) {
  impl_->require_writable("put");
  const EncodedPut e = encode_put(put);
  const pqxx::result missing = impl_->pool.run("put", [&](pqxx::connection& c) {
    pqxx::nontransaction tx(c);
    return exec_put(tx, put, e);
  });
  throw_missing(put, missing);
}

void PostgresSaver::do_put_writes(const SaverWrites& writes) {
  impl_->require_writable("put_writes");
  const EncodedWrites e = encode_writes(writes);
  impl_->pool.run("put_writes", [&](pqxx::connection& c) {
    pqxx::nontransaction tx(c);
    exec_writes(tx, writes, e);
  });
}

void PostgresSaver::do_put_batch(std::span<const SaverWrites> writes, const SaverPut* put) {
  const SaverBatch batch{writes, put};
  do_put_batches(std::span(&batch, 1));
}

void PostgresSaver::do_put_batches(std::span<const SaverBatch> batches) {
  const char* call = saver_detail::batches_call(batches);
  impl_->require_writable(call);
  struct Encoded {
    std::optional<EncodedPut> put;
    std::vector<EncodedWrites> writes;
  };
  std::vector<Encoded> encoded(batches.size());
  for (std::size_t b = 0; b < batches.size(); ++b) {
    if (batches[b].put != nullptr) encoded[b].put = encode_put(*batches[b].put);
    encoded[b].writes.reserve(batches[b].writes.size());
    for (const auto& w : batches[b].writes) encoded[b].writes.push_back(encode_writes(w));
  }
  // The first put refused for a missing delta base, with what it found missing: all are undone.
  const auto refused = impl_->pool.run(call, [&](pqxx::connection& c) -> std::pair<const SaverPut*, pqxx::result> {
    pqxx::work tx(c);
    for (std::size_t b = 0; b < batches.size(); ++b) {
      const auto& writes = batches[b].writes;
      for (std::size_t i = 0; i < writes.size(); ++i) exec_writes(tx, writes[i], encoded[b].writes[i]);
      if (batches[b].put == nullptr) continue;
      pqxx::result m = exec_put(tx, *batches[b].put, *encoded[b].put);
      if (!m.empty()) {
        tx.abort();
        return {batches[b].put, m};
      }
    }
    tx.commit();
    return {nullptr, pqxx::result{}};
  });
  if (refused.first != nullptr) throw_missing(*refused.first, refused.second);
}

void PostgresSaver::do_delete_thread(std::string_view thread_id) {
  impl_->require_writable("delete_thread");
  const std::string thread(thread_id);
  impl_->pool.run("delete_thread", [&](pqxx::connection& c) {
    pqxx::nontransaction tx(c);
    tx.exec_prepared("sg_delete_thread", thread);
  });
}

std::optional<std::string> PostgresSaver::do_latest_checkpoint_id(const CheckpointConfig& config) {
  return impl_->pool.run("latest_checkpoint_id", [&](pqxx::connection& c) -> std::optional<std::string> {
    pqxx::nontransaction tx(c);
    const pqxx::result r = tx.exec_prepared("sg_latest", config.thread_id, config.checkpoint_ns);
    if (r.empty()) return std::nullopt;
    return std::string(r[0][0].c_str(), r[0][0].size());
  });
}

std::unique_ptr<ThreadLock> PostgresSaver::do_lock_thread(std::string_view thread_id, std::chrono::milliseconds wait) {
  impl_->require_writable("lock_thread");
  return pg::lock_thread(impl_->pool, impl_->counters, impl_->lock_connections, impl_->options.schema,
                         impl_->options.retries, thread_id, wait);
}

}  // namespace sg
