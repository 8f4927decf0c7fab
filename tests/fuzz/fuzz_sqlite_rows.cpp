// libFuzzer target: the SQLite saver's row codec (checkpoint/src/sqlite_codec.cpp) on arbitrary
// bytes, as a damaged or foreign database would hand them over. The first byte picks the column:
//   0: a value / delta / write column (decode): never throws; reads as decode_slow (from_cbor)
//      does; what decodes re-encodes to itself;
//   1: a checkpoint column (decode_header): SaverCorrupt or a checkpoint that re-encodes the same;
//   2: a metadata column (decode_metadata): SaverCorrupt or JSON.
// Anything else escaping (a nlohmann exception, a crash, UB) is a bug.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "sqlite_codec.hpp"
#include "stategraph/checkpoint/error.hpp"

namespace {

using nlohmann::json;

std::string text_of(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

void require(bool ok) {
  if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::span<const std::uint8_t> bytes(data + 1, size - 1);
  using namespace sg::sqlite_detail;
  switch (data[0] % 3) {
    case 0: {
      const auto value = decode(bytes);
      // decode's own reader and nlohmann::json::from_cbor read the same bytes the same way.
      const auto slow = decode_slow(bytes);
      require(value.has_value() == slow.has_value());
      if (!value) return 0;
      require(text_of(*value) == text_of(*slow) && encode(*value) == encode(*slow));
      const auto again = decode(encode(*value));
      require(again.has_value() && text_of(*again) == text_of(*value));
      return 0;
    }
    case 1: {
      sg::Checkpoint c;
      try {
        decode_header(bytes, c, "fuzz");
      } catch (const sg::SaverCorrupt&) {
        return 0;
      }
      sg::Checkpoint back;
      decode_header(encode_header(c), back, "fuzz");  // what we wrote must read
      require(back.channel_versions == c.channel_versions && back.versions_seen == c.versions_seen &&
              back.v == c.v && back.ts == c.ts);
      return 0;
    }
    default: {
      try {
        (void)decode_metadata(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()), "fuzz");
      } catch (const sg::SaverCorrupt&) {
      }
      return 0;
    }
  }
}
