// The sg-chatbot binary driven as a script (stdin not a terminal): one message per line in, one
// reply per line out, on real SQLite files with the offline fake model.
#include <doctest/doctest.h>

#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "temp_dir.hpp"

namespace {

struct Run {
  int exit_code = -1;
  std::string out;
  std::string err;
  [[nodiscard]] std::vector<std::string> lines() const {
    std::vector<std::string> v;
    std::istringstream in(out);
    for (std::string l; std::getline(in, l);) v.push_back(l);
    return v;
  }
};

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

/// Runs sg-chatbot with `args`, feeding `input` on stdin (a file, so not a terminal). The
/// environment has no endpoint configured, so the offline fake model answers.
Run chatbot(const sgtest::TempDir& dir, const std::string& args, const std::string& input) {
  std::ofstream(dir.file("in.txt")) << input;
  const std::string command = "cd '" + dir.path().string() + "' && env -u OPENAI_API_KEY -u OPENAI_BASE_URL '" +
                              SG_CHATBOT_BIN + "' " + args + " < in.txt > out.txt 2> err.txt";
  const int status = std::system(command.c_str());
  Run r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = read_file(dir.file("out.txt"));
  r.err = read_file(dir.file("err.txt"));
  return r;
}

}  // namespace

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
