#include "sqlite_codec.hpp"

#include <algorithm>
#include <iterator>

#include "stategraph/checkpoint/error.hpp"

namespace sg::sqlite_detail {

using nlohmann::json;

namespace {

constexpr std::uint8_t kCborMark[] = {0xd9, 0xd9, 0xf7};

}  // namespace

Bytes encode(const json& value) {
  Bytes out(std::begin(kCborMark), std::end(kCborMark));
  json::to_cbor(value, out);
  return out;
}

std::optional<json> decode(std::span<const std::uint8_t> bytes) {
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
    throw SaverError("sg.saver.403", std::string("put: metadata cannot be stored as JSON: ") + e.what());
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
