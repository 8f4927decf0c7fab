// libFuzzer target: the SSE parser (nodes/src/sse_parser.hpp). Any input, fed whole and fed in
// pieces (the chunking chosen by the first byte), gives the same events, and nothing but
// std::length_error escapes. Every event's data that is JSON goes through openai_parse_chunk,
// which may throw only sg::Error.
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include <stategraph/nodes/errors.hpp>

#include "openai_wire.hpp"
#include "sse_parser.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t step = 1 + data[0] % 13;
  const std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);

  sg::nodes_detail::SseParser whole;
  std::vector<sg::nodes_detail::SseEvent> expected;
  whole.feed(input, expected);
  whole.finish(expected);

  sg::nodes_detail::SseParser pieces;
  std::vector<sg::nodes_detail::SseEvent> got;
  for (std::size_t at = 0; at < input.size(); at += step) pieces.feed(input.substr(at, step), got);
  pieces.finish(got);
  if (got != expected) std::abort();

  for (const auto& e : expected) {
    const auto j = nlohmann::json::parse(e.data, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) continue;
    try {
      (void)sg::nodes_detail::openai_parse_chunk(j);
    } catch (const sg::Error&) {
    }
  }
  return 0;
}
