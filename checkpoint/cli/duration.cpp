#include "duration.hpp"

#include <cstdint>
#include <cstdio>
#include <limits>

#include "cli_error.hpp"

namespace sgcli {

std::chrono::seconds parse_duration(std::string_view text) {
  auto bad = [&] {
    return CliError(sg::ErrorId::cli_bad_command_line,
                    "--older-than \"" + std::string(text) +
                        "\" is not a duration: use a number and a unit, s m h d w (e.g. 30d, 12h, 1d12h)",
                    kExitError);
  };
  if (text.empty()) throw bad();
  std::int64_t total = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    std::int64_t n = 0;
    const std::size_t start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      if (n > 1'000'000'000) throw bad();
      n = n * 10 + (text[i] - '0');
      ++i;
    }
    if (i == start || i == text.size()) throw bad();
    std::int64_t unit = 0;
    switch (text[i]) {
      case 's': unit = 1; break;
      case 'm': unit = 60; break;
      case 'h': unit = 3600; break;
      case 'd': unit = 86400; break;
      case 'w': unit = 7 * 86400; break;
      default: throw bad();
    }
    ++i;
    total += n * unit;
  }
  return std::chrono::seconds(total);
}

std::string checkpoint_id_at(std::chrono::system_clock::time_point when) {
  // 100 ns ticks since the Gregorian epoch, as in sg::new_checkpoint_id.
  constexpr std::uint64_t kGregorianOffset = 0x01B21DD213814000ULL;
  using Ticks = std::chrono::duration<std::int64_t, std::ratio<1, 10'000'000>>;
  const std::int64_t since_unix = std::chrono::duration_cast<Ticks>(when.time_since_epoch()).count();
  const std::uint64_t ts =
      since_unix < 0 ? 0 : (static_cast<std::uint64_t>(since_unix) + kGregorianOffset) & 0x0FFF'FFFF'FFFF'FFFFULL;
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08llx-%04llx-%04llx-0000-000000000000",
                static_cast<unsigned long long>(ts >> 28), static_cast<unsigned long long>((ts >> 12) & 0xFFFF),
                static_cast<unsigned long long>(0x6000 | (ts & 0x0FFF)));
  return buf;
}

}  // namespace sgcli
