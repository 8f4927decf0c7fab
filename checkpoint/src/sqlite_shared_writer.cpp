#include "sqlite_shared_writer.hpp"

#include <algorithm>
#include <filesystem>
#include <map>
#include <string>
#include <system_error>
#include <utility>

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
  std::erase_if(registry, [](const auto& entry) { return entry.second.expired(); });
  if (auto found = registry[key].lock()) {
    found->configure(busy_timeout, synchronous_full);
    return found;
  }
  auto writer = std::make_shared<SharedWriter>(path, busy_timeout, synchronous_full);
  registry[key] = writer;
  return writer;
}

SharedWriter::SharedWriter(const std::string& path, std::chrono::milliseconds busy_timeout, bool synchronous_full)
    : connection_(path, busy_timeout, synchronous_full), busy_timeout_(busy_timeout), synchronous_full_(synchronous_full) {
  // The writer's cache stays valid between its own transactions: room for a busy file's hot
  // pages (16 MiB; SQLite's default is 2 MiB per connection).
  connection_.exec("PRAGMA cache_size=-16384", "configuring the writer connection");
}

void SharedWriter::configure(std::chrono::milliseconds busy_timeout, bool synchronous_full) {
  configure_connection([&](Connection& c) {
    if (busy_timeout > busy_timeout_) {
      busy_timeout_ = busy_timeout;
      sqlite3_busy_timeout(c.db(), static_cast<int>(busy_timeout.count()));
    }
    if (synchronous_full && !synchronous_full_) {
      c.exec("PRAGMA synchronous=FULL", "configuring the writer connection");
      synchronous_full_ = true;
    }
  });
}

void SharedWriter::configure_connection(const std::function<void(Connection&)>& fn) {
  std::unique_lock lock(mutex_);
  ++configuring_;
  idle_.wait(lock, [&] { return !committing_; });
  --configuring_;
  committing_ = true;
  lock.unlock();
  std::exception_ptr error;
  try {
    fn(connection_);
  } catch (...) {
    error = std::current_exception();
  }
  lock.lock();
  pass_lead();
  lock.unlock();
  if (error) std::rethrow_exception(error);
}

void SharedWriter::pass_lead() {
  if (configuring_ > 0) {
    // A configure_connection goes first (writers queue meanwhile); it passes the lead on after.
    committing_ = false;
    idle_.notify_all();
  } else if (queue_.empty()) {
    committing_ = false;
  } else {
    queue_.front()->lead = true;
    queue_.front()->cv.notify_one();
  }
}

void SharedWriter::write(std::chrono::milliseconds wait, const std::function<void(Connection&)>& job) {
  Job mine{&job};
  std::unique_lock lock(mutex_);
  if (committing_ || configuring_ > 0) {
    // Wait to be done by a group, or to be handed the lead of the next one.
    queue_.push_back(&mine);
    const auto deadline = std::chrono::steady_clock::now() + wait;
    while (!mine.done && !mine.lead) {
      if (mine.cv.wait_until(lock, deadline) == std::cv_status::timeout && !mine.done && !mine.lead) {
        std::erase(queue_, &mine);
        throw SaverUnavailable("beginning a write: other writers of this process held the database \"" +
                                   connection_.path() + "\" longer than the busy timeout (" +
                                   std::to_string(wait.count()) + " ms)",
                               std::to_string(SQLITE_BUSY));
      }
    }
  } else {
    committing_ = true;
    queue_.push_back(&mine);
  }
  if (!mine.done) {
    // Lead: every queued job (this one among them) in one transaction.
    std::vector<Job*> group;
    group.swap(queue_);
    lock.unlock();
    run_group(group);
    lock.lock();
    for (Job* j : group) {
      j->done = true;
      if (j != &mine) j->cv.notify_one();
    }
    pass_lead();
  }
  lock.unlock();
  if (mine.error) std::rethrow_exception(mine.error);
}

void SharedWriter::run_group(const std::vector<Job*>& group) {
  // No savepoints (each would cost statements and a sub-journal): a job that fails rolls the
  // transaction back, and the jobs that had not failed run again in a new one without it.
  std::vector<Job*> left = group;
  while (!left.empty()) {
    Job* failed = nullptr;
    try {
      Transaction tx(connection_, Transaction::Mode::write);
      for (Job* j : left) {
        try {
          (*j->fn)(connection_);
        } catch (...) {
          j->error = std::current_exception();
          failed = j;
          break;
        }
      }
      if (failed == nullptr) {
        tx.commit();
        return;
      }
    } catch (...) {
      // BEGIN or COMMIT failed: nothing of the group is stored.
      const auto error = std::current_exception();
      for (Job* j : left)
        if (!j->error) j->error = error;
      return;
    }
    std::erase(left, failed);
  }
}

}  // namespace sg::sqlite_detail
