#pragma once
/// @file
/// sg-chatbot's terminal front end.
///
/// On a terminal: a line editor with history (libedit, line_editor.hpp), replies streamed as
/// they arrive, and the commands /thread ID, /threads, /history, /undo, /clear, /language L,
/// /graph, /help, /quit; Ctrl-C cancels the running turn (the thread stays as it was) and at the
/// prompt clears the line (and a message of several lines begun).
/// When stdin is not a terminal: one message (or command) per line, each reply written to
/// stdout as one line (streamed), diagnostics to stderr — so it can be scripted:
///   printf "Hi! I'm Bob\nWhat's my name?\n" | sg-chatbot --thread bob
/// Either way a message may span lines (line_joiner.hpp): a bracketed paste (ESC[200~ ...
/// ESC[201~) is one message, and a line ending in a backslash continues; on a terminal
/// Alt+Enter inserts a newline too. A command is a message of one line starting with '/'.
///
/// Thread-safety: runs on the calling thread; installs a SIGINT handler while it runs.

#include "chatbot.hpp"
#include "settings.hpp"

namespace sg::chatbot {

/// Runs until /quit or end of input. Returns the process exit code: 0, or 1 when stdin was not
/// a terminal and a turn failed (each failure is reported on stderr with its id and the
/// remaining lines still run).
int run_repl(Chatbot& bot, const Settings& settings, const ModelChoice& model);

}  // namespace sg::chatbot
