// libFuzzer target: the OpenAI wire format (nodes/src/openai_wire.hpp). Any bytes as an error
// body, a Retry-After value, and (when they are JSON) a completion or a stream chunk: only
// sg::Error may escape, and every error text is valid UTF-8 (it must survive JSON serialisation).
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <stategraph/nodes/errors.hpp>

#include "openai_wire.hpp"

namespace {

void check_text(const std::string& s) {
  try {
    (void)nlohmann::json(s).dump();
  } catch (const nlohmann::json::exception&) {
    std::abort();  // not valid UTF-8
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace nd = sg::nodes_detail;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  check_text(nd::openai_error_message(input));
  check_text(nd::text_excerpt(input, 50));
  const auto half = input.size() / 2;
  (void)nd::parse_retry_after(input.substr(0, half), input.substr(half), std::chrono::system_clock::now());

  const auto j = nlohmann::json::parse(input, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return 0;
  try {
    const sg::Message m = nd::openai_parse_completion(j);
    (void)nlohmann::json(m).dump();
  } catch (const sg::Error& e) {
    check_text(e.what());
  }
  try {
    if (const auto c = nd::openai_parse_chunk(j)) (void)nlohmann::json(*c).dump();
  } catch (const sg::Error& e) {
    check_text(e.what());
  }
  return 0;
}
