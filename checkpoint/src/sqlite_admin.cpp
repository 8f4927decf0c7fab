// SqliteSaver: inspection and maintenance hooks (prune, copy_thread, list_threads,
// checkpoint_bytes, storage_stats) and lock_thread.

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <map>
#include <string>
#include <system_error>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "saver_algorithms.hpp"
#include "sqlite_codec.hpp"
#include "sqlite_filter.hpp"
#include "sqlite_saver_impl.hpp"
#include "sqlite_thread_lock.hpp"
#include "stategraph/checkpoint/error.hpp"

namespace sg {

using nlohmann::json;
using sqlite_detail::Bytes;
using sqlite_detail::Param;
using sqlite_detail::Transaction;

std::size_t SqliteSaver::do_prune(std::string_view thread_id, const PruneOptions& rule) {
  std::size_t deleted = 0;
  impl_->write("prune", [&](sqlite_detail::Connection& connection) {
    auto* c = &connection;
    deleted = 0;
    std::vector<std::string> namespaces;
    {
      auto s = c->prepare("SELECT DISTINCT checkpoint_ns FROM sg_checkpoints WHERE thread_id = ?");
      s.bind(1, thread_id);
      while (s.step()) namespaces.emplace_back(s.text(0));
    }
    for (const std::string& ns : namespaces) {
      std::vector<std::string> ids;  // oldest first
      {
        auto s = c->prepare(
            "SELECT checkpoint_id FROM sg_checkpoints WHERE thread_id = ? AND checkpoint_ns = ? ORDER BY checkpoint_id");
        s.bind(1, thread_id).bind(2, ns);
        while (s.step()) ids.emplace_back(s.text(0));
      }
      const auto doomed = saver_detail::pruned_positions(ids, rule);
      if (doomed.empty()) continue;
      for (const std::size_t position : doomed) {
        for (const char* sql :
             {"DELETE FROM sg_writes WHERE thread_id = ? AND checkpoint_ns = ? AND checkpoint_id = ?",
              "DELETE FROM sg_checkpoints WHERE thread_id = ? AND checkpoint_ns = ? AND checkpoint_id = ?"}) {
          c->prepare(sql).bind(1, thread_id).bind(2, ns).bind(3, ids[position]).run();
        }
      }
      deleted += doomed.size();

      // Values the remaining checkpoints refer to stay, with the bases of their delta chains.
      std::map<saver_detail::ValueKey, std::optional<std::string>> stored;
      {
        auto s = c->prepare("SELECT channel, version, base FROM sg_blobs WHERE thread_id = ? AND checkpoint_ns = ?");
        s.bind(1, thread_id).bind(2, ns);
        while (s.step()) {
          std::optional<std::string> base;
          if (!s.is_null(2)) base = std::string(s.text(2));
          stored.emplace(saver_detail::ValueKey{std::string(s.text(0)), std::string(s.text(1))}, std::move(base));
        }
      }
      std::vector<ChannelVersions> live;
      {
        auto s = c->prepare(
            "SELECT checkpoint_id, checkpoint FROM sg_checkpoints WHERE thread_id = ? AND checkpoint_ns = ?");
        s.bind(1, thread_id).bind(2, ns);
        while (s.step()) {
          Checkpoint header;
          sqlite_detail::decode_header(s.blob(1), header, saver_detail::describe({thread_id, ns, s.text(0)}));
          live.push_back(std::move(header.channel_versions));
        }
      }
      for (const auto& [channel, version] : saver_detail::unreferenced_values(stored, live)) {
        c->prepare("DELETE FROM sg_blobs WHERE thread_id = ? AND checkpoint_ns = ? AND channel = ? AND version = ?")
            .bind(1, thread_id)
            .bind(2, ns)
            .bind(3, channel)
            .bind(4, version)
            .run();
      }
    }
  });
  return deleted;
}

void SqliteSaver::do_copy_thread(std::string_view from, std::string_view to) {
  impl_->write("copy_thread", [&](sqlite_detail::Connection& connection) {
    auto* c = &connection;
    {
      auto s = c->prepare(
          "SELECT EXISTS (SELECT 1 FROM sg_checkpoints WHERE thread_id = ?1) "
          "OR EXISTS (SELECT 1 FROM sg_blobs WHERE thread_id = ?1) "
          "OR EXISTS (SELECT 1 FROM sg_writes WHERE thread_id = ?1)");
      s.bind(1, to);
      if (s.step() && s.int64(0) != 0)
        throw saver_detail::destination_exists(to);
    }
    for (const char* sql :
         {"INSERT INTO sg_checkpoints (thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, metadata, "
          "checkpoint, checksum) SELECT ?1, checkpoint_ns, checkpoint_id, parent_checkpoint_id, metadata, checkpoint, "
          "checksum FROM sg_checkpoints WHERE thread_id = ?2",
          "INSERT INTO sg_blobs (thread_id, checkpoint_ns, channel, version, base, keep, data, checksum) "
          "SELECT ?1, checkpoint_ns, channel, version, base, keep, data, checksum FROM sg_blobs WHERE thread_id = ?2",
          "INSERT INTO sg_writes (thread_id, checkpoint_ns, checkpoint_id, task_id, idx, channel, value, checksum) "
          "SELECT ?1, checkpoint_ns, checkpoint_id, task_id, idx, channel, value, checksum FROM sg_writes "
          "WHERE thread_id = ?2"}) {
      c->prepare(sql).bind(1, to).bind(2, from).run();
    }
  });
}

std::vector<ThreadInfo> SqliteSaver::do_list_threads(const ThreadListOptions& options) {
  const bool filtered = !options.filter.empty();
  const std::size_t limit = options.limit.value_or(std::numeric_limits<std::size_t>::max());
  std::vector<ThreadInfo> out;
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
    sqlite_detail::filter_sql(options.filter, sql, params);
    auto s = c->prepare(sql);
    sqlite_detail::bind_all(s, params);
    while (s.step()) {
      std::string thread(s.text(0));
      if (matching.count(thread) != 0) continue;
      const json metadata = json::parse(s.text(2), nullptr, /*allow_exceptions=*/false);  // damaged: no match
      if (!metadata.is_discarded() && saver_detail::metadata_matches(metadata, options.filter)) matching.insert(std::move(thread));
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
      sqlite_detail::decode_header(row.header, header,
                                    saver_detail::describe({row.info.thread_id, row.ns, row.info.last_checkpoint_id}));
      row.info.last_ts = std::move(header.ts);
    } catch (const SaverCorrupt&) {
    }
    std::sort(row.info.namespaces.begin(), row.info.namespaces.end());
    out.push_back(std::move(row.info));
  }
  return out;
}

std::map<std::string, std::uint64_t> SqliteSaver::do_checkpoint_bytes(const CheckpointConfig& config) {
  auto c = impl_->lease();
  Transaction tx(*c, Transaction::Mode::read);
  std::map<saver_detail::ValueKey, std::uint64_t> values;
  {
    auto s = c->prepare("SELECT channel, version, length(data) FROM sg_blobs WHERE thread_id = ? AND checkpoint_ns = ?");
    s.bind(1, config.thread_id).bind(2, config.checkpoint_ns);
    while (s.step())
      values.emplace(saver_detail::ValueKey{std::string(s.text(0)), std::string(s.text(1))}, s.int64(2));
  }
  std::vector<saver_detail::CheckpointSize> sizes;  // oldest first
  {
    auto s = c->prepare(
        "SELECT checkpoint_id, length(CAST(metadata AS BLOB)) + length(checkpoint), checkpoint FROM sg_checkpoints "
        "WHERE thread_id = ? AND checkpoint_ns = ? ORDER BY checkpoint_id");
    s.bind(1, config.thread_id).bind(2, config.checkpoint_ns);
    while (s.step()) {
      saver_detail::CheckpointSize size{std::string(s.text(0)), static_cast<std::uint64_t>(s.int64(1)), {}};
      Checkpoint header;
      sqlite_detail::decode_header(s.blob(2), header,
                                   saver_detail::describe({config.thread_id, config.checkpoint_ns, size.id}));
      size.versions = std::move(header.channel_versions);
      sizes.push_back(std::move(size));
    }
  }
  std::map<std::string, std::uint64_t> writes;
  {
    auto s = c->prepare(
        "SELECT checkpoint_id, sum(length(value)) FROM sg_writes WHERE thread_id = ? AND checkpoint_ns = ? "
        "GROUP BY checkpoint_id");
    s.bind(1, config.thread_id).bind(2, config.checkpoint_ns);
    while (s.step()) writes.emplace(std::string(s.text(0)), static_cast<std::uint64_t>(s.int64(1)));
  }
  tx.commit();
  return saver_detail::attribute_bytes(sizes, std::move(values), writes);
}

StorageStats SqliteSaver::do_storage_stats() {
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

StorageCheck SqliteSaver::do_check_storage() {
  StorageCheck check;
  check.method = "PRAGMA quick_check";
  check.note = "reads every page of the file";
  auto c = impl_->lease();
  try {
    auto s = c->prepare("PRAGMA quick_check(100)");
    while (s.step()) {
      // One row per finding, some of several lines; "ok" alone when there is none.
      const std::string_view text = s.text(0);
      for (std::size_t start = 0; start <= text.size();) {
        const std::size_t end = std::min(text.find('\n', start), text.size());
        const std::string_view line = text.substr(start, end - start);
        if (!line.empty() && line != "ok" && line != "*** in database main ***") check.problems.emplace_back(line);
        start = end + 1;
      }
    }
  } catch (const SaverError& e) {
    check.problems.emplace_back(e.message());  // too damaged to check: SQLite's error is the finding
  }
  try {
    Transaction tx(*c, Transaction::Mode::read);
    std::uint64_t with = 0, without = 0;
    for (const char* table : {"sg_checkpoints", "sg_blobs", "sg_writes"}) {
      auto s = c->prepare(std::string(c->checksums() ? "SELECT count(checksum), count(*) - count(checksum) FROM "
                                                     : "SELECT 0, count(*) FROM ") +
                          table);
      if (!s.step()) continue;
      with += static_cast<std::uint64_t>(s.int64(0));
      without += static_cast<std::uint64_t>(s.int64(1));
    }
    tx.commit();
    check.with_checksum = with;
    check.without_checksum = without;
  } catch (const SaverError& e) {
    check.checksum_note = "not counted: " + std::string(e.message());
  }
  return check;
}

std::unique_ptr<ThreadLock> SqliteSaver::do_lock_thread(std::string_view thread_id, std::chrono::milliseconds wait) {
  impl_->require_writable("lock_thread");
  return impl_->lock_file().lock(thread_id, wait, impl_->options.lock_poll_interval);
}

}  // namespace sg
