#pragma once
// Internal to stategraph::sqlite: how the SQLite saver encodes what it stores and decodes what it
// reads, with no database in sight (so that it is fuzzed on its own: tests/fuzz).
//  - values, deltas' appended arrays and pending writes: self-described CBOR (RFC 8949 §3.4.6:
//    the tag 55799, bytes d9 d9 f7, then nlohmann::json::to_cbor). The 3-byte mark tells damaged
//    or foreign bytes from a value: plain CBOR would accept most text ("garbage" is a valid CBOR
//    string) as some value.
//  - the checkpoint row's `checkpoint` column: that CBOR of {v, ts, channel_versions,
//    versions_seen[, delta_chains]} (no values, no id);
//  - metadata: JSON text (so SQL can filter on it).
// Thread-safety: pure functions.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "stategraph/checkpoint/checkpoint.hpp"

namespace sg::sqlite_detail {

using Bytes = std::vector<std::uint8_t>;

/// The stored form of a value.
Bytes encode(const nlohmann::json& value);
/// The value of stored bytes; nullopt when they are not the mark followed by exactly one CBOR
/// value. Never throws.
std::optional<nlohmann::json> decode(std::span<const std::uint8_t> bytes);
/// decode() through nlohmann::json::from_cbor alone (decode reads what to_cbor writes itself and
/// leaves the rest to it); the fuzz target checks that both agree.
std::optional<nlohmann::json> decode_slow(std::span<const std::uint8_t> bytes);

/// The checkpoint column of a checkpoint row.
Bytes encode_header(const Checkpoint& c);
/// Fills v, ts, channel_versions, versions_seen and delta_chains (format 2; absent in format 1)
/// of `c` from a checkpoint column. @throws SaverCorrupt "<at>: ..." when it does not decode or
/// has another shape.
void decode_header(std::span<const std::uint8_t> bytes, Checkpoint& c, const std::string& at);

/// Metadata as JSON text. @throws SaverError [sg.saver.403] when it holds invalid UTF-8.
std::string metadata_text(const nlohmann::json& metadata);
/// The metadata of its stored text. @throws SaverCorrupt "<at>: ..." when it is not JSON.
nlohmann::json decode_metadata(std::string_view text, const std::string& at);

}  // namespace sg::sqlite_detail
