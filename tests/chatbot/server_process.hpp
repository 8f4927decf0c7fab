#pragma once
// sgtest::ServerProcess — a real `sg-chatbot serve` process for the tests that need several
// servers on one store: started on 127.0.0.1 (or another --host) with --port 0 (the port is read back from its
// "serving on http://HOST:PORT/" line), its stdout and stderr in a log file, stopped with
// SIGTERM (or killed with SIGKILL, as a crash). The environment it gets has no OPENAI_API_KEY
// or OPENAI_BASE_URL, so only the flags choose its model.
//
// Thread-safety: one owner thread; url() from any thread once constructed.

#include <sys/types.h>

#include <string>
#include <vector>

namespace sgtest {

class ServerProcess {
 public:
  /// Starts `sg-chatbot serve --host HOST --port 0 ARGS...` and waits (at most 30 s) until it
  /// serves. `log` is the file its output goes to. url() is on 127.0.0.1 whatever `host` is (a
  /// loopback address, or 0.0.0.0).
  /// @throws std::runtime_error (with the log) when it exits or does not serve in time.
  ServerProcess(const std::string& binary, const std::vector<std::string>& args, std::string log,
                const std::string& host = "127.0.0.1");
  /// Stops it (SIGTERM; SIGKILL after 10 s) if stop() was not called.
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  /// "http://127.0.0.1:PORT".
  [[nodiscard]] const std::string& url() const noexcept { return url_; }
  /// SIGTERM, then waits for the exit (SIGKILL after 10 s). Returns the exit status (-1 when it
  /// was killed by a signal). Idempotent.
  int stop();
  /// SIGKILL (no cleanup of any kind: a crash), then waits for the exit. Idempotent.
  void kill();
  /// The log so far.
  [[nodiscard]] std::string log() const;
  /// The process id; -1 once it was stopped or killed.
  [[nodiscard]] pid_t pid() const noexcept { return pid_; }

 private:
  pid_t pid_ = -1;
  int status_ = -1;
  std::string log_;
  std::string url_;
};

}  // namespace sgtest
