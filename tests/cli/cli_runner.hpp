#pragma once
// Runs the sg-checkpoints binary as a child process: arguments, stdin text, and what it wrote
// to stdout and stderr with its exit code. stdin is a pipe (never a terminal), so destructive
// commands need --yes, and progress bars are never drawn.

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace sgtest {

struct CliResult {
  int code = -1;
  std::string out;
  std::string err;
  double seconds = 0;
  /// stdout parsed as JSON (throws when it is not exactly one JSON document).
  [[nodiscard]] nlohmann::json json() const { return nlohmann::json::parse(out); }
};

inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// `prefix`: a command that runs the binary (e.g. setpriv with options); its first word is looked
/// up on PATH.
inline CliResult run_cli(const std::vector<std::string>& args, const std::string& input = {},
                         const std::vector<std::string>& prefix = {}) {
  static int counter = 0;
  const auto dir = std::filesystem::temp_directory_path();
  const std::string tag = std::to_string(::getpid()) + "-" + std::to_string(++counter);
  const auto out_path = dir / ("sg-cli-out-" + tag);
  const auto err_path = dir / ("sg-cli-err-" + tag);
  int in_pipe[2];
  if (::pipe(in_pipe) != 0) throw std::runtime_error("pipe failed");
  const auto start = std::chrono::steady_clock::now();
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    ::dup2(in_pipe[0], 0);
    ::close(in_pipe[0]);
    ::close(in_pipe[1]);
    const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(out, 1);
    ::dup2(err, 2);
    std::vector<std::string> copy = prefix;
    copy.emplace_back(SG_CHECKPOINTS_BIN);
    copy.insert(copy.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execvp(argv[0], argv.data());
    std::perror("execvp");
    ::_exit(127);
  }
  ::close(in_pipe[0]);
  if (!input.empty()) {
    const ssize_t written = ::write(in_pipe[1], input.data(), input.size());
    (void)written;
  }
  ::close(in_pipe[1]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  CliResult r;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = read_file(out_path);
  r.err = read_file(err_path);
  std::filesystem::remove(out_path);
  std::filesystem::remove(err_path);
  return r;
}

/// Runs the binary on a pseudo-terminal (stdin, stdout and stderr all the terminal, as for a
/// person at a shell): writes `input` once the program starts, returns everything it printed
/// (stdout and stderr together, with the terminal's \r\n) and its exit code.
inline CliResult run_cli_tty(const std::vector<std::string>& args, const std::string& input = {}) {
  int master = -1;
  const pid_t pid = ::forkpty(&master, nullptr, nullptr, nullptr);
  if (pid < 0) throw std::runtime_error("forkpty failed");
  if (pid == 0) {
    std::vector<char*> argv;
    std::string bin = SG_CHECKPOINTS_BIN;
    argv.push_back(bin.data());
    std::vector<std::string> copy = args;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(bin.c_str(), argv.data());
    ::_exit(127);
  }
  if (!input.empty()) {
    const ssize_t written = ::write(master, input.data(), input.size());
    (void)written;
  }
  CliResult r;
  char buf[4096];
  for (;;) {
    pollfd p{master, POLLIN, 0};
    if (::poll(&p, 1, 30000) <= 0) break;
    const ssize_t n = ::read(master, buf, sizeof buf);
    if (n <= 0) break;  // EIO once the child has exited and the terminal is closed
    r.out.append(buf, static_cast<std::size_t>(n));
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::close(master);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

/// True when `text` is exactly one line (ends with its only newline).
inline bool one_line(const std::string& text) {
  return !text.empty() && text.back() == '\n' && text.find('\n') == text.size() - 1;
}

}  // namespace sgtest
