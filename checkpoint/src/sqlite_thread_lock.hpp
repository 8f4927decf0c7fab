#pragma once
// Internal to stategraph::sqlite: SqliteSaver::lock_thread, an flock(2) per thread id.

#include <chrono>
#include <filesystem>
#include <memory>
#include <string_view>

#include "stategraph/checkpoint/saver.hpp"

namespace sg::sqlite_detail {

/// Takes the lock file of `thread_id` in `directory` (created when missing), polling with a
/// back-off from 1 ms up to `max_poll` until `wait` has passed. The returned lock deletes the
/// file and unlocks it when destroyed; the kernel unlocks it if the process dies.
/// @throws SaverError [sg.saver.404] when the thread stays busy for `wait`;
///         SaverUnavailable [sg.saver.401] when the directory or file cannot be created.
std::unique_ptr<ThreadLock> lock_thread_file(const std::filesystem::path& directory, std::string_view thread_id,
                                             std::chrono::milliseconds wait, std::chrono::milliseconds max_poll);

}  // namespace sg::sqlite_detail
