#include "sqlite_codec.hpp"

#include <algorithm>
#include <bit>
#include <iterator>
#include <limits>

#include "stategraph/checkpoint/error.hpp"

namespace sg::sqlite_detail {

using nlohmann::json;

namespace {

constexpr std::uint8_t kCborMark[] = {0xd9, 0xd9, 0xf7};

// A CBOR reader for what json::to_cbor writes — definite lengths, text-keyed maps, integers,
// float32/float64, false/true/null, byte strings — building the same JSON as json::from_cbor
// (strict), three to four times faster on a conversation (nlohmann reads strings byte by byte).
// Anything else (tags, indefinite lengths, half floats, simple values, integers below INT64_MIN,
// nesting deeper than kMaxDepth, bytes missing or left over) makes it give up: the caller then
// asks json::from_cbor, which decides (tests/fuzz/fuzz_sqlite_rows.cpp compares the two).
class FastCbor {
 public:
  FastCbor(const std::uint8_t* p, const std::uint8_t* end) : p_(p), end_(end) {}

  /// One value filling the whole input, or false.
  bool read_all(json& out) { return read(out, 0) && p_ == end_; }

 private:
  static constexpr int kMaxDepth = 128;

  bool head(std::uint8_t& major, std::uint64_t& n) {
    if (p_ == end_) return false;
    const std::uint8_t b = *p_++;
    major = b >> 5;
    const std::uint8_t info = b & 0x1f;
    if (info < 24) {
      n = info;
      return true;
    }
    if (info > 27) return false;  // reserved, or an indefinite length
    const std::size_t size = std::size_t{1} << (info - 24);
    if (static_cast<std::size_t>(end_ - p_) < size) return false;
    n = 0;
    for (std::size_t i = 0; i < size; ++i) n = (n << 8) | *p_++;
    return true;
  }

  bool bytes(std::uint64_t n, const std::uint8_t*& at) {
    if (static_cast<std::uint64_t>(end_ - p_) < n) return false;
    at = p_;
    p_ += n;
    return true;
  }

  bool read(json& out, int depth) {
    if (depth > kMaxDepth) return false;
    std::uint8_t major = 0;
    std::uint64_t n = 0;
    if (p_ == end_) return false;
    switch (*p_) {
      case 0xf4:
      case 0xf5:
        out = *p_++ == 0xf5;
        return true;
      case 0xf6:
        ++p_;
        out = nullptr;
        return true;
      case 0xf9:
      case 0xfa:
      case 0xfb:
        return read_float(out);
      default:
        break;
    }
    if (!head(major, n)) return false;
    const std::uint8_t* at = nullptr;
    switch (major) {
      case 0:
        out = static_cast<json::number_unsigned_t>(n);
        return true;
      case 1:
        if (n > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return false;
        out = static_cast<json::number_integer_t>(-1) - static_cast<json::number_integer_t>(n);
        return true;
      case 2:
        if (!bytes(n, at)) return false;
        out = json::binary(json::binary_t::container_type(at, at + n));
        return true;
      case 3:
        if (!bytes(n, at)) return false;
        out = std::string(reinterpret_cast<const char*>(at), n);
        return true;
      case 4: {
        if (n > static_cast<std::uint64_t>(end_ - p_)) return false;  // each element takes a byte
        out = json::array();
        auto& a = out.get_ref<json::array_t&>();
        a.resize(static_cast<std::size_t>(n));
        for (auto& e : a)
          if (!read(e, depth + 1)) return false;
        return true;
      }
      case 5: {
        if (n > static_cast<std::uint64_t>(end_ - p_) / 2) return false;
        out = json::object();
        auto& o = out.get_ref<json::object_t&>();
        for (std::uint64_t i = 0; i < n; ++i) {
          std::uint8_t key_major = 0;
          std::uint64_t key_size = 0;
          if (!head(key_major, key_size) || key_major != 3 || !bytes(key_size, at)) return false;
          // Keys come sorted from to_cbor; a repeated key keeps the last value, as from_cbor does.
          auto it = o.emplace_hint(o.end(), std::string(reinterpret_cast<const char*>(at), key_size), json());
          if (!read(it->second, depth + 1)) return false;
        }
        return true;
      }
      default:  // 6: a tag; 7: a simple value other than false, true and null
        return false;
    }
  }

  bool read_float(json& out) {
    const std::uint8_t kind = *p_++;
    if (kind == 0xf9) return false;  // half precision: left to from_cbor
    const std::size_t size = kind == 0xfa ? 4 : 8;
    if (static_cast<std::size_t>(end_ - p_) < size) return false;
    std::uint64_t bits = 0;
    for (std::size_t i = 0; i < size; ++i) bits = (bits << 8) | *p_++;
    if (size == 4) {
      out = static_cast<double>(std::bit_cast<float>(static_cast<std::uint32_t>(bits)));
    } else {
      out = std::bit_cast<double>(bits);
    }
    return true;
  }

  const std::uint8_t* p_;
  const std::uint8_t* end_;
};

}  // namespace

Bytes encode(const json& value) {
  Bytes out(std::begin(kCborMark), std::end(kCborMark));
  json::to_cbor(value, out);
  return out;
}

std::optional<json> decode(std::span<const std::uint8_t> bytes) {
  if (bytes.size() <= sizeof kCborMark || !std::equal(std::begin(kCborMark), std::end(kCborMark), bytes.begin()))
    return std::nullopt;
  json fast;
  if (FastCbor(bytes.data() + sizeof kCborMark, bytes.data() + bytes.size()).read_all(fast)) return fast;
  return decode_slow(bytes);
}

std::optional<json> decode_slow(std::span<const std::uint8_t> bytes) {
  if (bytes.size() <= sizeof kCborMark || !std::equal(std::begin(kCborMark), std::end(kCborMark), bytes.begin()))
    return std::nullopt;
  try {
    json j = json::from_cbor(bytes.data() + sizeof kCborMark, bytes.data() + bytes.size(), /*strict=*/true,
                             /*allow_exceptions=*/false);
    if (j.is_discarded()) return std::nullopt;
    return j;
  } catch (const json::exception&) {
    return std::nullopt;
  }
}

std::string metadata_text(const json& metadata) {
  try {
    return metadata.dump();
  } catch (const json::exception& e) {
    throw SaverError(ErrorId::saver_invalid_argument, std::string("put: metadata cannot be stored as JSON: ") + e.what());
  }
}

Bytes encode_header(const Checkpoint& c) {
  json j = json::object();
  j["v"] = c.v;
  j["ts"] = c.ts;
  j["channel_versions"] = c.channel_versions;
  j["versions_seen"] = c.versions_seen;
  if (!c.delta_chains.is_object() || !c.delta_chains.empty()) j["delta_chains"] = c.delta_chains;
  return encode(j);
}

void decode_header(std::span<const std::uint8_t> bytes, Checkpoint& c, const std::string& at) {
  const auto j = decode(bytes);
  if (!j) throw SaverCorrupt(at + ": the checkpoint row does not decode (damaged data)");
  try {
    j->at("v").get_to(c.v);
    j->at("ts").get_to(c.ts);
    j->at("channel_versions").get_to(c.channel_versions);
    j->at("versions_seen").get_to(c.versions_seen);
    if (const auto it = j->find("delta_chains"); it != j->end()) c.delta_chains = *it;
  } catch (const json::exception& e) {
    throw SaverCorrupt(at + ": the checkpoint row has an unexpected shape: " + e.what());
  }
}

json decode_metadata(std::string_view text, const std::string& at) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) throw SaverCorrupt(at + ": the metadata is not valid JSON (damaged data)");
  return j;
}

}  // namespace sg::sqlite_detail
