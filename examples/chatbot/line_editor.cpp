#include "line_editor.hpp"

#include <unistd.h>

#include <clocale>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string_view>

#include <histedit.h>

#include "line_joiner.hpp"

namespace sg::chatbot {
namespace {

constexpr const char* kPasteOn = "\x1b[?2004h";
constexpr const char* kPasteOff = "\x1b[?2004l";

/// The prompt of the next el_gets (EL_PROMPT takes a function, not a string).
struct PromptHolder {
  const char* text = "";
};

char* current_prompt(EditLine* el) {
  void* data = nullptr;
  el_get(el, EL_CLIENTDATA, &data);
  return const_cast<char*>(static_cast<PromptHolder*>(data)->text);  // NOLINT(cppcoreguidelines-pro-type-const-cast): libedit's signature
}

/// Bound to ESC[200~: reads the pasted text up to ESC[201~ and inserts it into the line.
unsigned char insert_paste(EditLine* el, int /*key*/) {
  static const std::wstring end(kPasteEnd.begin(), kPasteEnd.end());
  std::wstring text;
  wchar_t c = 0;
  while (el_wgetc(el, &c) == 1) {
    text.push_back(c);
    if (text.size() >= end.size() && text.compare(text.size() - end.size(), end.size(), end) == 0) {
      text.resize(text.size() - end.size());
      break;
    }
  }
  const std::wstring normal = normalize_newlines(std::wstring_view(text));
  if (!normal.empty() && el_winsertstr(el, normal.c_str()) != 0) return CC_ERROR;
  return CC_REFRESH;
}

/// Bound to Alt+Enter: a newline in the line instead of sending it.
unsigned char insert_newline(EditLine* el, int /*key*/) {
  return el_winsertstr(el, L"\n") == 0 ? CC_REFRESH : CC_ERROR;
}

bool paste_mode_possible() {
  const char* term = std::getenv("TERM");
  return isatty(STDIN_FILENO) != 0 && isatty(STDOUT_FILENO) != 0 && (term == nullptr || std::strcmp(term, "dumb") != 0);
}

}  // namespace

struct LineEditor::Impl {
  EditLine* el = nullptr;
  History* history = nullptr;
  HistEvent event{};
  PromptHolder prompt;
  bool paste_mode = false;
};

LineEditor::LineEditor(const char* program) : impl_(std::make_unique<Impl>()) {
  Impl& s = *impl_;
  // libedit decodes multibyte input (UTF-8) by LC_CTYPE: in the "C" locale of a program that
  // never sets one it drops every non-ASCII character typed or pasted.
  std::setlocale(LC_CTYPE, "");
  s.history = history_init();
  s.el = el_init(program, stdin, stdout, stderr);
  if (s.history == nullptr || s.el == nullptr) {
    if (s.el != nullptr) el_end(s.el);
    if (s.history != nullptr) history_end(s.history);
    throw std::runtime_error("libedit could not be initialised");
  }
  history(s.history, &s.event, H_SETSIZE, 1000);
  history(s.history, &s.event, H_SETUNIQUE, 1);
  el_set(s.el, EL_CLIENTDATA, &s.prompt);
  el_set(s.el, EL_PROMPT, current_prompt);
  el_set(s.el, EL_EDITOR, "emacs");
  el_set(s.el, EL_SIGNAL, 1);  // the terminal is restored around signals (as readline() did)
  el_set(s.el, EL_HIST, history, s.history);
  el_set(s.el, EL_ADDFN, "sg-paste", "insert bracketed-paste text", insert_paste);
  el_set(s.el, EL_ADDFN, "sg-newline", "insert a newline", insert_newline);
  el_set(s.el, EL_BIND, "\\e[200~", "sg-paste", nullptr);
  el_set(s.el, EL_BIND, "\\e\\r", "sg-newline", nullptr);
  el_set(s.el, EL_BIND, "\\e\\n", "sg-newline", nullptr);
  el_set(s.el, EL_BIND, "^R", "em-inc-search-prev", nullptr);
  el_source(s.el, nullptr);  // ~/.editrc
  if (paste_mode_possible()) {
    std::fputs(kPasteOn, stdout);
    std::fflush(stdout);
    s.paste_mode = true;
  }
}

LineEditor::~LineEditor() {
  if (impl_->paste_mode) {
    std::fputs(kPasteOff, stdout);
    std::fflush(stdout);
  }
  el_end(impl_->el);
  history_end(impl_->history);
}

std::optional<std::string> LineEditor::read(const char* prompt) {
  impl_->prompt.text = prompt;
  int count = 0;
  const char* raw = el_gets(impl_->el, &count);
  if (raw == nullptr || count <= 0) return std::nullopt;
  std::string line(raw, static_cast<std::size_t>(count));
  if (!line.empty() && line.back() == '\n') line.pop_back();
  return line;
}

void LineEditor::remember(const std::string& entry) { history(impl_->history, &impl_->event, H_ENTER, entry.c_str()); }

}  // namespace sg::chatbot
