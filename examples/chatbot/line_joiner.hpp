#pragma once
/// @file
/// sg::chatbot::LineJoiner — turns the lines the REPL reads into messages, so that a message may
/// span several lines:
///   - a bracketed paste (a terminal in mode 2004 wraps pasted text in ESC[200~ ... ESC[201~) is
///     one message whatever newlines it holds; the markers are parsed wherever the lines come
///     from (a terminal, a pipe, a file), so a script can send multi-line messages too;
///   - a typed line ending in a backslash continues on the next line (the backslash becomes a
///     newline; a backslash at the end of pasted text is kept as it is).
/// Inside a paste, CR LF and CR become LF (terminals send CR for a pasted newline); a line's own
/// final CR (a CR LF line end) is dropped. A stray ESC[201~ outside a paste is dropped.
///
/// Thread-safety: a plain value; one owner.

#include <optional>
#include <string>
#include <string_view>

namespace sg::chatbot {

/// The markers a terminal sends around pasted text in bracketed paste mode (xterm's mode 2004).
inline constexpr std::string_view kPasteStart = "\x1b[200~";
inline constexpr std::string_view kPasteEnd = "\x1b[201~";

/// `text` with CR LF and lone CR turned into LF.
template <class Char>
std::basic_string<Char> normalize_newlines(std::basic_string_view<Char> text) {
  std::basic_string<Char> out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != Char('\r')) {
      out.push_back(text[i]);
    } else if (i + 1 >= text.size() || text[i + 1] != Char('\n')) {
      out.push_back(Char('\n'));
    }
  }
  return out;
}

class LineJoiner {
 public:
  /// Takes one line (without its final newline; it may hold newlines of its own). Returns the
  /// message it completes, or nullopt while the message goes on (inside a paste, after a
  /// trailing backslash).
  std::optional<std::string> feed(std::string_view line);

  /// True while a message is incomplete: the REPL shows its continuation prompt.
  [[nodiscard]] bool pending() const noexcept { return in_paste_ || continued_; }

  /// At end of input: the incomplete message (a paste never closed, a last line ending in a
  /// backslash), or nullopt when there is none. Resets the joiner.
  std::optional<std::string> finish();

 private:
  std::string text_;
  bool in_paste_ = false;
  bool continued_ = false;
};

}  // namespace sg::chatbot
