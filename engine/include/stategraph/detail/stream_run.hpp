#pragma once
/// @file
/// Internal: runs a graph on a background thread and hands its events to a consumer one by one.

#include <exception>
#include <functional>
#include <memory>
#include <optional>

#include "stategraph/detail/engine.hpp"

namespace sg::detail {

/// Owns the background run. next() blocks until an event or the end; at the end it rethrows the
/// run's exception, if any. Destroying it before the end cancels the run and joins the thread.
class StreamRun {
 public:
  /// `body` runs on the background thread with a sink that enqueues events and a token it must
  /// pass to the run.
  explicit StreamRun(std::function<void(const EventSink&, CancellationToken)> body,
                     CancellationToken token);
  ~StreamRun();
  StreamRun(const StreamRun&) = delete;
  StreamRun& operator=(const StreamRun&) = delete;

  /// The next event, or nullopt when the run ended (rethrows the run's exception then).
  std::optional<RawEvent> next();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sg::detail
