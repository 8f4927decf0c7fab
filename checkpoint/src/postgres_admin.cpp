// PostgresSaver: inspection and maintenance hooks (prune, copy_thread, list_threads,
// checkpoint_bytes, storage_stats).

#include <algorithm>
#include <limits>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "postgres_saver_impl.hpp"
#include "postgres_statements.hpp"
#include "saver_algorithms.hpp"

namespace sg {

using nlohmann::json;

std::size_t PostgresSaver::do_prune(std::string_view thread_id, const PruneOptions& options) {
  impl_->require_writable("prune");
  const std::string thread(thread_id);
  const std::string keep = options.keep_last ? std::to_string(std::max<std::size_t>(*options.keep_last, 1)) : "";
  return impl_->pool.run("prune", [&](pqxx::connection& c) {
    pqxx::work tx(c);
    const pqxx::result r = tx.exec_prepared("sg_prune_checkpoints", thread,
                                            options.keep_last ? keep.c_str() : nullptr,
                                            options.before ? options.before->c_str() : nullptr);
    const auto deleted = static_cast<std::size_t>(r.affected_rows());
    if (deleted > 0) tx.exec_prepared("sg_prune_blobs", thread);
    tx.commit();
    return deleted;
  });
}

void PostgresSaver::do_copy_thread(std::string_view from, std::string_view to) {
  impl_->require_writable("copy_thread");
  const std::string source(from), destination(to);
  auto exists_error = [&] { return saver_detail::destination_exists(destination); };
  impl_->pool.run("copy_thread", [&](pqxx::connection& c) {
    pqxx::work tx(c);
    if (tx.exec_prepared1("sg_thread_exists", destination)[0].as<bool>()) throw exists_error();
    try {
      tx.exec_prepared("sg_copy_thread", source, destination);
    } catch (const pqxx::unique_violation&) {
      throw exists_error();  // another caller copied onto it at the same time
    }
    tx.commit();
  });
}

std::vector<ThreadInfo> PostgresSaver::do_list_threads(const ThreadListOptions& options) {
  const std::string& q = impl_->quoted_schema;
  const bool filtered = !options.filter.empty();
  const std::string filter = filtered ? pg::dump_value(pg::without_nul(options.filter), "list_threads: the filter") : "";
  const auto limit = options.limit.value_or(std::numeric_limits<std::size_t>::max());
  const std::string limit_text =
      limit >= static_cast<std::size_t>(std::numeric_limits<long long>::max()) ? std::string(pg::kNoLimit) : std::to_string(limit);
  // $1 thread or NULL, $2 filter or NULL, $3 limit.
  const std::string sql =
      "WITH t AS (SELECT thread_id, count(*) AS n, max(checkpoint_id) AS last, "
      "sum(pg_column_size(metadata) + pg_column_size(channel_versions) + pg_column_size(versions_seen) + coalesce(pg_column_size(delta_chains), 0))::bigint AS bytes, "
      "array_to_json(array_agg(DISTINCT checkpoint_ns))::text AS namespaces FROM " + q + ".sg_checkpoints "
      "WHERE ($1::text IS NULL OR thread_id = $1::text) GROUP BY thread_id),\n"
      "p AS (SELECT * FROM t WHERE $2::jsonb IS NULL OR EXISTS (SELECT 1 FROM " + q + ".sg_checkpoints m WHERE "
      "m.thread_id = t.thread_id AND NOT EXISTS (SELECT 1 FROM jsonb_each($2::jsonb) f WHERE m.metadata -> f.key "
      "IS DISTINCT FROM f.value)) ORDER BY last DESC, thread_id LIMIT $3::bigint)\n"
      "SELECT p.thread_id, p.n, p.last, l.ts, l.step, p.bytes + "
      "coalesce((SELECT sum(pg_column_size(b.value))::bigint FROM " + q + ".sg_blobs b WHERE b.thread_id = p.thread_id), 0) + "
      "coalesce((SELECT sum(pg_column_size(w.value))::bigint FROM " + q + ".sg_writes w WHERE w.thread_id = p.thread_id), 0), "
      "p.namespaces FROM p LEFT JOIN LATERAL (SELECT c.ts, c.metadata ->> 'step' AS step FROM " + q +
      ".sg_checkpoints c WHERE c.thread_id = p.thread_id AND c.checkpoint_id = p.last LIMIT 1) l ON true "
      "ORDER BY p.last DESC, p.thread_id";
  const pqxx::result r = impl_->pool.run("list_threads", [&](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    auto result = tx.exec_params(sql, options.thread_id ? options.thread_id->c_str() : nullptr,
                                 filtered ? filter.c_str() : nullptr, limit_text);
    tx.commit();
    return result;
  });
  std::vector<ThreadInfo> out;
  out.reserve(r.size());
  for (const auto& row : r) {
    ThreadInfo info;
    info.thread_id = row[0].c_str();
    info.checkpoints = row[1].as<std::size_t>();
    info.last_checkpoint_id = row[2].c_str();
    info.last_ts = row[3].is_null() ? "" : row[3].c_str();
    if (!row[4].is_null()) {
      const std::string step = row[4].c_str();
      const json j = json::parse(step, nullptr, false);
      if (j.is_number_integer()) info.last_step = j.get<std::int64_t>();
    }
    info.bytes = row[5].as<std::uint64_t>();
    const json namespaces = json::parse(std::string_view(row[6].c_str(), row[6].size()), nullptr, false);
    if (namespaces.is_array())
      for (const auto& ns : namespaces)
        if (ns.is_string()) info.namespaces.push_back(ns.get<std::string>());
    std::sort(info.namespaces.begin(), info.namespaces.end());
    out.push_back(std::move(info));
  }
  return out;
}

std::map<std::string, std::uint64_t> PostgresSaver::do_checkpoint_bytes(const CheckpointConfig& config) {
  const std::string& q = impl_->quoted_schema;
  struct Rows {
    pqxx::result checkpoints, blobs, writes;
  };
  Rows rows = impl_->pool.run("checkpoint_bytes", [&](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    Rows out;
    out.checkpoints = tx.exec_params(
        "SELECT checkpoint_id, (pg_column_size(metadata) + pg_column_size(channel_versions) + "
        "pg_column_size(versions_seen) + coalesce(pg_column_size(delta_chains), 0))::bigint, channel_versions::text FROM " + q + ".sg_checkpoints "
        "WHERE thread_id = $1 AND checkpoint_ns = $2 ORDER BY checkpoint_id",
        config.thread_id, config.checkpoint_ns);
    out.blobs = tx.exec_params("SELECT channel, version, pg_column_size(value)::bigint FROM " + q +
                                   ".sg_blobs WHERE thread_id = $1 AND checkpoint_ns = $2",
                               config.thread_id, config.checkpoint_ns);
    out.writes = tx.exec_params("SELECT checkpoint_id, sum(pg_column_size(value))::bigint FROM " + q +
                                    ".sg_writes WHERE thread_id = $1 AND checkpoint_ns = $2 GROUP BY checkpoint_id",
                                config.thread_id, config.checkpoint_ns);
    tx.commit();
    return out;
  });
  std::map<saver_detail::ValueKey, std::uint64_t> values;
  for (const auto& row : rows.blobs)
    values.emplace(saver_detail::ValueKey{row[0].c_str(), row[1].c_str()}, row[2].as<std::uint64_t>());
  std::vector<saver_detail::CheckpointSize> sizes;  // oldest first
  for (const auto& row : rows.checkpoints) {
    saver_detail::CheckpointSize size{row[0].c_str(), row[1].as<std::uint64_t>(), {}};
    const json versions = json::parse(std::string_view(row[2].c_str(), row[2].size()), nullptr, false);
    if (!versions.is_object())
      throw SaverCorrupt("postgres saver: " +
                         saver_detail::describe({config.thread_id, config.checkpoint_ns, size.id,
                                                 "schema \"" + impl_->options.schema + "\""}) +
                         " is damaged: its channel_versions is not an object");
    for (const auto& [channel, version] : versions.items())
      if (version.is_string()) size.versions.emplace(channel, version.get<std::string>());
    sizes.push_back(std::move(size));
  }
  std::map<std::string, std::uint64_t> writes;
  for (const auto& row : rows.writes) writes.emplace(row[0].c_str(), row[1].as<std::uint64_t>());
  return saver_detail::attribute_bytes(sizes, std::move(values), writes);
}

StorageStats PostgresSaver::do_storage_stats() {
  const std::string& q = impl_->quoted_schema;
  const std::string& schema = impl_->options.schema;
  const std::pair<const char*, std::string> tables[] = {
      {"sg_checkpoints", "pg_column_size(metadata) + pg_column_size(channel_versions) + pg_column_size(versions_seen) + coalesce(pg_column_size(delta_chains), 0)"},
      {"sg_blobs", "pg_column_size(value)"},
      {"sg_writes", "pg_column_size(value)"}};
  StorageStats stats;
  impl_->pool.run("storage_stats", [&](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    stats = StorageStats{};
    std::uint64_t total = 0;
    for (const auto& [name, size] : tables) {
      const pqxx::row row = tx.exec_params1(
          "SELECT count(*), coalesce(sum(" + size + "), 0)::bigint, pg_total_relation_size(format('%I.%I', $1::text, $2::text)::regclass) "
          "FROM " + q + "." + name,
          schema, std::string(name));
      TableStats t{name, row[0].as<std::uint64_t>(), row[1].as<std::uint64_t>(), row[2].as<std::uint64_t>()};
      total += *t.disk_bytes;
      stats.tables.push_back(std::move(t));
    }
    stats.total_disk_bytes = total;
    tx.commit();
  });
  return stats;
}

StorageCheck PostgresSaver::do_check_storage() {
  std::string page_checksums;
  impl_->pool.run("check_storage", [&](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    page_checksums = tx.exec1("SHOW data_checksums")[0].as<std::string>();
    tx.commit();
  });
  StorageCheck check;
  check.note = "not checked: Postgres has no quick_check of a schema's tables (the server checks its pages "
               "itself; this cluster's page checksums are " + page_checksums + ", SHOW data_checksums)";
  check.checksum_note = "none: the Postgres saver stores no checksums";
  return check;
}

}  // namespace sg
