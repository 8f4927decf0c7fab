#include "lookup.hpp"

#include "cli_error.hpp"

namespace sgcli {

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
    require_thread(saver, thread);  // throws 704 when the thread is missing altogether
    throw CliError(sg::ErrorId::cli_unknown_checkpoint, "thread \"" + thread + "\" has no checkpoint in namespace \"" + ns + "\"",
                   kExitNotFound);
  }
  sg::ListOptions one;
  one.values = false;
  if (!saver.list({thread, ns, id_or_prefix}, one).empty()) return id_or_prefix;
  std::vector<std::string> matches;
  for (const auto& t : list_without_values(saver, thread, ns))
    if (t.checkpoint.id.compare(0, id_or_prefix.size(), id_or_prefix) == 0) matches.push_back(t.checkpoint.id);
  if (matches.size() == 1) return matches.front();
  if (matches.empty()) {
    require_thread(saver, thread);
    throw CliError(sg::ErrorId::cli_unknown_checkpoint,
                   "checkpoint \"" + id_or_prefix + "\" not found in thread \"" + thread + "\"" +
                       (ns.empty() ? std::string() : " (namespace \"" + ns + "\")") +
                       "; `sg-checkpoints history " + thread + "` lists its checkpoints",
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
