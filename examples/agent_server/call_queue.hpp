#pragma once
/// @file
/// sg::server::CallQueue: the worker pool of HttpServer (http_server.cpp) that runs the routes'
/// blocking calls — calls with the same non-empty session key one after another, in the order
/// they were submitted, queued without holding a worker.
///
/// Thread-safety: submit, running and waiting from any thread; close_and_join from one.

#include <atomic>
#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>

namespace sg::server {

/// Runs blocking calls on a thread pool; calls with the same non-empty key run one at a time, in
/// the order they were submitted (a key is in `waiting_` while one of its calls runs).
class CallQueue {
 public:
  explicit CallQueue(std::size_t threads) : pool_(threads) {}

  /// Queues `job` (which must not throw). Returns false, without running it, once closed.
  bool submit(const std::string& key, std::function<void()> job) {
    {
      std::lock_guard lock(mutex_);
      if (closed_) return false;
      if (!key.empty()) {
        auto [it, first] = waiting_.try_emplace(key);
        if (!first) {
          it->second.push_back(std::move(job));
          ++queued_;
          return true;
        }
      }
    }
    start(key, std::move(job));
    return true;
  }

  /// Refuses new calls and waits for the queued and running ones.
  void close_and_join() {
    {
      std::lock_guard lock(mutex_);
      closed_ = true;
    }
    pool_.join();
  }

  [[nodiscard]] std::size_t running() const noexcept { return running_.load(); }
  [[nodiscard]] std::size_t waiting() const noexcept { return queued_.load(); }

 private:
  void start(std::string key, std::function<void()> job) {
    boost::asio::post(pool_, [this, key = std::move(key), job = std::move(job)]() mutable {
      ++running_;
      job();
      --running_;
      if (key.empty()) return;
      std::function<void()> next;
      {
        std::lock_guard lock(mutex_);
        const auto it = waiting_.find(key);
        if (it->second.empty()) {
          waiting_.erase(it);
          return;
        }
        next = std::move(it->second.front());
        it->second.pop_front();
        --queued_;
      }
      start(std::move(key), std::move(next));
    });
  }

  boost::asio::thread_pool pool_;
  std::mutex mutex_;
  bool closed_ = false;
  std::map<std::string, std::deque<std::function<void()>>> waiting_;
  std::atomic<std::size_t> running_{0};
  std::atomic<std::size_t> queued_{0};
};

}  // namespace sg::server
