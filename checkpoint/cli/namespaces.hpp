#pragma once
// sg-checkpoints: checkpoint namespaces. A subgraph runs under a child namespace of its parent
// graph's (sg::format::child_namespace) in the same thread. This checks a --ns value; the
// grammar is sg::format's, nothing here spells it.

#include <string_view>

namespace sgcli {

/// Checks a --ns value: "" (the root namespace), or levels NODE or NODE:TASK_ID joined by
/// sg::format::kNamespaceSeparator — what sg::format::parse_namespace reads and
/// sg::format::child_namespace writes back unchanged, every node name and given task id not empty.
/// @throws CliError sg.cli.713 (exit 2) naming the value and the grammar.
void check_namespace(std::string_view ns);

}  // namespace sgcli
