#pragma once
/// @file
/// sg::chatbot::LineEditor — the REPL's line editor on a terminal: libedit's own API (histedit.h)
/// in emacs mode, with history (~/.editrc is read), and multi-line messages:
///   - bracketed paste: while it lives the terminal is in xterm's mode 2004, so pasted text
///     arrives between ESC[200~ and ESC[201~ and lands in the line being edited as it is,
///     newlines included (shown as several lines), to be sent with Enter as one message;
///   - Alt+Enter (ESC CR / ESC LF) inserts a newline into the line.
/// Mode 2004 is switched on only when stdin and stdout are terminals and $TERM is not "dumb",
/// and off again by the destructor. The constructor sets LC_CTYPE from the environment, so
/// UTF-8 is typed and pasted intact.
///
/// Thread-safety: one owner thread. Signals: libedit restores the terminal around them and a read
/// interrupted by one (a SIGINT handler installed without SA_RESTART) returns nullopt, as at the
/// end of input: the caller's handler tells them apart.

#include <memory>
#include <optional>
#include <string>

namespace sg::chatbot {

class LineEditor {
 public:
  /// Sets up libedit on stdin/stdout/stderr.
  /// @throws std::runtime_error when libedit cannot be initialised.
  explicit LineEditor(const char* program);
  ~LineEditor();
  LineEditor(const LineEditor&) = delete;
  LineEditor& operator=(const LineEditor&) = delete;

  /// Shows `prompt` and reads one line: without its final newline, and holding newlines of its
  /// own after a paste or Alt+Enter. nullopt at the end of input (Ctrl-D) or when a signal
  /// interrupted the read.
  std::optional<std::string> read(const char* prompt);

  /// Adds `entry` to the history (Up arrow, Ctrl-R).
  void remember(const std::string& entry);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sg::chatbot
