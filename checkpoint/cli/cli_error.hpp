#pragma once
// sg-checkpoints: the CLI's error type and its exit codes.
//
// Exit codes (documented in README.md and `sg-checkpoints --help`):
//   0  success
//   1  not found (thread, checkpoint, channel), verification failed, or a confirmation declined
//   2  usage error, or the database could not be opened or read (a saver error)
//
// Every failure is reported as one line on stderr, "sg-checkpoints: [id] message", with a stable
// id: sg.cli.7xx for the CLI's own errors (table below), sg.saver.4xx for the saver's (table in
// checkpoint/include/stategraph/checkpoint/error.hpp).
//
// | id          | exit | meaning                                                                   |
// |-------------|------|---------------------------------------------------------------------------|
// | sg.cli.701  | 2    | invalid command line (unknown option, missing argument, bad value)        |
// | sg.cli.702  | 2    | --db is not sqlite:PATH or postgres://... / postgresql://...              |
// | sg.cli.703  | 2    | the SQLite file does not exist (or is not a regular file)                 |
// | sg.cli.704  | 1    | the thread has no checkpoints                                             |
// | sg.cli.705  | 1    | the checkpoint does not exist (or an id prefix is ambiguous)              |
// | sg.cli.706  | 1    | the channel does not exist in that checkpoint                             |
// | sg.cli.707  | 2    | a destructive command without --yes while stdin is not a terminal         |
// | sg.cli.708  | 1    | the confirmation was declined; nothing was changed                        |
// | sg.cli.709  | 2    | the destination thread exists already (copy, import)                      |
// | sg.cli.710  | 2    | an import file is not a stategraph export (line and reason given)         |
// | sg.cli.711  | 2    | a file cannot be read or written (-o FILE, import FILE)                   |
// | sg.cli.712  | 1    | verify found broken checkpoints (listed on stdout)                        |
// | sg.cli.799  | 2    | an unexpected internal error (a bug: please report it)                    |

#include <stdexcept>
#include <string>
#include <string_view>

namespace sgcli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitNotFound = 1;
inline constexpr int kExitError = 2;

/// A failure the CLI reports as one line and an exit code.
class CliError : public std::runtime_error {
 public:
  CliError(std::string id, std::string_view message, int exit_code)
      : std::runtime_error("[" + id + "] " + std::string(message)), id_(std::move(id)), exit_code_(exit_code) {}
  [[nodiscard]] const std::string& id() const noexcept { return id_; }
  [[nodiscard]] int exit_code() const noexcept { return exit_code_; }

 private:
  std::string id_;
  int exit_code_;
};

}  // namespace sgcli
