#include "offline_rules.hpp"

#include <array>
#include <cstddef>

namespace sg::chatbot::offline_rules {
namespace {

// The "C" locale's classes, as std::regex uses them in this program.
bool is_alpha(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
bool is_word(char c) noexcept { return is_alpha(c) || is_digit(c) || c == '_'; }  // \w, for \b
bool is_space(char c) noexcept { return c == ' ' || (c >= '\t' && c <= '\r'); }  // \s
char lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

/// Whether `text` at `pos` is `word` (lower case) ignoring case.
bool at_icase(std::string_view text, std::size_t pos, std::string_view word) noexcept {
  if (text.size() - pos < word.size()) return false;
  for (std::size_t i = 0; i < word.size(); ++i)
    if (lower(text[pos + i]) != word[i]) return false;
  return true;
}

/// Whether `word` (lower case) occurs in `text` ignoring case, followed by a \b when `boundary`.
bool contains_icase(std::string_view text, std::string_view word, bool boundary = false) noexcept {
  for (std::size_t pos = 0; pos + word.size() <= text.size(); ++pos) {
    if (!at_icase(text, pos, word)) continue;
    const std::size_t end = pos + word.size();
    if (!boundary || end == text.size() || !is_word(text[end])) return true;
  }
  return false;
}

std::size_t skip_spaces(std::string_view text, std::size_t pos) noexcept {
  while (pos < text.size() && is_space(text[pos])) ++pos;
  return pos;
}

std::size_t digits_from(std::string_view text, std::size_t pos) noexcept {
  std::size_t end = pos;
  while (end < text.size() && is_digit(text[end])) ++end;
  return end - pos;
}

/// -?\d{1,9} at `pos` as the regex's last group takes it (greedy): its end, or npos.
std::size_t last_number_end(std::string_view text, std::size_t pos) noexcept {
  const std::size_t start = pos < text.size() && text[pos] == '-' ? pos + 1 : pos;
  const std::size_t run = digits_from(text, start);
  return run == 0 ? std::string_view::npos : start + (run > 9 ? 9 : run);
}

}  // namespace

std::optional<std::string> stated_name(std::string_view text) {
  static constexpr std::array<std::string_view, 4> kLeads = {"i'm", "i am", "name is", "call me"};
  static constexpr std::array<std::string_view, 7> kNotNames = {"not", "a", "an", "the", "sorry", "fine", "good"};
  std::optional<std::string> found;
  for (std::size_t pos = 0; pos < text.size();) {
    std::size_t end = std::string_view::npos;  // of this match
    std::string_view name;
    if (pos == 0 || !is_word(text[pos - 1])) {  // \b before a lead (each begins with a letter)
      for (const std::string_view lead : kLeads) {
        if (!at_icase(text, pos, lead)) continue;
        const std::size_t after = pos + lead.size();
        const std::size_t first = skip_spaces(text, after);
        if (first == after || first == text.size() || !is_alpha(text[first])) break;
        std::size_t last = first + 1;
        while (last < text.size() && (is_alpha(text[last]) || text[last] == '-')) ++last;
        name = text.substr(first, last - first);
        end = last;
        break;
      }
    }
    if (end == std::string_view::npos) {
      ++pos;
      continue;
    }
    pos = end;  // the next match starts after this one, as std::sregex_iterator's
    std::string lowered;
    for (const char c : name) lowered += lower(c);
    bool not_a_name = false;
    for (const std::string_view word : kNotNames) not_a_name = not_a_name || lowered == word;
    if (not_a_name) continue;
    std::string capitalised(name);
    if (capitalised[0] >= 'a' && capitalised[0] <= 'z') capitalised[0] = static_cast<char>(capitalised[0] - 'a' + 'A');
    found = std::move(capitalised);
  }
  return found;
}

bool asks_name(std::string_view text) {
  return contains_icase(text, "whats my name") || contains_icase(text, "what's my name") ||
         contains_icase(text, "what is my name") || contains_icase(text, "who am i", /*boundary=*/true) ||
         contains_icase(text, "do you know my name");
}

std::optional<std::string> arithmetic(std::string_view text) {
  for (std::size_t pos = 0; pos < text.size(); ++pos) {
    // The first number: its digit run must end where the operator part begins (a longer run
    // leaves a digit there, which is no operator), so it is the whole run, of at most 9 digits.
    const std::size_t digits = pos + (text[pos] == '-' ? 1 : 0);
    const std::size_t run = digits_from(text, digits);
    if (run == 0 || run > 9) continue;
    const std::size_t op = skip_spaces(text, digits + run);
    if (op == text.size() || (text[op] != '+' && text[op] != '*' && text[op] != 'x' && text[op] != '-')) continue;
    const std::size_t second = skip_spaces(text, op + 1);
    const std::size_t end = last_number_end(text, second);
    if (end == std::string_view::npos) continue;
    const std::string a(text.substr(pos, digits + run - pos));
    const std::string b(text.substr(second, end - second));
    const long long x = std::stoll(a);
    const long long y = std::stoll(b);
    const long long r = text[op] == '+' ? x + y : text[op] == '-' ? x - y : x * y;
    return a + " " + text[op] + " " + b + " = " + std::to_string(r) + ".";
  }
  return std::nullopt;
}

std::optional<std::string> language_in(std::string_view text) {
  std::size_t end = text.size();
  while (end > 0 && is_space(text[end - 1])) --end;
  if (end > 0 && text[end - 1] == '.') --end;
  std::size_t begin = end;
  while (begin > 0 && is_alpha(text[begin - 1])) --begin;
  if (end - begin < 2 || text[begin] < 'A' || text[begin] > 'Z') return std::nullopt;
  if (begin < 3 || text.substr(begin - 3, 3) != "in ") return std::nullopt;
  if (begin > 3 && is_word(text[begin - 4])) return std::nullopt;  // \b before "in"
  return std::string(text.substr(begin, end - begin));
}

}  // namespace sg::chatbot::offline_rules
