#include "repl.hpp"

#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>

#include <stategraph/checkpoint/redact_password.hpp>
#include <stategraph/nodes/message.hpp>

#include "chatbot_error.hpp"
#include "line_editor.hpp"
#include "line_joiner.hpp"
#include "settings.hpp"

namespace sg::chatbot {
namespace {

// The token of the running turn (null at the prompt); read by the SIGINT handler.
std::atomic<const sg::CancellationToken*> g_running{nullptr};
std::atomic<bool> g_interrupted{false};

extern "C" void on_sigint(int /*signal*/) {
  g_interrupted.store(true);
  if (const auto* token = g_running.load()) token->cancel();
}

class SigintScope {
 public:
  SigintScope() {
    struct sigaction action {};
    action.sa_handler = on_sigint;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0;  // no SA_RESTART: a blocked read returns so the prompt can be redrawn
    sigaction(SIGINT, &action, &previous_);
  }
  ~SigintScope() { sigaction(SIGINT, &previous_, nullptr); }
  SigintScope(const SigintScope&) = delete;
  SigintScope& operator=(const SigintScope&) = delete;

 private:
  struct sigaction previous_ {};
};

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return {};
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

/// "1 turn", "2 turns", "0 messages".
std::string count_of(std::int64_t n, std::string_view noun) {
  std::string text = std::to_string(n);
  text += ' ';
  text += noun;
  if (n != 1) text += 's';
  return text;
}

const char* kHelp =
    "Commands:\n"
    "  /thread ID     switch to thread ID (a new thread starts fresh)\n"
    "  /threads       list the threads in the checkpoint store\n"
    "  /history       show this thread's messages (and summary)\n"
    "  /undo          continue from the checkpoint before the last turn\n"
    "  /clear         empty this thread's conversation (/undo brings it back)\n"
    "  /language L    answer in language L from now on (kept with the thread)\n"
    "  /graph         print the chatbot graph (Mermaid)\n"
    "  /help          this help\n"
    "  /quit          leave (Ctrl-D too); Ctrl-C cancels a running turn\n"
    "A message may span lines: end a line with \\ to go on to the next one, or press Alt+Enter;\n"
    "pasted text is one message whatever lines it holds (Enter sends it). A command is one line.\n";

class Repl {
 public:
  Repl(Chatbot& bot, const Settings& settings, const ModelChoice& model)
      : bot_(bot), settings_(settings), model_(model), thread_(settings.thread), language_(settings.language),
        interactive_(isatty(STDIN_FILENO) != 0) {}

  int run() {
    SigintScope sigint;
    banner();
    if (interactive_) editor_.emplace("sg-chatbot");
    for (;;) {
      const auto line = read_line();
      const auto message = line ? joiner_.feed(*line) : joiner_.finish();
      if (message && !handle(*message)) break;
      if (!line) break;
    }
    if (interactive_) std::cout << "\n";
    return failures_ > 0 && !interactive_ ? 1 : 0;
  }

 private:
  std::ostream& info() { return interactive_ ? std::cout : std::cerr; }

  void banner() {
    auto& out = info();
    const auto view = bot_.thread(thread_);
    out << "sg-chatbot · thread \"" << thread_ << "\" " << describe(view) << " · checkpoints "
        << checkpoint_store(settings_).display() << " · memory " << to_string(settings_.memory);
    if (settings_.memory != MemoryStrategy::buffer) out << " (" << settings_.max_tokens << " tokens)";
    out << "\nmodel: " << model_.description << "\n";
    if (interactive_) out << "Type a message, or /help for commands.\n";
    out.flush();
  }

  static std::string describe(const std::optional<ThreadView>& view) {
    if (!view) return "(new)";
    std::string text = "(";  // appended, not "(" + string: g++ 12 -O3 reports a false -Wrestrict there
    text += count_of(view->turn_count, "turn");
    text += ", ";
    text += count_of(static_cast<std::int64_t>(view->messages.size()), "message");
    text += ")";
    return text;
  }

  /// The next line of input; nullopt at its end. On a terminal Ctrl-C at the prompt drops what
  /// was typed (a message of several lines too) and prompts again.
  std::optional<std::string> read_line() {
    if (!interactive_) {
      std::string line;
      if (!std::getline(std::cin, line)) return std::nullopt;
      return line;
    }
    for (;;) {
      g_interrupted.store(false);
      auto line = editor_->read(joiner_.pending() ? "...> " : "you> ");
      if (line) return line;
      if (!g_interrupted.exchange(false)) return std::nullopt;  // Ctrl-D
      std::cout << "^C\n";
      (void)joiner_.finish();
    }
  }

  /// Runs one message or command; returns false on /quit.
  bool handle(const std::string& message) {
    const std::string text = trim(message);
    if (text.empty()) return true;
    if (interactive_) editor_->remember(text);
    if (text[0] == '/' && text.find('\n') == std::string::npos) return command(text);
    turn(text);
    return true;
  }

  void turn(const std::string& text) {
    sg::CancellationToken cancel;
    g_running.store(&cancel);
    bool streamed = false;
    if (interactive_) std::cout << "ai> " << std::flush;
    try {
      auto result = bot_.send(
          thread_, text,
          [&](std::string_view piece) {
            std::cout << piece << std::flush;
            streamed = true;
          },
          cancel, language_);
      language_.reset();  // stored with the thread now
      if (!streamed) std::cout << result.reply.text();
      std::cout << "\n" << std::flush;
    } catch (const ChatbotError& e) {
      if (streamed) std::cout << "\n";
      std::cout.flush();
      ++failures_;
      if (e.id() == chatbot_error_code(ChatbotErrorId::cancelled)) {
        std::cerr << "(cancelled — the thread is as it was before this message)\n";
      } else {
        std::cerr << "error: " << sg::redact_password(e.what()) << "\n";
      }
    }
    g_running.store(nullptr);
  }

  /// Returns false on /quit.
  bool command(const std::string& text) {
    std::istringstream in(text);
    std::string name, arg;
    in >> name;
    std::getline(in, arg);
    arg = trim(arg);
    try {
      if (name == "/quit" || name == "/exit") return false;
      if (name == "/help") {
        info() << kHelp;
      } else if (name == "/thread") {
        if (arg.empty()) {
          info() << "thread \"" << thread_ << "\" " << describe(bot_.thread(thread_)) << "\n";
        } else {
          thread_ = arg;
          info() << "thread \"" << thread_ << "\" " << describe(bot_.thread(thread_)) << "\n";
        }
      } else if (name == "/threads") {
        threads();
      } else if (name == "/history") {
        history();
      } else if (name == "/undo") {
        info() << (bot_.undo(thread_) ? "undone: the thread continues from before its last turn\n"
                                      : "nothing to undo\n");
      } else if (name == "/clear") {
        info() << (bot_.clear(thread_) ? "cleared (/undo brings the conversation back)\n" : "the thread is empty\n");
      } else if (name == "/language") {
        if (arg.empty()) {
          info() << "usage: /language NAME\n";
        } else {
          language_ = arg;
          info() << "answers in " << arg << " from the next message on\n";
        }
      } else if (name == "/graph") {
        info() << bot_.mermaid();
      } else {
        info() << "unknown command " << name << " (/help lists them)\n";
      }
    } catch (const ChatbotError& e) {
      ++failures_;
      std::cerr << "error: " << sg::redact_password(e.what()) << "\n";
    }
    info().flush();
    return true;
  }

  void history() {
    const auto view = bot_.thread(thread_);
    auto& out = info();
    if (!view) {
      out << "thread \"" << thread_ << "\" has no messages yet\n";
      return;
    }
    out << "thread \"" << thread_ << "\": " << count_of(view->turn_count, "turn") << ", language " << view->language
        << ", checkpoint " << view->checkpoint_id << "\n";
    if (!view->summary.empty()) out << "summary of earlier turns: " << view->summary << "\n";
    if (view->messages.empty()) out << "(no messages)\n";
    for (const auto& m : view->messages) sg::pretty_print(m, out);
  }

  /// One line a thread: current mark, id, last update, message count, title.
  void threads() {
    const auto list = bot_.threads(1000, /*titles=*/true);
    auto& out = info();
    if (list.empty()) out << "(no threads)\n";
    for (const auto& t : list) {
      out << (t.thread_id == thread_ ? "* " : "  ") << t.thread_id << "  " << t.updated_at << "  "
          << count_of(static_cast<std::int64_t>(t.message_count), "message") << "  "
          << (t.title.empty() ? std::string("(no messages)") : "\"" + t.title + "\"") << "\n";
    }
  }

  Chatbot& bot_;
  const Settings& settings_;
  const ModelChoice& model_;
  std::string thread_;
  std::optional<std::string> language_;
  bool interactive_;
  int failures_ = 0;
  std::optional<LineEditor> editor_;  // on a terminal
  LineJoiner joiner_;
};

}  // namespace

int run_repl(Chatbot& bot, const Settings& settings, const ModelChoice& model) {
  return Repl(bot, settings, model).run();
}

}  // namespace sg::chatbot
