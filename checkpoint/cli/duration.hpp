#pragma once
// sg-checkpoints: `prune --older-than DURATION` — the duration syntax and the checkpoint id it
// becomes.

#include <chrono>
#include <string>
#include <string_view>

namespace sgcli {

/// Parses "90s", "15m", "12h", "30d", "2w" and sums such as "1d12h".
/// @throws CliError sg.cli.701 naming the accepted forms.
std::chrono::seconds parse_duration(std::string_view text);

/// The smallest checkpoint id (time-ordered UUIDv6, see sg::new_checkpoint_id) created at
/// `when`: every checkpoint created before `when` has a smaller id, every later one a greater.
std::string checkpoint_id_at(std::chrono::system_clock::time_point when);

}  // namespace sgcli
