#include "stategraph/detail/stream_run.hpp"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

namespace sg::detail {

struct StreamRun::Impl {
  std::mutex mutex;
  std::condition_variable ready;   // consumer waits for events
  std::condition_variable space;   // producer waits for room
  std::deque<RawEvent> queue;
  bool finished = false;
  bool abandoned = false;
  std::exception_ptr error;
  CancellationToken token;
  std::thread thread;
  static constexpr std::size_t kMaxQueued = 1024;
};

StreamRun::StreamRun(std::function<void(const EventSink&, CancellationToken)> body, CancellationToken token)
    : impl_(std::make_unique<Impl>()) {
  impl_->token = token;
  Impl* impl = impl_.get();
  impl_->thread = std::thread([impl, body = std::move(body), token] {
    EventSink sink = [impl](RawEvent&& e) {
      std::unique_lock lock(impl->mutex);
      impl->space.wait(lock, [&] { return impl->abandoned || impl->queue.size() < Impl::kMaxQueued; });
      if (impl->abandoned) return;
      impl->queue.push_back(std::move(e));
      impl->ready.notify_one();
    };
    std::exception_ptr error;
    try {
      body(sink, token);
    } catch (...) {
      error = std::current_exception();
    }
    std::lock_guard lock(impl->mutex);
    impl->error = error;
    impl->finished = true;
    impl->ready.notify_all();
  });
}

StreamRun::~StreamRun() {
  {
    std::lock_guard lock(impl_->mutex);
    if (!impl_->finished) impl_->token.cancel();
    impl_->abandoned = true;
    impl_->space.notify_all();
  }
  if (impl_->thread.joinable()) impl_->thread.join();
}

std::optional<RawEvent> StreamRun::next() {
  std::unique_lock lock(impl_->mutex);
  impl_->ready.wait(lock, [&] { return !impl_->queue.empty() || impl_->finished; });
  if (!impl_->queue.empty()) {
    RawEvent e = std::move(impl_->queue.front());
    impl_->queue.pop_front();
    impl_->space.notify_one();
    return e;
  }
  if (impl_->error) {
    auto err = impl_->error;
    impl_->error = nullptr;
    std::rethrow_exception(err);
  }
  return std::nullopt;
}

}  // namespace sg::detail
