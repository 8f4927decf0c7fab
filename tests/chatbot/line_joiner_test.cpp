// sg::chatbot::LineJoiner (examples/chatbot/line_joiner.hpp): lines into messages — bracketed
// paste, backslash continuation, CR handling.
#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <vector>

#include "line_joiner.hpp"

namespace {

/// Feeds `lines` and then the end of input; returns every message completed.
std::vector<std::string> join(const std::vector<std::string>& lines) {
  sg::chatbot::LineJoiner joiner;
  std::vector<std::string> out;
  for (const auto& line : lines) {
    if (auto m = joiner.feed(line)) out.push_back(*m);
  }
  if (auto m = joiner.finish()) out.push_back(*m);
  return out;
}

const std::string kStart(sg::chatbot::kPasteStart);
const std::string kEnd(sg::chatbot::kPasteEnd);

}  // namespace

TEST_CASE("LineJoiner: one line is one message") {
  CHECK(join({"hello", "", "/history"}) == std::vector<std::string>{"hello", "", "/history"});
  CHECK(join({"dos line\r"}) == std::vector<std::string>{"dos line"});
}

TEST_CASE("LineJoiner: a bracketed paste is one message whatever lines it holds") {
  CHECK(join({kStart + "one", "two", "three" + kEnd}) == std::vector<std::string>{"one\ntwo\nthree"});
  // Terminals send CR for a pasted newline: all in one line.
  CHECK(join({kStart + "one\rtwo\r\nthree" + kEnd}) == std::vector<std::string>{"one\ntwo\nthree"});
  // Typed text before and after the paste belongs to the same message; the next line is new.
  CHECK(join({"see: " + kStart + "a", "b" + kEnd + " (end)", "next"}) ==
        std::vector<std::string>{"see: a\nb (end)", "next"});
  // A paste may hold empty lines, lines starting with '/' and a final backslash, all kept.
  CHECK(join({kStart + "x", "", "/quit", "y\\" + kEnd}) == std::vector<std::string>{"x\n\n/quit\ny\\"});
  // Two pastes in one line.
  CHECK(join({kStart + "a" + kEnd + " and " + kStart + "b" + kEnd}) == std::vector<std::string>{"a and b"});
  // A paste never closed ends with the input; a stray end marker is dropped.
  CHECK(join({kStart + "open", "still"}) == std::vector<std::string>{"open\nstill\n"});
  CHECK(join({"stray" + kEnd + "!"}) == std::vector<std::string>{"stray!"});
}

TEST_CASE("LineJoiner: a line ending in a backslash continues, pending() says so") {
  sg::chatbot::LineJoiner joiner;
  CHECK_FALSE(joiner.pending());
  CHECK_FALSE(joiner.feed("first \\").has_value());
  CHECK(joiner.pending());
  CHECK_FALSE(joiner.feed("second\\\r").has_value());
  CHECK(joiner.feed("third") == std::optional<std::string>("first \nsecond\nthird"));
  CHECK_FALSE(joiner.pending());
  CHECK_FALSE(joiner.feed(kStart + "pasted").has_value());
  CHECK(joiner.pending());
  CHECK(joiner.feed(kEnd) == std::optional<std::string>("pasted\n"));
  CHECK_FALSE(joiner.finish().has_value());  // nothing pending
  CHECK(join({"last \\"}) == std::vector<std::string>{"last \n"});
  CHECK(join({"a\\ b"}) == std::vector<std::string>{"a\\ b"});  // only a final backslash continues
}
