// Channel versions and the deterministic ids of tasks and interrupts.

#include "ids.hpp"

#include <algorithm>
#include <charconv>
#include <random>
#include <string_view>

#include <xxhash.h>

namespace sg::detail {

Version parse_version(const std::string& s) {
  Version v;
  v.text = std::make_shared<const std::string>(s);
  for (char c : s) {
    if (c < '0' || c > '9') break;
    v.n = v.n * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (v.n == 0) v.n = 1;  // a foreign version string still counts as "has a value"
  return v;
}

namespace {

/// Writes `digits` lowercase hex digits of v (most significant first) at out.
void put_hex(char* out, std::uint64_t v, int digits) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = digits - 1; i >= 0; --i, v >>= 4) out[i] = kHex[v & 0xf];
}

}  // namespace

std::string format_version(std::uint64_t n) {
  // "%020u.%016x" without snprintf: this runs for every changed channel of every step.
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::string s(37, '0');
  for (int i = 19; i >= 0 && n != 0; --i, n /= 10) s[static_cast<std::size_t>(i)] = static_cast<char>('0' + n % 10);
  s[20] = '.';
  put_hex(s.data() + 21, rng(), 16);
  return s;
}

namespace {

std::string hex128(const XXH128_hash_t& h, bool dashed) {
  const auto hi = static_cast<std::uint64_t>(h.high64);
  const auto lo = static_cast<std::uint64_t>(h.low64);
  if (!dashed) {
    std::string s(32, '0');
    put_hex(s.data(), hi, 16);
    put_hex(s.data() + 16, lo, 16);
    return s;
  }
  std::string s(36, '-');  // 8-4-4-4-12
  put_hex(s.data(), hi >> 32, 8);
  put_hex(s.data() + 9, (hi >> 16) & 0xffff, 4);
  put_hex(s.data() + 14, hi & 0xffff, 4);
  put_hex(s.data() + 19, lo >> 48, 4);
  put_hex(s.data() + 24, lo & std::uint64_t{0xffffffffffff}, 12);
  return s;
}

}  // namespace

std::string task_id(const std::string& checkpoint_id, const std::string& ns, std::int64_t step,
                    const std::string& node, bool push, const std::string& detail) {
  // The hash of checkpoint_id \0 ns \0 step \0 node \0 kind \0 detail, the key built on the stack
  // when it fits (this runs for every task; XXH3's streaming API costs more than the copy).
  char digits[24];
  const auto digits_end = std::to_chars(digits, digits + sizeof digits, step).ptr;
  const std::string_view step_text(digits, static_cast<std::size_t>(digits_end - digits));
  const std::string_view kind = push ? "__pregel_push" : "__pregel_pull";
  const std::string_view parts[] = {checkpoint_id, ns, step_text, node, kind, detail};
  std::size_t size = 0;
  for (const auto part : parts) size += part.size() + 1;
  char local[256];
  std::string heap;
  char* key = local;
  if (size > sizeof local) {
    heap.resize(size);
    key = heap.data();
  }
  char* p = key;
  for (std::size_t i = 0; i < std::size(parts); ++i) {
    if (i > 0) *p++ = '\0';
    p = std::copy(parts[i].begin(), parts[i].end(), p);
  }
  return hex128(XXH3_128bits(key, static_cast<std::size_t>(p - key)), true);
}

std::string interrupt_id(const std::string& ns, const std::string& node, const std::string& task) {
  std::string key = ns.empty() ? node + ":" + task : ns + "|" + node + ":" + task;
  return hex128(XXH3_128bits(key.data(), key.size()), false);
}

}  // namespace sg::detail
