#pragma once
/// @file
/// sg::trim_messages: keep the first or last part of a conversation that fits a token budget.
///
/// @code{.cpp}
/// // The chatbot tutorial's trimmer: the system message plus the most recent turns that fit
/// // 65 tokens, starting on a human message.
/// sg::Messages kept = sg::trim_messages(messages, {.max_tokens = 65,
///                                                  .token_counter = sg::count_tokens_approximately,
///                                                  .strategy = sg::TrimStrategy::last,
///                                                  .include_system = true,
///                                                  .start_on = {sg::MessageType::human}});
/// @endcode
///
/// Re-creates langchain-core's `trim_messages` (langchain-ai/langchain:
/// libs/core/langchain_core/messages/utils.py `trim_messages`, `_first_max_tokens`,
/// `_last_max_tokens`, `_default_text_splitter`), including its binary searches and partial
/// messages; semantics reference §7.2.
///
/// Thread-safety: a pure function; it calls the token counter and text splitter from the calling
/// thread only.

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "stategraph/nodes/message.hpp"
#include "stategraph/nodes/token_counter.hpp"

namespace sg {

/// Which end of the conversation to keep.
enum class TrimStrategy {
  first,  ///< the longest prefix that fits
  last,   ///< the longest suffix that fits (implemented as "first" over the reversed list)
};

/// Options of trim_messages, in LangChain's order.
struct TrimOptions {
  /// The budget, in the token counter's unit. Must be ≥ 0.
  int max_tokens = 0;
  /// Counts a list of messages (required), e.g. sg::count_tokens_approximately.
  TokenCounter token_counter{};
  TrimStrategy strategy = TrimStrategy::last;
  /// Split the message at the boundary to fill the budget: a list content keeps a prefix of its
  /// parts (strategy first) or a suffix (last); else its text is cut with text_splitter.
  bool allow_partial = false;
  /// strategy last only: keep a system message found at index 0 (its tokens count against the
  /// budget) and apply start_on to what follows it.
  bool include_system = false;
  /// strategy last only: after trimming, drop messages before the first one of these types.
  std::vector<MessageType> start_on{};
  /// Drop everything after the last message of these types: before trimming for strategy last,
  /// after it for strategy first.
  std::vector<MessageType> end_on{};
  /// Splits a text into pieces whose concatenation is the text (used with allow_partial);
  /// default: at newlines, each piece keeping its '\n'.
  std::function<std::vector<std::string>(std::string_view)> text_splitter{};
};

/// The trimmed conversation: whole messages in their order (plus at most one partial message at
/// the cut when allow_partial). The input is not modified.
/// @throws UsageError [sg.nodes.601] for incompatible options: start_on or include_system with
///         strategy first, no token_counter, max_tokens < 0.
[[nodiscard]] Messages trim_messages(const Messages& messages, const TrimOptions& options);

/// LangChain's `_default_text_splitter`: "a\nb\nc" → {"a\n", "b\n", "c"}.
[[nodiscard]] std::vector<std::string> split_text_on_newlines(std::string_view text);

}  // namespace sg
