#include "confirm.hpp"

#include <unistd.h>

#include <iostream>

#include "cli_error.hpp"

namespace sgcli {

void confirm(const std::string& question, bool yes) {
  if (yes) return;
  if (::isatty(STDIN_FILENO) != 1)
    throw CliError(sg::ErrorId::cli_needs_yes,
                   "refusing to change the database without confirmation: stdin is not a terminal; add --yes "
                   "(or --dry-run to see what would change)",
                   kExitError);
  std::cerr << question << " [y/N] " << std::flush;
  std::string answer;
  std::getline(std::cin, answer);
  if (answer == "y" || answer == "Y" || answer == "yes" || answer == "YES") return;
  throw CliError(sg::ErrorId::cli_declined, "cancelled; nothing was changed", kExitNotFound);
}

}  // namespace sgcli
