#pragma once
// Internal to stategraph::sqlite: the checksum stored next to every stored item (schema 2,
// column `checksum`): XXH3-64 of the item's stored bytes, kept as SQLite's signed INTEGER (the
// same 64 bits). xxhash is inlined here (XXH_INLINE_ALL), so nothing more is linked.
//  - sg_blobs: checksum(data)
//  - sg_writes: checksum(value)
//  - sg_checkpoints: row_checksum(checkpoint, metadata)
// Why XXH3 and not a CRC: it is already a dependency of the engine and hashes at memory speed;
// a 64-bit hash misses a random change with probability 2^-64 (CRC-32C would guarantee to catch
// short bursts, but misses 2^-32 of the rest). Measured cost: README.md, "sg-checkpoints".
// Thread-safety: pure functions.

#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace sg::sqlite_detail {

/// XXH3-64 of `bytes` with `seed`, as the signed INTEGER SQLite stores.
inline std::int64_t checksum(std::span<const std::uint8_t> bytes, std::uint64_t seed = 0) {
  const XXH64_hash_t h = XXH3_64bits_withSeed(bytes.data(), bytes.size(), seed);
  std::int64_t out;
  std::memcpy(&out, &h, sizeof out);
  return out;
}

/// The checksum of a checkpoint row: its checkpoint column, then its metadata text.
inline std::int64_t row_checksum(std::span<const std::uint8_t> header, std::string_view metadata) {
  std::uint64_t seed;
  const std::int64_t first = checksum(header);
  std::memcpy(&seed, &first, sizeof seed);
  return checksum({reinterpret_cast<const std::uint8_t*>(metadata.data()), metadata.size()}, seed);
}

}  // namespace sg::sqlite_detail
