#pragma once
// sg-checkpoints: confirmation of destructive commands (delete, prune).

#include <string>

namespace sgcli {

/// Returns when the user agreed: `yes` (--yes) agrees at once; otherwise, when stdin is a
/// terminal, asks `question` on stderr and reads y/yes.
/// @throws CliError sg.cli.707 when stdin is not a terminal and --yes is missing; sg.cli.708
///         when the user answers anything but y/yes.
void confirm(const std::string& question, bool yes);

}  // namespace sgcli
