#pragma once
// sg-checkpoints: finding what a command names — a thread, a checkpoint by id or id prefix in a
// namespace — and the not-found errors (sg.cli.704, sg.cli.705), which say where to look instead.

#include <string>
#include <vector>

#include <stategraph/checkpoint/saver.hpp>

namespace sgcli {

/// The summary of `thread`. @throws CliError sg.cli.704 when it has no checkpoint.
sg::ThreadInfo require_thread(sg::BaseCheckpointSaver& saver, const std::string& thread);

/// Throws the error for a (thread, ns) without checkpoints: CliError sg.cli.704 when the thread
/// has none at all, else sg.cli.705 listing the namespaces it has.
[[noreturn]] void throw_no_checkpoint_in(sg::BaseCheckpointSaver& saver, const std::string& thread, const std::string& ns);

/// The full id of the checkpoint `id_or_prefix` names in (thread, ns): an exact id, or a prefix
/// shared by exactly one checkpoint; the latest when empty.
/// @throws CliError sg.cli.704 (no such thread), sg.cli.705 (no such checkpoint, or ambiguous;
///         when another namespace of the thread has it, the message says which).
std::string resolve_checkpoint(sg::BaseCheckpointSaver& saver, const std::string& thread, const std::string& ns,
                               const std::string& id_or_prefix);

/// The checkpoint with its values. @throws as resolve_checkpoint.
sg::CheckpointTuple load_checkpoint(sg::BaseCheckpointSaver& saver, const std::string& thread, const std::string& ns,
                                    const std::string& id_or_prefix);

/// Every checkpoint of (thread, ns) without values, newest first.
std::vector<sg::CheckpointTuple> list_without_values(sg::BaseCheckpointSaver& saver, const std::string& thread,
                                                     const std::string& ns);

}  // namespace sgcli
