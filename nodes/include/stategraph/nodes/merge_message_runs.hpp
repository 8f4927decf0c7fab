#pragma once
/// @file
/// sg::merge_message_runs: merge consecutive messages of the same type into one.
///
/// @code{.cpp}
/// // [system, human "a", human "b", ai "c"] → [system, human "a\nb", ai "c"]
/// auto merged = sg::merge_message_runs(messages);
/// @endcode
///
/// Re-creates langchain-core's `merge_message_runs` (langchain-ai/langchain:
/// libs/core/langchain_core/messages/utils.py `merge_message_runs`, with the content rules of
/// messages/base.py `merge_content`); semantics reference §7.2.
///
/// Thread-safety: a pure function.

#include <string>

#include "stategraph/nodes/message.hpp"

namespace sg {

/// Merges each run of consecutive messages of one type into the run's first message (its id and
/// name are kept). Tool messages and remove messages are never merged. Content: two non-empty
/// strings are joined with `chunk_separator`; a string followed by a list becomes
/// [string, parts...]; a list followed by a string appends it to the list's last element when
/// that is a string, else as a new element (an empty string is dropped); two lists are
/// concatenated. Tool calls are concatenated, usage is summed, and the later messages'
/// response_metadata is ignored (LangChain clears it before merging).
[[nodiscard]] Messages merge_message_runs(const Messages& messages, const std::string& chunk_separator = "\n");

}  // namespace sg
