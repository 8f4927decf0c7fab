#include "namespaces.hpp"

#include <string>

#include <stategraph/checkpoint/format.hpp>

#include "cli_error.hpp"

namespace sgcli {

namespace fmt = sg::format;

void check_namespace(std::string_view ns) {
  if (ns.empty()) return;
  std::string rebuilt;
  bool ok = true;
  for (const auto& level : fmt::parse_namespace(ns)) {
    if (level.node.empty() || level.task_id.find(fmt::kNamespaceTaskSeparator) != std::string::npos) ok = false;
    rebuilt = fmt::child_namespace(rebuilt, level.node, level.task_id);
  }
  if (ok && rebuilt == ns) return;  // a level "node:" (empty task id) does not come back unchanged
  const std::string sep(1, fmt::kNamespaceSeparator);
  const std::string task(1, fmt::kNamespaceTaskSeparator);
  throw CliError(sg::ErrorId::cli_bad_namespace,
                 "--ns \"" + std::string(ns) + "\" is not a checkpoint namespace: give levels NODE or NODE" + task +
                     "TASK_ID joined by '" + sep + "' (e.g. research" + task + "<task id>" + sep + "search" + task +
                     "<task id>), or \"\" for the root; `sg-checkpoints threads --json` lists each thread's namespaces",
                 kExitError);
}

}  // namespace sgcli
