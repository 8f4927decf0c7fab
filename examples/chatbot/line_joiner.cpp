#include "line_joiner.hpp"

namespace sg::chatbot {

std::optional<std::string> LineJoiner::feed(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);  // a CR LF line end
  continued_ = false;
  bool typed_tail = false;  // whether the line ends in typed (not pasted) text
  while (!line.empty()) {
    if (in_paste_) {
      const auto end = line.find(kPasteEnd);
      text_ += normalize_newlines(line.substr(0, end));
      if (end == std::string_view::npos) break;
      line.remove_prefix(end + kPasteEnd.size());
      in_paste_ = false;
      typed_tail = false;
      continue;
    }
    const auto start = line.find(kPasteStart);
    std::string_view typed = line.substr(0, start);
    for (auto stray = typed.find(kPasteEnd); stray != std::string_view::npos; stray = typed.find(kPasteEnd)) {
      text_ += typed.substr(0, stray);
      typed.remove_prefix(stray + kPasteEnd.size());
    }
    text_ += typed;
    typed_tail = !typed.empty();
    if (start == std::string_view::npos) break;
    line.remove_prefix(start + kPasteStart.size());
    in_paste_ = true;
  }
  if (in_paste_) {
    text_ += '\n';
    return std::nullopt;
  }
  if (typed_tail && text_.back() == '\\') {
    text_.back() = '\n';
    continued_ = true;
    return std::nullopt;
  }
  std::string message = std::move(text_);
  text_.clear();
  return message;
}

std::optional<std::string> LineJoiner::finish() {
  const bool had = pending();
  in_paste_ = continued_ = false;
  std::string message = std::move(text_);
  text_.clear();
  if (!had) return std::nullopt;
  return message;
}

}  // namespace sg::chatbot
