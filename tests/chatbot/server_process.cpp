#include "server_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;  // NOLINT(readability-redundant-declaration): POSIX, for posix_spawn

namespace sgtest {
namespace {

/// Waits up to `limit` for `pid` to exit. Returns whether it did; `status` is then its exit
/// status (-1 after a signal).
bool reap(pid_t pid, std::chrono::milliseconds limit, int& status) {
  const auto until = std::chrono::steady_clock::now() + limit;
  for (;;) {
    int raw = 0;
    const pid_t r = ::waitpid(pid, &raw, WNOHANG);
    if (r == pid) {
      status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
      return true;
    }
    if (r < 0) {
      status = -1;
      return true;
    }
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace

ServerProcess::ServerProcess(const std::string& binary, const std::vector<std::string>& args, std::string log,
                             const std::string& host)
    : log_(std::move(log)) {
  std::vector<std::string> argv_strings{binary, "serve", "--host", host, "--port", "0"};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_strings) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry(*e);
    if (entry.rfind("OPENAI_API_KEY=", 0) == 0 || entry.rfind("OPENAI_BASE_URL=", 0) == 0) continue;
    env_strings.push_back(entry);
  }
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  const int rc = ::posix_spawn(&pid_, binary.c_str(), &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("cannot start " + binary + ": " + std::strerror(rc));

  static const std::regex serving(R"(serving on http://[^:/ ]+:(\d+)/)");
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  for (;;) {
    std::smatch m;
    const std::string text = this->log();
    if (std::regex_search(text, m, serving)) {
      url_ = "http://127.0.0.1:" + m[1].str();
      return;
    }
    int status = 0;
    if (reap(pid_, std::chrono::milliseconds(0), status)) {
      pid_ = -1;
      throw std::runtime_error("sg-chatbot serve exited (status " + std::to_string(status) + ") before serving:\n" + text);
    }
    if (std::chrono::steady_clock::now() > until) {
      stop();
      throw std::runtime_error("sg-chatbot serve did not serve within 30 s:\n" + text);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

ServerProcess::~ServerProcess() { stop(); }

int ServerProcess::stop() {
  if (pid_ < 0) return status_;
  ::kill(pid_, SIGTERM);
  if (!reap(pid_, std::chrono::seconds(10), status_)) {
    ::kill(pid_, SIGKILL);
    reap(pid_, std::chrono::seconds(10), status_);
    status_ = -1;
  }
  pid_ = -1;
  return status_;
}

void ServerProcess::kill() {
  if (pid_ < 0) return;
  ::kill(pid_, SIGKILL);
  reap(pid_, std::chrono::seconds(10), status_);
  status_ = -1;
  pid_ = -1;
}

std::string ServerProcess::log() const {
  std::ifstream in(log_);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace sgtest
