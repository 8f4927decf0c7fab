#pragma once
// sg-checkpoints: the CLI's error type and its exit codes.
//
// Exit codes (documented in README.md and `sg-checkpoints --help`):
//   0  success
//   1  not found (thread, checkpoint, channel), verification failed, or a confirmation declined
//   2  usage error, or the database could not be opened or read (a saver error)
//
// Every failure is reported as one line on stderr, "sg-checkpoints: [id] message", with a stable
// id: sg.cli.7xx for the CLI's own errors, sg.saver.4xx for the saver's; their meanings are
// tabulated once, in sg::kErrorTable (checkpoint/include/stategraph/checkpoint/error_id.hpp,
// rows cli_*) and README.md's "Errors" table.

#include <string_view>

#include <stategraph/checkpoint/error.hpp>

namespace sgcli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitNotFound = 1;
inline constexpr int kExitError = 2;

/// A failure the CLI reports as one line and an exit code. Part of the sg::Error tree.
class CliError : public sg::Error {
 public:
  CliError(sg::ErrorId id, std::string_view message, int exit_code) : sg::Error(id, message), exit_code_(exit_code) {}
  [[nodiscard]] int exit_code() const noexcept { return exit_code_; }

 private:
  int exit_code_;
};

}  // namespace sgcli
