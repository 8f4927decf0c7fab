// trim_messages: a port of langchain_core/messages/utils.py `_first_max_tokens` and
// `_last_max_tokens` (same binary searches, same partial-message rules).
#include "stategraph/nodes/trim_messages.hpp"

#include <algorithm>
#include <bit>
#include <optional>

#include "stategraph/nodes/errors.hpp"

namespace sg {

namespace {

using Splitter = std::function<std::vector<std::string>(std::string_view)>;

bool is_type(const Message& m, const std::vector<MessageType>& types) {
  return std::find(types.begin(), types.end(), m.type) != types.end();
}

Messages prefix(const Messages& ms, std::size_t n) {
  return Messages(ms.begin(), ms.begin() + static_cast<std::ptrdiff_t>(n));
}

std::string joined(const std::vector<std::string>& splits, std::size_t n) {
  std::string s;
  for (std::size_t i = 0; i < n; ++i) s += splits[i];
  return s;
}

/// Python's int.bit_length().
std::size_t bit_length(std::size_t n) { return static_cast<std::size_t>(std::bit_width(n)); }

Messages first_max_tokens(Messages messages, int max_tokens, const TokenCounter& counter, const Splitter& splitter,
                          std::optional<TrimStrategy> partial, const std::vector<MessageType>& end_on) {
  if (messages.empty()) return messages;

  if (counter(messages) <= max_tokens) {  // everything fits: only end_on applies
    if (!end_on.empty())
      while (!messages.empty() && !is_type(messages.back(), end_on)) messages.pop_back();
    return messages;
  }

  // The largest number of whole messages that fits.
  std::size_t left = 0;
  std::size_t right = messages.size();
  for (std::size_t it = 0, n = bit_length(messages.size()); it < n && left < right; ++it) {
    const std::size_t mid = (left + right + 1) / 2;
    if (counter(prefix(messages, mid)) <= max_tokens) {
      left = mid;
    } else {
      right = mid - 1;
    }
  }
  std::size_t idx = left;

  if (partial && idx < messages.size()) {
    bool included_partial = false;
    std::optional<Message> excluded;
    if (messages[idx].content.is_array()) {
      excluded = messages[idx];
      nlohmann::json& parts = excluded->content;
      const std::size_t num_block = parts.size();
      if (*partial == TrimStrategy::last) std::reverse(parts.begin(), parts.end());
      for (std::size_t k = 1; k < num_block; ++k) {
        parts.erase(parts.end() - 1);
        Messages probe = prefix(messages, idx);
        probe.push_back(*excluded);
        if (counter(probe) <= max_tokens) {
          messages = std::move(probe);
          ++idx;
          included_partial = true;
          break;
        }
      }
      if (included_partial && *partial == TrimStrategy::last) {
        auto& kept = messages[idx - 1].content;
        std::reverse(kept.begin(), kept.end());
      }
    }
    if (!included_partial) {
      if (!excluded) excluded = messages[idx];
      std::string text;
      if (excluded->content.is_string()) {
        text = excluded->content.get<std::string>();
      } else if (excluded->content.is_array()) {
        for (const auto& block : excluded->content) {
          if (block.is_string()) {
            text = block.get<std::string>();
            break;
          }
          if (block.is_object() && block.value("type", "") == "text") {
            text = block.value("text", "");
            break;
          }
        }
      }
      if (!text.empty()) {
        std::vector<std::string> splits = splitter(text);
        const int base = counter(prefix(messages, idx));
        if (*partial == TrimStrategy::last) std::reverse(splits.begin(), splits.end());
        std::size_t lo = 0;
        std::size_t hi = splits.size();
        for (std::size_t it = 0, n = bit_length(splits.size()); it < n && lo < hi; ++it) {
          const std::size_t mid = (lo + hi + 1) / 2;
          excluded->content = joined(splits, mid);
          if (base + counter(Messages{*excluded}) <= max_tokens) {
            lo = mid;
          } else {
            hi = mid - 1;
          }
        }
        if (lo > 0) {
          std::vector<std::string> content_splits(splits.begin(), splits.begin() + static_cast<std::ptrdiff_t>(lo));
          if (*partial == TrimStrategy::last) std::reverse(content_splits.begin(), content_splits.end());
          excluded->content = joined(content_splits, content_splits.size());
          Messages kept = prefix(messages, idx);
          kept.push_back(std::move(*excluded));
          messages = std::move(kept);
          ++idx;
        }
      }
    }
  }

  if (!end_on.empty())
    while (idx > 0 && !is_type(messages[idx - 1], end_on)) --idx;
  messages.resize(idx);
  return messages;
}

Messages last_max_tokens(Messages messages, const TrimOptions& o, const Splitter& splitter) {
  if (messages.empty()) return {};
  if (!o.end_on.empty())
    while (!messages.empty() && !is_type(messages.back(), o.end_on)) messages.pop_back();

  std::optional<Message> system;
  if (o.include_system && !messages.empty() && messages.front().type == MessageType::system) {
    system = std::move(messages.front());
    messages.erase(messages.begin());
  }
  std::reverse(messages.begin(), messages.end());

  int remaining = o.max_tokens;
  if (system) remaining = std::max(0, o.max_tokens - o.token_counter(Messages{*system}));

  Messages result = first_max_tokens(std::move(messages), remaining, o.token_counter, splitter,
                                     o.allow_partial ? std::optional<TrimStrategy>(TrimStrategy::last) : std::nullopt,
                                     o.start_on);
  std::reverse(result.begin(), result.end());
  if (system) result.insert(result.begin(), std::move(*system));
  return result;
}

[[noreturn]] void invalid(const std::string& what) {
  throw UsageError(ErrorId::nodes_invalid_trim_options, "trim_messages: " + what);
}

}  // namespace

std::vector<std::string> split_text_on_newlines(std::string_view text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n') {
      out.emplace_back(text.substr(start, i + 1 - start));
      start = i + 1;
    }
  }
  out.emplace_back(text.substr(start));
  return out;
}

Messages trim_messages(const Messages& messages, const TrimOptions& options) {
  if (!options.start_on.empty() && options.strategy == TrimStrategy::first)
    invalid("start_on is only valid with strategy last (strategy first keeps the beginning, so there is "
            "nothing to start on); drop start_on or use TrimStrategy::last");
  if (options.include_system && options.strategy == TrimStrategy::first)
    invalid("include_system is only valid with strategy last (strategy first already keeps a leading "
            "system message when it fits); drop include_system or use TrimStrategy::last");
  if (!options.token_counter)
    invalid("no token_counter given; pass e.g. .token_counter = sg::count_tokens_approximately");
  if (options.max_tokens < 0) invalid("max_tokens is " + std::to_string(options.max_tokens) + "; it must be >= 0");

  const Splitter splitter = options.text_splitter ? options.text_splitter : Splitter(split_text_on_newlines);
  if (options.strategy == TrimStrategy::first)
    return first_max_tokens(messages, options.max_tokens, options.token_counter, splitter,
                            options.allow_partial ? std::optional<TrimStrategy>(TrimStrategy::first) : std::nullopt,
                            options.end_on);
  return last_max_tokens(messages, options, splitter);
}

}  // namespace sg
