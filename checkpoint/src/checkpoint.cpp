#include "stategraph/checkpoint/checkpoint.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <functional>
#include <random>
#include <thread>

#include "stategraph/checkpoint/error.hpp"

namespace sg {

namespace {

// 100 ns intervals between the Gregorian epoch (1582-10-15) and the Unix epoch.
constexpr std::uint64_t kGregorianOffset = 0x01B21DD213814000ULL;

// The last timestamp handed out; ids take max(now, last + 1) so they never repeat or go back.
std::atomic<std::uint64_t> g_last_timestamp{0};

std::uint64_t next_timestamp() {
  using Ticks = std::chrono::duration<std::uint64_t, std::ratio<1, 10'000'000>>;
  const std::uint64_t now =
      std::chrono::duration_cast<Ticks>(std::chrono::system_clock::now().time_since_epoch())
          .count() +
      kGregorianOffset;
  std::uint64_t prev = g_last_timestamp.load(std::memory_order_relaxed);
  std::uint64_t next = 0;
  do {
    next = now > prev ? now : prev + 1;
  } while (!g_last_timestamp.compare_exchange_weak(prev, next, std::memory_order_relaxed));
  return next;
}

std::uint64_t random_bits() {
  thread_local std::mt19937_64 rng = [] {
    std::random_device rd;
    const std::uint64_t seed = (std::uint64_t{rd()} << 32) ^ rd() ^
                               std::hash<std::thread::id>{}(std::this_thread::get_id());
    return std::mt19937_64(seed);
  }();
  return rng();
}

// Writes the low `digits` hex digits of `value` at `out`, most significant first.
char* put_hex(char* out, std::uint64_t value, int digits) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = digits - 1; i >= 0; --i) {
    out[i] = kHex[value & 0xF];
    value >>= 4;
  }
  return out + digits;
}

}  // namespace

std::string new_checkpoint_id() {
  // RFC 9562 UUIDv6: the 60-bit timestamp high bits first, so string order = time order.
  const std::uint64_t ts = next_timestamp() & 0x0FFF'FFFF'FFFF'FFFFULL;
  const std::uint64_t rnd = random_bits();
  const std::uint64_t time_high = ts >> 28;                      // 32 bits
  const std::uint64_t time_mid = (ts >> 12) & 0xFFFF;            // 16 bits
  const std::uint64_t ver_time_low = 0x6000 | (ts & 0x0FFF);     // version 6 + 12 bits
  const std::uint64_t clock_seq = 0x8000 | (rnd & 0x3FFF);       // variant 10 + 14 bits
  const std::uint64_t node = rnd >> 16;                          // 48 bits

  std::string id(36, '-');
  char* p = id.data();
  p = put_hex(p, time_high, 8) + 1;
  p = put_hex(p, time_mid, 4) + 1;
  p = put_hex(p, ver_time_low, 4) + 1;
  p = put_hex(p, clock_seq, 4) + 1;
  put_hex(p, node, 12);
  return id;
}

std::string utc_now_iso8601() {
  const auto now = std::chrono::system_clock::now();
  const auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count();
  const std::time_t secs = static_cast<std::time_t>(micros / 1'000'000);
  // The "YYYY-MM-DDTHH:MM:SS." prefix changes once a second; each thread keeps its last one
  // (this runs for every checkpoint).
  thread_local std::time_t cached_secs = -1;
  thread_local std::string cached_prefix;
  if (secs != cached_secs) {
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[96];  // roomy enough for any int the compiler imagines
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    cached_prefix = buf;
    cached_secs = secs;
  }
  std::string out;
  out.reserve(cached_prefix.size() + 7);  // one allocation
  out.append(cached_prefix).append(7, '0');
  auto frac = static_cast<int>(micros % 1'000'000);
  for (std::size_t i = 0; i < 6; ++i, frac /= 10) out[cached_prefix.size() + 5 - i] = static_cast<char>('0' + frac % 10);
  out.back() = 'Z';
  return out;
}

void to_json(nlohmann::json& j, const Checkpoint& c) {
  j = nlohmann::json{{"v", c.v},
                     {"id", c.id},
                     {"ts", c.ts},
                     {"channel_values", c.channel_values},
                     {"channel_versions", c.channel_versions},
                     {"versions_seen", c.versions_seen}};
  if (c.delta_chains.is_object() ? !c.delta_chains.empty() : !c.delta_chains.is_null())
    j["delta_chains"] = c.delta_chains;
}

void from_json(const nlohmann::json& j, Checkpoint& c) {
  j.at("v").get_to(c.v);
  j.at("id").get_to(c.id);
  j.at("ts").get_to(c.ts);
  j.at("channel_values").get_to(c.channel_values);
  j.at("channel_versions").get_to(c.channel_versions);
  j.at("versions_seen").get_to(c.versions_seen);
  if (const auto it = j.find("delta_chains"); it != j.end() && !it->is_null()) {
    c.delta_chains = *it;
  } else {
    c.delta_chains = nlohmann::json::object();
  }
}

void upgrade_checkpoint(Checkpoint& checkpoint, CheckpointMetadata& metadata) {
  if (checkpoint.v >= 2 || !metadata.is_object()) return;
  const auto it = metadata.find(format::kLegacyDeltaChainKey);
  if (it == metadata.end()) return;
  checkpoint.delta_chains = std::move(*it);
  metadata.erase(it);
}

void to_json(nlohmann::json& j, const PendingWrite& w) {
  j = nlohmann::json{{"task_id", w.task_id}, {"channel", w.channel}, {"value", w.value}};
}

void from_json(const nlohmann::json& j, PendingWrite& w) {
  j.at("task_id").get_to(w.task_id);
  j.at("channel").get_to(w.channel);
  w.value = j.at("value");
}

void to_json(nlohmann::json& j, const ChannelDelta& d) {
  j = nlohmann::json{{"base", d.base}, {"keep", d.keep}, {"append", d.append}};
}

void from_json(const nlohmann::json& j, ChannelDelta& d) {
  d.base = j.at("base").get<std::string>();
  d.keep = j.at("keep").get<std::size_t>();
  d.append = j.at("append");
  if (!d.append.is_array()) throw nlohmann::json::type_error::create(302, "delta append is not an array", &j);
}

void check_delta(const std::string& channel, const ChannelVersion& version, const ChannelDelta& delta) {
  if (delta.base.empty() || delta.base == version)
    throw SaverError(ErrorId::saver_invalid_argument, "put: the delta of channel \"" + channel + "\" at version \"" + version +
                                         "\" must be based on an earlier version, got \"" + delta.base + "\"");
  if (!delta.append.is_array())
    throw SaverError(ErrorId::saver_invalid_argument,
                     "put: the delta of channel \"" + channel + "\" has an append that is not an array");
}

nlohmann::json apply_delta(const nlohmann::json& base_value, const ChannelDelta& delta) {
  if (!base_value.is_array() || base_value.size() < delta.keep)
    throw SaverCorrupt("a stored delta keeps " + std::to_string(delta.keep) + " elements of version " + delta.base +
                       ", which is not an array of at least that many");
  nlohmann::json out = nlohmann::json::array();
  out.get_ref<nlohmann::json::array_t&>().reserve(delta.keep + delta.append.size());
  for (std::size_t i = 0; i < delta.keep; ++i) out.push_back(base_value[i]);
  for (const auto& v : delta.append) out.push_back(v);
  return out;
}

}  // namespace sg
