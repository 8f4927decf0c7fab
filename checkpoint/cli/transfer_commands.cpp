// sg-checkpoints export / import: a thread as JSON lines, so that it moves between databases
// (SQLite ⇄ Postgres) and comes back exactly.
//
// Format (one JSON object per line):
//   {"format":"stategraph.thread","version":1,"thread_id":T,"checkpoints":N}
//   then one line per checkpoint, each namespace oldest first:
//   {"checkpoint_ns","checkpoint_id","parent_checkpoint_id","v","ts","channel_versions",
//    "versions_seen","metadata","delta_chains","values":{channel: value},"deltas":{channel: {base,keep,append}},
//    "pending_writes":[{"task_id","channel","value"}]}
// "values" and "deltas" hold only the (channel, version) pairs no earlier line of the namespace
// holds, and a list that grew is written as a delta on its previous version (a full value when
// the deltas since the last full one add up to the list's length, as the engine stores them), so
// an export grows with the thread's stored size, not with the square of a conversation. The
// output depends only on the thread's content, so exporting an imported thread gives the same
// lines.

#include <fstream>
#include <iostream>
#include <map>
#include <set>

#include "cli_error.hpp"
#include "commands.hpp"
#include "lookup.hpp"
#include "progress.hpp"
#include "text.hpp"

namespace sgcli {

namespace {

using nlohmann::json;

constexpr const char* kFormat = "stategraph.thread";
constexpr int kFormatVersion = 1;
constexpr std::size_t kPage = 64;

// The last value written per channel, to write the next version as a delta.
struct ChannelTrail {
  std::string version;
  json value;
  std::size_t appended_since_full = 0;
};

std::string dump_line(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::strict); }

// Writes one namespace's checkpoints (oldest first) as lines.
class NamespaceWriter {
 public:
  json line(const sg::CheckpointTuple& t) {
    json values = json::object();
    json deltas = json::object();
    for (const auto& [channel, version] : t.checkpoint.channel_versions) {
      auto& versions = written_[channel];
      if (!versions.insert(version).second) continue;
      const json& value = t.checkpoint.channel_values.at(channel);
      auto trail = trails_.find(channel);
      bool as_delta = false;
      if (trail != trails_.end() && trail->second.value.is_array() && value.is_array()) {
        const json& prev = trail->second.value;
        std::size_t keep = 0;
        while (keep < prev.size() && keep < value.size() && prev[keep] == value[keep]) ++keep;
        const std::size_t appended = value.size() - keep;
        if (keep > 0 && trail->second.appended_since_full + appended < value.size()) {
          json append = json::array();
          for (std::size_t i = keep; i < value.size(); ++i) append.push_back(value[i]);
          deltas[channel] = {{"base", trail->second.version}, {"keep", keep}, {"append", std::move(append)}};
          trail->second.appended_since_full += appended;
          as_delta = true;
        }
      }
      if (!as_delta) {
        values[channel] = value;
        if (trail != trails_.end()) trail->second.appended_since_full = 0;
      }
      ChannelTrail& next = trails_[channel];
      next.version = version;
      next.value = value;
    }
    json writes = json::array();
    for (const auto& w : t.pending_writes) writes.push_back({{"task_id", w.task_id}, {"channel", w.channel}, {"value", w.value}});
    return {{"checkpoint_ns", t.config.checkpoint_ns},
            {"checkpoint_id", t.checkpoint.id},
            {"parent_checkpoint_id", t.parent_config && t.parent_config->checkpoint_id ? json(*t.parent_config->checkpoint_id)
                                                                                      : json(nullptr)},
            {"v", t.checkpoint.v},
            {"ts", t.checkpoint.ts},
            {"channel_versions", t.checkpoint.channel_versions},
            {"versions_seen", t.checkpoint.versions_seen},
            {"metadata", t.metadata},
            {"delta_chains", t.checkpoint.delta_chains},
            {"values", std::move(values)},
            {"deltas", std::move(deltas)},
            {"pending_writes", std::move(writes)}};
  }

 private:
  std::map<std::string, std::set<std::string>> written_;
  std::map<std::string, ChannelTrail> trails_;
};

[[noreturn]] void bad_file(const std::string& file, std::size_t line, const std::string& why) {
  throw CliError(sg::ErrorId::cli_not_an_export,
                 "\"" + file + "\" line " + std::to_string(line) + " is not a stategraph thread export: " + why,
                 kExitError);
}

}  // namespace

int run_export(Context& ctx, const ExportArgs& args) {
  auto saver = open_database(ctx.db, Access::read);
  const auto thread = require_thread(*saver, args.thread);

  std::ofstream file;
  std::ostream* out = ctx.out;
  const bool to_file = args.output && *args.output != "-";
  if (to_file) {
    file.open(*args.output, std::ios::binary | std::ios::trunc);
    if (!file) throw CliError(sg::ErrorId::cli_file_error, "cannot write \"" + *args.output + "\"", kExitError);
    out = &file;
  }
  *out << dump_line({{"format", kFormat}, {"version", kFormatVersion}, {"thread_id", args.thread},
                     {"checkpoints", thread.checkpoints}})
       << '\n';
  Progress progress("exporting", thread.checkpoints);
  std::size_t done = 0;
  for (const auto& ns : thread.namespaces) {
    auto listed = list_without_values(*saver, args.thread, ns);
    std::vector<std::string> ids;  // oldest first
    for (auto it = listed.rbegin(); it != listed.rend(); ++it) ids.push_back(it->checkpoint.id);
    listed.clear();
    NamespaceWriter writer;
    for (std::size_t start = 0; start < ids.size(); start += kPage) {
      const std::size_t end = std::min(ids.size(), start + kPage);
      sg::ListOptions page;
      page.limit = end - start;
      if (end < ids.size()) page.before = ids[end];
      auto tuples = saver->list({args.thread, ns, std::nullopt}, page);  // newest first
      if (tuples.size() != end - start || tuples.back().checkpoint.id != ids[start])
        throw CliError(sg::ErrorId::cli_file_error, "thread \"" + args.thread + "\" changed while it was exported; try again",
                       kExitError);
      for (auto it = tuples.rbegin(); it != tuples.rend(); ++it) *out << dump_line(writer.line(*it)) << '\n';
      done += tuples.size();
      progress.update(done);
    }
  }
  out->flush();
  if (!*out) throw CliError(sg::ErrorId::cli_file_error, "writing the export failed (disk full?)", kExitError);
  progress.finish();
  if (to_file && !ctx.json) *ctx.err << "exported " << done << " checkpoints of thread \"" << args.thread << "\" to "
                                     << *args.output << "\n";
  return kExitOk;
}

int run_import(Context& ctx, const ImportArgs& args) {
  std::ifstream file;
  std::istream* in = &std::cin;
  if (args.file != "-") {
    file.open(args.file, std::ios::binary);
    if (!file) throw CliError(sg::ErrorId::cli_file_error, "cannot read \"" + args.file + "\"", kExitError);
    in = &file;
  }
  std::string text;
  std::size_t line_no = 1;
  if (!std::getline(*in, text)) bad_file(args.file, 1, "it is empty");
  json header = json::parse(text, nullptr, false);
  if (header.is_discarded() || !header.is_object() || header.value("format", "") != kFormat)
    bad_file(args.file, 1, "the first line is not {\"format\":\"stategraph.thread\",...}");
  if (header.value("version", 0) != kFormatVersion)
    bad_file(args.file, 1, "format version " + header.value("version", json()).dump() + " is not supported (1 is)");
  if (!header.contains("thread_id") || !header.at("thread_id").is_string())
    bad_file(args.file, 1, "the header has no thread_id");
  const std::string thread = args.thread.value_or(header.at("thread_id").get<std::string>());
  if (thread.empty()) bad_file(args.file, 1, "the thread id is empty");
  const std::size_t expected = header.value("checkpoints", std::size_t{0});

  auto saver = open_database(ctx.db, args.dry_run ? Access::read : Access::create);
  sg::ThreadListOptions exists;
  exists.thread_id = thread;
  if (!saver->list_threads(exists).empty())
    throw CliError(sg::ErrorId::cli_thread_exists,
                   "thread \"" + thread + "\" exists already in " + ctx.db.uri.display() +
                       "; delete it first or import under another id (--thread NEW_ID)",
                   kExitError);

  std::size_t imported = 0;
  bool started = false;
  Progress progress("importing", expected);
  try {
    std::map<std::string, std::map<std::string, std::set<std::string>>> stored;  // ns → channel → versions
    while (std::getline(*in, text)) {
      ++line_no;
      if (text.empty()) continue;
      const json j = json::parse(text, nullptr, false);
      if (j.is_discarded() || !j.is_object()) bad_file(args.file, line_no, "not a JSON object");
      sg::Checkpoint c;
      sg::CheckpointConfig parent;
      sg::CheckpointMetadata metadata;
      sg::ChannelVersions new_versions;
      std::map<std::string, std::vector<sg::PendingWrite>> writes;  // by task, in order
      std::vector<std::string> tasks;
      try {
        parent.thread_id = thread;
        parent.checkpoint_ns = j.at("checkpoint_ns").get<std::string>();
        if (!j.at("parent_checkpoint_id").is_null()) parent.checkpoint_id = j.at("parent_checkpoint_id").get<std::string>();
        c.id = j.at("checkpoint_id").get<std::string>();
        c.v = j.at("v").get<int>();
        c.ts = j.at("ts").get<std::string>();
        c.channel_versions = j.at("channel_versions").get<sg::ChannelVersions>();
        c.versions_seen = j.at("versions_seen").get<std::map<std::string, sg::ChannelVersions>>();
        metadata = j.at("metadata");
        if (const auto chains = j.find("delta_chains"); chains != j.end()) c.delta_chains = *chains;  // format 2
        auto& known = stored[parent.checkpoint_ns];
        for (const auto& [channel, value] : j.at("values").items()) c.channel_values[channel] = value;
        for (const auto& [channel, delta] : j.at("deltas").items()) {
          sg::ChannelDelta d;
          d.base = delta.at("base").get<std::string>();
          d.keep = delta.at("keep").get<std::size_t>();
          d.append = delta.at("append");
          if (!d.append.is_array()) bad_file(args.file, line_no, "the delta of \"" + channel + "\" appends no array");
          if (known[channel].count(d.base) == 0)
            bad_file(args.file, line_no, "the delta of \"" + channel + "\" is based on version " + d.base +
                                             ", which no earlier line holds");
          c.channel_deltas[channel] = std::move(d);
        }
        for (const auto& [channel, version] : c.channel_versions) {
          const bool given = c.channel_values.count(channel) != 0 || c.channel_deltas.count(channel) != 0;
          if (given) {
            new_versions[channel] = version;
          } else if (known[channel].count(version) == 0) {
            bad_file(args.file, line_no, "channel \"" + channel + "\" at version " + version +
                                             " has no value on this line or an earlier one");
          }
        }
        for (const auto& [channel, version] : new_versions) known[channel].insert(version);
        for (const auto& w : j.at("pending_writes")) {
          sg::PendingWrite pw{w.at("task_id").get<std::string>(), w.at("channel").get<std::string>(), w.at("value")};
          if (writes.count(pw.task_id) == 0) tasks.push_back(pw.task_id);
          writes[pw.task_id].push_back(std::move(pw));
        }
      } catch (const json::exception& e) {
        bad_file(args.file, line_no, std::string("a field is missing or has the wrong type (") + e.what() + ")");
      }
      if (c.id.empty()) bad_file(args.file, line_no, "the checkpoint id is empty");
      if (!args.dry_run) {
        started = true;
        saver->put(parent, c, metadata, new_versions);
        for (const auto& task : tasks) saver->put_writes({thread, parent.checkpoint_ns, c.id}, writes[task], task);
      }
      ++imported;
      progress.update(imported);
    }
    if (imported != expected)
      bad_file(args.file, line_no, "the header announces " + std::to_string(expected) + " checkpoints but " +
                                       std::to_string(imported) + " follow (a truncated file?)");
  } catch (...) {
    progress.finish();
    if (started) {
      try {
        saver->delete_thread(thread);  // the thread did not exist: leave nothing half imported
      } catch (...) {
      }
    }
    throw;
  }
  progress.finish();
  if (ctx.json) {
    print_json(*ctx.out, {{"dry_run", args.dry_run}, {"thread_id", thread}, {"checkpoints", imported}});
  } else {
    *ctx.out << (args.dry_run ? "would import " : "imported ") << imported << " checkpoints as thread \"" << thread
             << "\"\n";
  }
  return kExitOk;
}

}  // namespace sgcli
