// The incremental SSE parser (nodes/src/sse_parser.hpp): the WHATWG rules it follows, and the
// same events whatever the split of the input (every byte boundary, random chunkings).
#include <doctest/doctest.h>

#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "sse_parser.hpp"

using sg::nodes_detail::SseEvent;
using sg::nodes_detail::SseParser;
using namespace std::string_view_literals;

namespace {

std::vector<SseEvent> parse_whole(const std::string& s, bool finish = true) {
  SseParser p;
  std::vector<SseEvent> out;
  p.feed(s, out);
  if (finish) p.finish(out);
  return out;
}

std::vector<SseEvent> parse_pieces(const std::string& s, const std::vector<std::size_t>& cuts) {
  SseParser p;
  std::vector<SseEvent> out;
  std::size_t from = 0;
  for (std::size_t cut : cuts) {
    p.feed(std::string_view(s).substr(from, cut - from), out);
    from = cut;
  }
  p.feed(std::string_view(s).substr(from), out);
  p.finish(out);
  return out;
}

std::vector<std::string> data_of(const std::vector<SseEvent>& events) {
  std::vector<std::string> d;
  for (const auto& e : events) d.push_back(e.data);
  return d;
}

}  // namespace

TEST_CASE("openai SSE parser: data lines, blank-line dispatch, LF / CRLF / CR line ends") {
  using V = std::vector<std::string>;
  CHECK(data_of(parse_whole("data: a\n\ndata: b\n\n", false)) == V{"a", "b"});
  CHECK(data_of(parse_whole("data: a\r\n\r\ndata: b\r\n\r\n", false)) == V{"a", "b"});
  CHECK(data_of(parse_whole("data: a\r\rdata: b\r\r", false)) == V{"a", "b"});
  CHECK(data_of(parse_whole("data: a\r\n\ndata: b\n\r\n", false)) == V{"a", "b"});  // mixed
  CHECK(data_of(parse_whole("data: one\ndata: two\ndata:three\n\n", false)) == V{"one\ntwo\nthree"});
  CHECK(data_of(parse_whole("data:  two spaces\n\n", false)) == V{" two spaces"});  // only one space goes
  CHECK(data_of(parse_whole("data\n\n", false)) == V{""});                          // a field without colon
  CHECK(data_of(parse_whole("data:\n\n", false)) == V{""});
  CHECK(parse_whole("\n\n\n", false).empty());                         // blank lines alone: no event
  CHECK(parse_whole("event: ping\n\n", false).empty());                // no data: no event
  CHECK(data_of(parse_whole("data: x\n", false)).empty());             // not dispatched yet
}

TEST_CASE("openai SSE parser: comments, event types, ids, retry, unknown fields, BOM") {
  auto events = parse_whole(": keep-alive\n: OPENROUTER PROCESSING\n\nevent: error\ndata: {}\nid: 7\nretry: 1500\nfoo: bar\n\n"
                            "data: next\n\n");
  REQUIRE(events.size() == 2);
  CHECK(events[0].type == "error");
  CHECK(events[0].data == "{}");
  CHECK(events[0].last_event_id == "7");
  CHECK(events[1].type == "message");  // the type applies to one event only
  CHECK(events[1].last_event_id == "7");  // the id persists
  SseParser p;
  std::vector<SseEvent> out;
  p.feed("retry: 1500\nretry: 2x\nid: a\0b\n\n"sv, out);
  CHECK(p.retry_ms() == 1500);       // "2x" is not a number: ignored
  CHECK(p.last_event_id().empty());  // an id containing NUL is ignored
  CHECK(data_of(parse_whole("\xEF\xBB\xBF" "data: after bom\n\n")) == std::vector<std::string>{"after bom"});
  CHECK(data_of(parse_whole("data: \xEF\xBB\xBF" "kept\n\n")) == std::vector<std::string>{"\xEF\xBB\xBF" "kept"});
}

TEST_CASE("openai SSE parser: partial input, finish, size limit") {
  SseParser p;
  std::vector<SseEvent> out;
  CHECK(p.feed("da", out) == 0);
  CHECK(p.feed("ta: {\"a\":", out) == 0);
  CHECK(p.pending());
  CHECK(p.feed(" 1}\r", out) == 0);
  CHECK(p.feed("\n", out) == 0);  // the LF of the CRLF: no extra (blank) line
  CHECK(p.feed("\r\n", out) == 1);
  REQUIRE(out.size() == 1);
  CHECK(out[0].data == "{\"a\": 1}");
  CHECK_FALSE(p.pending());

  out.clear();
  p.feed("data: [DONE]", out);  // the server closed without the line end
  CHECK(out.empty());
  CHECK(p.finish(out) == 1);
  CHECK(out.at(0).data == "[DONE]");

  SseParser small(64);
  out.clear();
  CHECK_THROWS_AS(small.feed("data: " + std::string(100, 'x'), out), std::length_error);
  SseParser small2(64);
  CHECK_THROWS_AS([&] { for (int i = 0; i < 20; ++i) small2.feed("data: 0123456789\n", out); }(), std::length_error);
}

TEST_CASE("openai SSE parser: identical events for every split point and random chunkings") {
  // A stream with every kind of line, line end and field, including CRLF pairs and UTF-8.
  std::mt19937 gen(20240611);
  const std::vector<std::string> eols{"\n", "\r\n", "\r"};
  const std::vector<std::string> lines{"data: {\"choices\":[{\"delta\":{\"content\":\"h\xC3\xA9llo\"}}]}",
                                       ": comment", "event: delta", "id: 42", "retry: 100", "data:x", "data",
                                       "data: [DONE]", "unknown: field", "data: a: b: c", ""};
  std::string stream = "\xEF\xBB\xBF";
  for (int i = 0; i < 300; ++i) {
    stream += lines[gen() % lines.size()];
    stream += eols[gen() % eols.size()];
    if (gen() % 4 == 0) stream += eols[gen() % eols.size()];  // blank line: dispatch
  }
  const auto expected = parse_whole(stream);
  REQUIRE(expected.size() > 20);

  for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
    const auto got = parse_pieces(stream, {cut});
    if (got != expected) {
      FAIL_CHECK("split at byte " << cut << " changes the events");
      break;
    }
  }
  for (int round = 0; round < 200; ++round) {
    std::vector<std::size_t> cuts;
    std::size_t at = 0;
    while (true) {
      at += 1 + gen() % 40;
      if (at >= stream.size()) break;
      cuts.push_back(at);
    }
    const auto got = parse_pieces(stream, cuts);
    if (got != expected) {
      FAIL_CHECK("random chunking " << round << " changes the events");
      break;
    }
  }
  std::vector<std::size_t> every;  // one byte at a time
  for (std::size_t i = 1; i < stream.size(); ++i) every.push_back(i);
  CHECK(parse_pieces(stream, every) == expected);
}
