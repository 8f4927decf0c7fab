#pragma once
// sg-checkpoints: finding what a command names — a thread, a checkpoint by id or id prefix — and
// the not-found errors (sg.cli.704, sg.cli.705).

#include <string>
#include <vector>

#include <stategraph/checkpoint/saver.hpp>

namespace sgcli {

/// The summary of `thread`. @throws CliError sg.cli.704 when it has no checkpoint.
sg::ThreadInfo require_thread(sg::BaseCheckpointSaver& saver, const std::string& thread);

/// The full id of the checkpoint `id_or_prefix` names in (thread, ns): an exact id, or a prefix
/// shared by exactly one checkpoint; the latest when empty.
/// @throws CliError sg.cli.704 (no such thread), sg.cli.705 (no such checkpoint, or ambiguous).
std::string resolve_checkpoint(sg::BaseCheckpointSaver& saver, const std::string& thread, const std::string& ns,
                               const std::string& id_or_prefix);

/// The checkpoint with its values. @throws as resolve_checkpoint.
sg::CheckpointTuple load_checkpoint(sg::BaseCheckpointSaver& saver, const std::string& thread, const std::string& ns,
                                    const std::string& id_or_prefix);

/// Every checkpoint of (thread, ns) without values, newest first.
std::vector<sg::CheckpointTuple> list_without_values(sg::BaseCheckpointSaver& saver, const std::string& thread,
                                                     const std::string& ns);

}  // namespace sgcli
