// The sg-chatbot binary driven as a script (stdin not a terminal): one message per line in, one
// reply per line out, on real SQLite files with the offline fake model; and on a pseudo-terminal.
#include <doctest/doctest.h>

#include <poll.h>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

#include "chatbot_script.hpp"
#include "temp_dir.hpp"

namespace {

using sgtest::chatbot;

/// sg-chatbot on a pseudo-terminal (a person at a shell): the REPL with its line editor.
class TerminalChat {
 public:
  explicit TerminalChat(const sgtest::TempDir& dir) {
    pid_ = ::forkpty(&master_, nullptr, nullptr, nullptr);
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      ::unsetenv("OPENAI_API_KEY");
      ::unsetenv("OPENAI_BASE_URL");
      ::setenv("TERM", "xterm", 1);
      const std::string store = "sqlite:" + dir.file("tty.db");
      ::execl(SG_CHATBOT_BIN, SG_CHATBOT_BIN, "--checkpoints", store.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
  }
  ~TerminalChat() {
    ::close(master_);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  TerminalChat(const TerminalChat&) = delete;
  TerminalChat& operator=(const TerminalChat&) = delete;

  void type(const std::string& keys) const {
    const ssize_t written = ::write(master_, keys.data(), keys.size());
    REQUIRE(written == static_cast<ssize_t>(keys.size()));
  }
  /// Reads until the screen so far holds `text` `count` times (at most 20 s). Returns whether it did.
  bool wait_for(const std::string& text, int count = 1) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (occurrences(text) < count) {
      if (std::chrono::steady_clock::now() > until) return false;
      pollfd p{master_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      char buf[4096];
      const ssize_t n = ::read(master_, buf, sizeof buf);
      if (n <= 0) return occurrences(text) >= count;
      screen_.append(buf, static_cast<std::size_t>(n));
    }
    return true;
  }
  [[nodiscard]] const std::string& screen() const { return screen_; }

 private:
  [[nodiscard]] int occurrences(const std::string& text) const {
    int n = 0;
    for (auto at = screen_.find(text); at != std::string::npos; at = screen_.find(text, at + 1)) ++n;
    return n;
  }
  int master_ = -1;
  pid_t pid_ = -1;
  std::string screen_;
};

}  // namespace

TEST_CASE("sg-chatbot on a terminal: bracketed paste mode on, a pasted block is one message, Alt+Enter and a final backslash go on") {
  sgtest::TempDir dir;
  TerminalChat chat(dir);
  REQUIRE(chat.wait_for("you> "));
  CHECK(chat.screen().find("\x1b[?2004h") != std::string::npos);  // bracketed paste mode on
  // A paste as a terminal sends it (CR for newlines), then Enter: one turn.
  chat.type("\x1b[200~first line\rsecond line\x1b[201~");
  chat.type("\r");
  REQUIRE(chat.wait_for("You said: \"first line"));
  REQUIRE(chat.wait_for("you> ", 2));
  // Alt+Enter (ESC CR) inserts a newline; a final backslash continues on a "...> " line.
  chat.type("third\x1b\rfourth\r");
  REQUIRE(chat.wait_for("you> ", 3));
  chat.type("whats 2 + \\\r");
  REQUIRE(chat.wait_for("...> "));
  chat.type("2\r");
  REQUIRE(chat.wait_for("2 + 2 = 4."));
  REQUIRE(chat.wait_for("you> ", 4));
  chat.type("/history\r");
  REQUIRE(chat.wait_for("3 turns, language"));
  chat.type("/quit\r");
  chat.wait_for("\x1b[?2004l");  // switched off on the way out
  CHECK(chat.screen().find("\x1b[?2004l") != std::string::npos);
  const std::string& s = chat.screen();
  CHECK(s.find("first line\r\nsecond line\r\n") != std::string::npos);  // /history: one message of two lines
  CHECK(s.find("third\r\nfourth\r\n") != std::string::npos);
  CHECK(s.find("You said: \"second line") == std::string::npos);  // never a turn of its own
}

TEST_CASE("sg-chatbot: piped messages get one reply line each and the thread is remembered") {
  sgtest::TempDir dir;
  auto r = chatbot(dir, "--thread bob", "Hi! I'm Bob\nWhat's my name?\n");
  CHECK(r.exit_code == 0);
  CHECK(r.lines() == std::vector<std::string>{"Hi Bob! How can I help you today?", "Your name is Bob."});
  // Diagnostics go to stderr: the banner says the model is a fake and where threads are kept.
  CHECK(r.err.find("FAKE") != std::string::npos);
  CHECK(r.err.find("sqlite:sg-chatbot.db") != std::string::npos);
  // Another thread does not know Bob; a new process on the first thread does (the default
  // store is sg-chatbot.db in the working directory).
  r = chatbot(dir, "--thread alice", "What's my name?\n");
  CHECK(r.out.find("I don't know your name") == 0);
  r = chatbot(dir, "--thread bob", "What's my name?\n");
  CHECK(r.lines() == std::vector<std::string>{"Your name is Bob."});
}

TEST_CASE("sg-chatbot: commands in a script switch threads, undo and show the history") {
  sgtest::TempDir dir;
  const auto r = chatbot(dir, "--checkpoints sqlite:chats.db",
                         "Hi! I'm Bob\n/thread other\nWhat's my name?\n/thread default\nI'm Alice\n/undo\n"
                         "What's my name?\n/history\n/threads\n/quit\nnever sent\n");
  CHECK(r.exit_code == 0);
  const auto lines = r.lines();
  REQUIRE(lines.size() == 4);
  CHECK(lines[0] == "Hi Bob! How can I help you today?");
  CHECK(lines[1].find("I don't know your name") == 0);
  CHECK(lines[2] == "Hi Alice! How can I help you today?");
  CHECK(lines[3] == "Your name is Bob.");  // /undo dropped "I'm Alice"
  CHECK(r.err.find("undone") != std::string::npos);
  CHECK(r.err.find("Your name is Bob.") != std::string::npos);  // /history
  CHECK(r.err.find("other") != std::string::npos);              // /threads
  CHECK(r.err.find("never sent") == std::string::npos);
}

TEST_CASE("sg-chatbot: --language is kept by the thread") {
  sgtest::TempDir dir;
  auto r = chatbot(dir, "--thread es --language Spanish", "Hi! I'm Bob\n");
  CHECK(r.lines() == std::vector<std::string>{"[in Spanish] Hi Bob! How can I help you today?"});
  r = chatbot(dir, "--thread es", "What's my name?\n");
  CHECK(r.lines() == std::vector<std::string>{"[in Spanish] Your name is Bob."});
}

TEST_CASE("sg-chatbot: --memory trim with a small budget forgets the name") {
  sgtest::TempDir dir;
  const auto r = chatbot(dir, "--memory trim --max-tokens 40",
                         "Hi! I'm Bob\nwhats 2 + 2\nwhats 3 * 4\nWhat's my name?\n");
  const auto lines = r.lines();
  REQUIRE(lines.size() == 4);
  CHECK(lines[1] == "2 + 2 = 4.");
  CHECK(lines[3].find("I don't know your name") == 0);
}

TEST_CASE("sg-chatbot: bad configuration exits 2 with a stable id") {
  sgtest::TempDir dir;
  auto r = chatbot(dir, "--checkpoints redis://x", "hi\n");
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("[sg.chatbot.805]") != std::string::npos);
  r = chatbot(dir, "--checkpoints sqlite:/nonexistent-dir/x.db", "hi\n");
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("[sg.saver.401]") != std::string::npos);
  std::ofstream(dir.file("not-a-db")) << "this is not a database, just text that is long enough to be a header";
  r = chatbot(dir, "--checkpoints sqlite:not-a-db", "hi\n");
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("[sg.saver.406]") != std::string::npos);
  r = chatbot(dir, "--memory forever", "hi\n");
  CHECK(r.exit_code != 0);
  CHECK(r.err.find("--memory") != std::string::npos);
  r = chatbot(dir, "--help", "");
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("--checkpoints") != std::string::npos);
}

TEST_CASE("sg-chatbot: an unreachable model endpoint is reported and the thread stays as it was") {
  sgtest::TempDir dir;
  // Port 9 (discard) on loopback: nothing listens, the connection is refused at once.
  const auto r = chatbot(dir, "--base-url http://127.0.0.1:9/v1 --model x --thread t", "Hi! I'm Bob\n");
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("[sg.chatbot.803]") != std::string::npos);
  CHECK(r.err.find("sg.nodes.631") != std::string::npos);
  const auto again = chatbot(dir, "--thread t", "/history\n");
  CHECK(again.err.find("no messages yet") != std::string::npos);
}

TEST_CASE("sg-chatbot: a bracketed paste through a pipe is one message, a final backslash continues") {
  sgtest::TempDir dir;
  const auto r = chatbot(dir, "--thread p",
                         "\x1b[200~Hi! I'm Bob\r\n/history\r\nwhats 2 + 2\x1b[201~\n"
                         "whats 3 + \\\n4\n/history\n");
  CHECK(r.exit_code == 0);
  const auto lines = r.lines();
  REQUIRE(lines.size() >= 2);
  // The paste (holding a "/history" line) was one turn, not a command; the continued line another.
  CHECK(lines.back() == "3 + 4 = 7.");
  CHECK(r.err.find("2 turns, language") != std::string::npos);
  CHECK(r.err.find("Hi! I'm Bob\n/history\nwhats 2 + 2\n") != std::string::npos);  // /history prints it whole
  CHECK(r.err.find("whats 3 + \n4\n") != std::string::npos);
}

TEST_CASE("sg-chatbot: turn counts are singular for one, /clear resets them, an empty thread says so") {
  sgtest::TempDir dir;
  const auto r = chatbot(dir, "--thread c", "Hi! I'm Bob\n/thread\n/clear\n/thread\n/history\n/undo\n/thread\n");
  CHECK(r.exit_code == 0);
  const auto first = r.err.find("thread \"c\" (1 turn, 2 messages)");
  const auto cleared = r.err.find("thread \"c\" (0 turns, 0 messages)");
  CHECK(first != std::string::npos);
  CHECK(cleared != std::string::npos);
  CHECK(first < cleared);
  CHECK(r.err.find("0 turns, language English") != std::string::npos);
  CHECK(r.err.find("(no messages)") != std::string::npos);
  CHECK(r.err.find("thread \"c\" (1 turn, 2 messages)", cleared) != std::string::npos);  // /undo brought it back
  CHECK(r.err.find("turns, 2 messages") == std::string::npos);
}

TEST_CASE("sg-chatbot: /threads shows each thread's title (first message, one line, shortened) and size") {
  sgtest::TempDir dir;
  const auto r = chatbot(dir, "--thread long",
                         "\x1b[200~A first message that goes on for well over forty characters\nand a second line"
                         "\x1b[201~\n/thread bob\nHi! I'm Bob\nWhat's my name?\n/thread empty\nHi\n/clear\n/threads\n");
  CHECK(r.exit_code == 0);
  CHECK(r.err.find("  long  ") != std::string::npos);
  CHECK(r.err.find("  2 messages  \"A first message that goes on for well o\xE2\x80\xA6\"\n") != std::string::npos);
  CHECK(r.err.find("  4 messages  \"Hi! I'm Bob\"\n") != std::string::npos);
  CHECK(r.err.find("* empty  ") != std::string::npos);
  CHECK(r.err.find("  0 messages  (no messages)\n") != std::string::npos);
}

TEST_CASE("sg-chatbot: credentials in --base-url never show: banner, failed turn, usage error") {
  sgtest::TempDir dir;
  const auto r = chatbot(dir, "--base-url 'http://u:hunter2@127.0.0.1:9/v1?api_key=hunter3' --model x --thread t",
                         "Hi! I'm Bob\n");
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("[sg.chatbot.803]") != std::string::npos);
  CHECK(r.err.find("x at http://u:***@127.0.0.1:9/v1?api_key=***") != std::string::npos);  // the banner
  CHECK(r.err.find("hunter") == std::string::npos);
  CHECK(r.out.find("hunter") == std::string::npos);
  // CLI11 echoes arguments it did not expect.
  const auto usage = chatbot(dir, "stray 'postgres://u:hunter2@h/db'", "");
  CHECK(usage.exit_code != 0);
  CHECK(usage.err.find("postgres://u:***@h/db") != std::string::npos);
  CHECK(usage.err.find("hunter") == std::string::npos);
  // The saver's connection error.
  const auto store = chatbot(dir, "--checkpoints 'postgres://u:hunter2@127.0.0.1:1/x?password=hunter3'", "hi\n");
  CHECK(store.exit_code == 2);
  CHECK(store.err.find("[sg.saver.401]") != std::string::npos);
  CHECK(store.err.find("hunter") == std::string::npos);
}
