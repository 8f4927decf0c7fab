#pragma once
// sgtest::chatbot — runs the real sg-chatbot binary as a script: arguments, stdin from a file
// (so not a terminal), and its exit code, stdout and stderr. Needs SG_CHATBOT_BIN defined.
//
// Thread-safety: reentrant for different TempDirs.

#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "temp_dir.hpp"

namespace sgtest {

/// What a run printed, and its exit code (-1 when a signal ended it).
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

inline std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

/// Runs sg-chatbot with `args`, feeding `input` on stdin (a file, so not a terminal). The
/// environment has no endpoint configured, so the offline fake model answers.
inline Run chatbot(const sgtest::TempDir& dir, const std::string& args, const std::string& input) {
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

}  // namespace sgtest
