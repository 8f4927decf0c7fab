#include "lookup.hpp"

#include <optional>

#include "cli_error.hpp"
#include "text.hpp"

namespace sgcli {

namespace {

bool has_prefix(const std::string& id, const std::string& prefix) { return id.compare(0, prefix.size(), prefix) == 0; }

// "\"\", \"research:1\"" (at most 8, then how many more).
std::string quoted_namespaces(const std::vector<std::string>& namespaces) {
  constexpr std::size_t kShown = 8;
  std::vector<std::string> items;
  for (std::size_t i = 0; i < namespaces.size() && i < kShown; ++i) items.push_back("\"" + namespaces[i] + "\"");
  if (namespaces.size() > kShown) items.push_back("and " + std::to_string(namespaces.size() - kShown) + " more");
  return join(items);
}

// A namespace of `thread` other than `ns` holding a checkpoint that `id_or_prefix` names.
std::optional<std::string> namespace_holding(sg::BaseCheckpointSaver& saver, const sg::ThreadInfo& thread,
                                             const std::string& ns, const std::string& id_or_prefix) {
  for (const auto& other : thread.namespaces) {
    if (other == ns) continue;
    for (const auto& t : list_without_values(saver, thread.thread_id, other))
      if (has_prefix(t.checkpoint.id, id_or_prefix)) return other;
  }
  return std::nullopt;
}

}  // namespace

void throw_no_checkpoint_in(sg::BaseCheckpointSaver& saver, const std::string& thread, const std::string& ns) {
  const auto info = require_thread(saver, thread);  // throws 704 when the thread is missing altogether
  throw CliError(sg::ErrorId::cli_unknown_checkpoint,
                 "thread \"" + thread + "\" has no checkpoint in namespace \"" + ns + "\"; its namespaces: " +
                     quoted_namespaces(info.namespaces),
                 kExitNotFound);
}

sg::ThreadInfo require_thread(sg::BaseCheckpointSaver& saver, const std::string& thread) {
  sg::ThreadListOptions options;
  options.thread_id = thread;
  auto found = saver.list_threads(options);
  if (found.empty()) throw CliError(sg::ErrorId::cli_unknown_thread, "thread \"" + thread + "\" not found (it has no checkpoints)", kExitNotFound);
  return std::move(found.front());
}

std::vector<sg::CheckpointTuple> list_without_values(sg::BaseCheckpointSaver& saver, const std::string& thread,
                                                     const std::string& ns) {
  sg::ListOptions options;
  options.values = false;
  return saver.list({thread, ns, std::nullopt}, options);
}

std::string resolve_checkpoint(sg::BaseCheckpointSaver& saver, const std::string& thread, const std::string& ns,
                               const std::string& id_or_prefix) {
  if (id_or_prefix.empty()) {
    if (auto latest = saver.latest_checkpoint_id({thread, ns, std::nullopt})) return *latest;
    throw_no_checkpoint_in(saver, thread, ns);
  }
  sg::ListOptions one;
  one.values = false;
  if (!saver.list({thread, ns, id_or_prefix}, one).empty()) return id_or_prefix;
  std::vector<std::string> matches;
  for (const auto& t : list_without_values(saver, thread, ns))
    if (has_prefix(t.checkpoint.id, id_or_prefix)) matches.push_back(t.checkpoint.id);
  if (matches.size() == 1) return matches.front();
  if (matches.empty()) {
    const auto info = require_thread(saver, thread);
    const auto elsewhere = namespace_holding(saver, info, ns, id_or_prefix);
    throw CliError(sg::ErrorId::cli_unknown_checkpoint,
                   "checkpoint \"" + id_or_prefix + "\" not found in thread \"" + thread + "\"" +
                       (ns.empty() ? std::string() : " (namespace \"" + ns + "\")") +
                       (elsewhere ? "; it is in namespace \"" + *elsewhere + "\": add --ns '" + *elsewhere + "'"
                                  : "; `sg-checkpoints history " + thread + "` lists its checkpoints"),
                   kExitNotFound);
  }
  throw CliError(sg::ErrorId::cli_unknown_checkpoint,
                 "checkpoint prefix \"" + id_or_prefix + "\" is ambiguous in thread \"" + thread + "\": " +
                     std::to_string(matches.size()) + " checkpoints start with it; give more characters",
                 kExitNotFound);
}

sg::CheckpointTuple load_checkpoint(sg::BaseCheckpointSaver& saver, const std::string& thread, const std::string& ns,
                                    const std::string& id_or_prefix) {
  const std::string id = resolve_checkpoint(saver, thread, ns, id_or_prefix);
  auto tuple = saver.get_tuple({thread, ns, id});
  if (!tuple)
    throw CliError(sg::ErrorId::cli_unknown_checkpoint, "checkpoint \"" + id + "\" of thread \"" + thread + "\" disappeared while reading",
                   kExitNotFound);
  return std::move(*tuple);
}

}  // namespace sgcli
