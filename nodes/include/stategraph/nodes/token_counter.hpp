#pragma once
/// @file
/// Token counting for sg::trim_messages: the sg::TokenCounter interface and LangChain's
/// approximate counter, sg::count_tokens_approximately.
///
/// Thread-safety: count_tokens_approximately is a stateless constant, callable from any thread.
/// A TokenCounter is as thread-safe as the callable it wraps.

#include <concepts>
#include <functional>
#include <type_traits>
#include <utility>

#include "stategraph/nodes/message.hpp"

namespace sg {

/// Counts the tokens of a list of messages. Built from either kind of callable LangChain
/// accepts (messages/utils.py trim_messages `token_counter`):
/// - a list counter `int(const sg::Messages&)` — the count of the whole list (it may add
///   per-list overhead), or
/// - a per-message counter `int(const sg::Message&)` — the list's count is the sum.
/// Units: tokens, whatever unit `max_tokens` uses (a counter returning 1 per message makes
/// trim_messages keep a number of messages, like LangChain's `token_counter=len`).
class TokenCounter {
 public:
  TokenCounter() = default;
  template <class F>
    requires(!std::same_as<std::remove_cvref_t<F>, TokenCounter> && std::is_invocable_r_v<int, const F&, const Messages&>)
  TokenCounter(F f) : list_(std::move(f)) {}  // NOLINT(implicit)
  template <class F>
    requires(!std::is_invocable_r_v<int, const F&, const Messages&> &&
             std::is_invocable_r_v<int, const F&, const Message&>)
  TokenCounter(F f)  // NOLINT(implicit)
      : list_([g = std::move(f)](const Messages& ms) {
          int n = 0;
          for (const auto& m : ms) n += static_cast<int>(g(m));
          return n;
        }) {}

  /// True when a counter was given.
  explicit operator bool() const noexcept { return static_cast<bool>(list_); }
  /// The count of `messages`. Precondition: a counter was given.
  int operator()(const Messages& messages) const { return list_(messages); }

 private:
  std::function<int(const Messages&)> list_;
};

/// Options of count_tokens_approximately (LangChain's defaults).
struct ApproxTokenOptions {
  double chars_per_token = 4.0;           ///< characters per token
  double extra_tokens_per_message = 3.0;  ///< special tokens around each message
  bool count_name = true;                 ///< count a message's name
};

/// LangChain's approximate token counter (langchain_core/messages/utils.py
/// `count_tokens_approximately`, since 0.3.46). Per message it counts characters (Unicode code
/// points): the content (a string as is; a list of parts as Python's repr of it), an ai
/// message's tool calls (Python's repr of its `tool_calls` list, when the content is a
/// string), a tool message's tool_call_id, the OpenAI role name ("system", "user", "assistant",
/// "tool"; "remove" for a remove message) and the name; it adds ceil(chars / chars_per_token)
/// plus extra_tokens_per_message, and rounds the total up.
///
/// Example: HumanMessage("whats 2 + 2") → 11 + len("user") = 15 chars → ceil(15/4) + 3 = 7.
/// With max_tokens = 65 it reproduces the chatbot tutorial's trim_messages example exactly.
///
/// Use it as a TokenCounter: `.token_counter = sg::count_tokens_approximately`.
struct CountTokensApproximately {
  int operator()(const Messages& messages) const { return (*this)(messages, ApproxTokenOptions{}); }
  int operator()(const Messages& messages, const ApproxTokenOptions& options) const;
  /// One message's count (extra tokens included).
  int operator()(const Message& message, const ApproxTokenOptions& options = {}) const;
};
inline constexpr CountTokensApproximately count_tokens_approximately{};

}  // namespace sg
