#pragma once
/// @file
/// sg::server::CancelRegistry: the cancellation tokens of HttpServer's calls in flight
/// (http_server.cpp), so that stop() can cancel them.
///
/// Thread-safety: every member from any thread.

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>

#include <stategraph/run_config.hpp>

namespace sg::server {

/// The cancellation tokens of the calls in flight, so that stop() can cancel them.
class CancelRegistry {
 public:
  class Entry {
   public:
    Entry(CancelRegistry& registry, std::uint64_t id, sg::CancellationToken token)
        : registry_(&registry), id_(id), token_(std::move(token)) {}
    ~Entry() { registry_->remove(id_); }
    Entry(const Entry&) = delete;
    Entry& operator=(const Entry&) = delete;
    [[nodiscard]] const sg::CancellationToken& token() const noexcept { return token_; }

   private:
    CancelRegistry* registry_;
    std::uint64_t id_;
    sg::CancellationToken token_;
  };

  /// A new token; already cancelled once cancel_all ran.
  std::unique_ptr<Entry> add() {
    std::lock_guard lock(mutex_);
    const std::uint64_t id = next_++;
    sg::CancellationToken token;
    if (cancelled_) token.cancel();
    tokens_.emplace(id, token);
    return std::make_unique<Entry>(*this, id, token);
  }

  void cancel_all() {
    std::lock_guard lock(mutex_);
    cancelled_ = true;
    for (const auto& [id, token] : tokens_) token.cancel();
  }

 private:
  void remove(std::uint64_t id) {
    std::lock_guard lock(mutex_);
    tokens_.erase(id);
  }

  std::mutex mutex_;
  bool cancelled_ = false;
  std::uint64_t next_ = 0;
  std::map<std::uint64_t, sg::CancellationToken> tokens_;
};

}  // namespace sg::server
