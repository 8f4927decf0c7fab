#pragma once
/// @file
/// sg::filter_messages: keep the messages of a conversation that match names, types or ids.
///
/// @code{.cpp}
/// auto kept = sg::filter_messages(messages, {.include_names = {"example_user"},
///                                            .include_types = {sg::MessageType::system},
///                                            .exclude_ids = {"bar"}});
/// @endcode
///
/// Re-creates langchain-core's `filter_messages` (langchain-ai/langchain:
/// libs/core/langchain_core/messages/utils.py `filter_messages`); semantics reference §7.2.
///
/// Thread-safety: a pure function.

#include <string>
#include <vector>

#include "stategraph/nodes/message.hpp"

namespace sg {

/// Criteria of filter_messages. Exclusions are checked first; then, if any include_* list is
/// non-empty, a message must match at least one of them. An empty name or id never matches.
struct FilterOptions {
  std::vector<std::string> include_names{};
  std::vector<std::string> exclude_names{};
  std::vector<MessageType> include_types{};
  std::vector<MessageType> exclude_types{};
  std::vector<std::string> include_ids{};
  std::vector<std::string> exclude_ids{};
  /// Drop every ai message with tool calls and every tool message (LangChain's
  /// `exclude_tool_calls=True`).
  bool exclude_all_tool_calls = false;
  /// Drop these tool calls: their tool messages go, ai messages lose the matching calls (and
  /// Anthropic-style "tool_use" content parts), and an ai message left with no call goes
  /// (LangChain's `exclude_tool_calls=[ids]`).
  std::vector<std::string> exclude_tool_call_ids{};
};

/// The messages that pass `options`, in order (copies; the input is not modified).
[[nodiscard]] Messages filter_messages(const Messages& messages, const FilterOptions& options);

}  // namespace sg
