#include "sqlite_shared_writer.hpp"

#include <filesystem>
#include <map>
#include <string>
#include <system_error>

#include "stategraph/checkpoint/error.hpp"

namespace sg::sqlite_detail {

std::shared_ptr<SharedWriter> SharedWriter::of(const std::string& path, std::chrono::milliseconds busy_timeout,
                                               bool synchronous_full) {
  std::error_code ec;
  const auto canonical = std::filesystem::weakly_canonical(path, ec);
  const std::string key = ec ? path : canonical.string();
  static std::mutex registry_mutex;
  static std::map<std::string, std::weak_ptr<SharedWriter>> registry;
  const std::lock_guard lock(registry_mutex);
  for (auto it = registry.begin(); it != registry.end();) it = it->second.expired() ? registry.erase(it) : std::next(it);
  if (auto found = registry[key].lock()) {
    const auto gate = found->lease(busy_timeout);
    found->configure(busy_timeout, synchronous_full);
    return found;
  }
  auto writer = std::make_shared<SharedWriter>(path, busy_timeout, synchronous_full);
  registry[key] = writer;
  return writer;
}

SharedWriter::SharedWriter(const std::string& path, std::chrono::milliseconds busy_timeout, bool synchronous_full)
    : connection_(path, busy_timeout, synchronous_full), busy_timeout_(busy_timeout), synchronous_full_(synchronous_full) {
  // The writer's cache stays valid between its own transactions: give it room for a busy file's
  // hot pages (16 MiB; SQLite's default is 2 MiB per connection).
  connection_.exec("PRAGMA cache_size=-16384", "configuring the writer connection");
}

void SharedWriter::configure(std::chrono::milliseconds busy_timeout, bool synchronous_full) {
  if (busy_timeout > busy_timeout_) {
    busy_timeout_ = busy_timeout;
    sqlite3_busy_timeout(connection_.db(), static_cast<int>(busy_timeout.count()));
  }
  if (synchronous_full && !synchronous_full_) {
    connection_.exec("PRAGMA synchronous=FULL", "configuring the writer connection");
    synchronous_full_ = true;
  }
}

SharedWriter::Lease SharedWriter::lease(std::chrono::milliseconds wait) {
  std::unique_lock gate(gate_, std::defer_lock);
  if (!gate.try_lock_for(wait))
    throw SaverUnavailable("beginning a write: another thread of this process held the database \"" +
                               connection_.path() + "\" for writing longer than the busy timeout (" +
                               std::to_string(wait.count()) + " ms)",
                           std::to_string(SQLITE_BUSY));
  return Lease(std::move(gate), connection_);
}

SharedWriter::Lease::~Lease() {
  if (gate_.owns_lock() && !connection_->autocommit())
    sqlite3_exec(connection_->db(), "ROLLBACK", nullptr, nullptr, nullptr);
}

}  // namespace sg::sqlite_detail
