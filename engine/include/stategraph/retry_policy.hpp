#pragma once
/// @file
/// Retry policy for nodes (LangGraph: langgraph/types.py `RetryPolicy`,
/// pregel/_retry.py `run_with_retry`, _internal/_retry.py `default_retry_on`).

#include <chrono>
#include <exception>
#include <functional>

namespace sg {

/// How a failing node is retried. Sleep before attempt k+1 (k ≥ 1) is
/// min(max_interval, initial_interval · backoff_factor^(k-1)), plus a uniform [0, 1) s jitter
/// when `jitter` is set. Writes of a failed attempt are discarded.
struct RetryPolicy {
  std::chrono::duration<double> initial_interval{0.5};  ///< seconds
  double backoff_factor = 2.0;
  std::chrono::duration<double> max_interval{128.0};    ///< seconds
  int max_attempts = 3;                                  ///< including the first
  bool jitter = true;
  /// Whether to retry after this exception. Empty = default_retry_on.
  std::function<bool(const std::exception_ptr&)> retry_on{};
};

/// LangGraph's default, mapped to C++: retries every exception except std::logic_error (and its
/// children: invalid_argument, out_of_range, ...), std::bad_alloc and non-retryable sg::Error
/// (programmer and configuration errors); retries sg::Error whose retryable() is true.
/// Thread-safe.
bool default_retry_on(const std::exception_ptr& error);

}  // namespace sg
