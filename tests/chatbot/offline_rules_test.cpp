// sg::chatbot::offline_rules (examples/chatbot/offline_rules.hpp): the offline model's text
// rules, written by hand, agree with the std::regex they replaced on generated texts.
#include <doctest/doctest.h>

#include <optional>
#include <random>
#include <regex>
#include <string>
#include <vector>

#include "offline_rules.hpp"

namespace {

namespace rules = sg::chatbot::offline_rules;

// The regex versions, as offline_chat_model.cpp had them.
std::optional<std::string> regex_stated_name(const std::string& text) {
  static const std::regex pattern(R"((?:\bI'm|\bI am|\bname is|\bcall me)\s+([A-Z][a-zA-Z\-]*))", std::regex::icase);
  std::optional<std::string> found;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), pattern); it != std::sregex_iterator(); ++it) {
    std::string name = (*it)[1].str();
    std::string l = name;
    for (auto& c : l) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (l == "not" || l == "a" || l == "an" || l == "the" || l == "sorry" || l == "fine" || l == "good") continue;
    name[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(name[0])));
    found = name;
  }
  return found;
}

bool regex_asks_name(const std::string& text) {
  static const std::regex pattern(R"(what'?s my name|what is my name|who am i\b|do you know my name)", std::regex::icase);
  return std::regex_search(text, pattern);
}

std::optional<std::string> regex_arithmetic(const std::string& text) {
  static const std::regex pattern(R"((-?\d{1,9})\s*([+*x\-])\s*(-?\d{1,9}))");
  std::smatch m;
  if (!std::regex_search(text, m, pattern)) return std::nullopt;
  const long long a = std::stoll(m[1].str());
  const long long b = std::stoll(m[3].str());
  const char op = m[2].str()[0];
  const long long r = op == '+' ? a + b : op == '-' ? a - b : a * b;
  return m[1].str() + " " + m[2].str() + " " + m[3].str() + " = " + std::to_string(r) + ".";
}

std::optional<std::string> regex_language(const std::string& text) {
  static const std::regex pattern(R"(\bin ([A-Z][a-zA-Z]+)\.?\s*$)");
  std::smatch match;
  if (std::regex_search(text, match, pattern)) return match[1].str();
  return std::nullopt;
}

/// Texts made of pieces that exercise the rules' edges: leads in any case, names, words that
/// are not names, numbers around the 9-digit limit, operators, spaces of each kind, boundaries.
std::vector<std::string> generated_texts(std::size_t count) {
  static const std::vector<std::string> pieces = {
      "I'm", "i'M", "I am", "i AM", "I  am", "name is", "NAME IS", "call me", "Call Me", "my", " ", "  ", "\t", "\n",
      "\r\n", "\v", "Bob", "bob", "Mary-Jane", "-", "not", "Not", "a", "an", "the", "sorry", "fine", "good", "x",
      "X", "_", "+", "*", "12", "7", "123456789", "1234567890", "-3", "--", "what's my name", "WHATS MY NAME",
      "what is my name", "who am i", "Who Am I", "who am iX", "do you know my name", "?", ".", "..", "in ",
      "In ", "in", "Spanish", "spanish", "French.", "xin ", "é", "'", "0", "9x9"};
  std::mt19937 random(20240611);
  std::uniform_int_distribution<std::size_t> piece(0, pieces.size() - 1);
  std::uniform_int_distribution<int> length(0, 9);
  std::vector<std::string> out;
  for (std::size_t i = 0; i < count; ++i) {
    std::string text;
    for (int n = length(random); n > 0; --n) text += pieces[piece(random)];
    out.push_back(std::move(text));
  }
  return out;
}

}  // namespace

TEST_CASE("offline_rules: the hand-written rules match what their regexes matched") {
  for (const std::string& text : generated_texts(20000)) {
    CAPTURE(text);
    CHECK(rules::stated_name(text) == regex_stated_name(text));
    CHECK(rules::asks_name(text) == regex_asks_name(text));
    CHECK(rules::arithmetic(text) == regex_arithmetic(text));
    CHECK(rules::language_in(text) == regex_language(text));
  }
}

TEST_CASE("offline_rules: examples") {
  CHECK(rules::stated_name("Hi! I'm bob, and my name is Mary-Jane") == "Mary-Jane");
  CHECK(rules::stated_name("I'm not sure") == std::nullopt);
  CHECK(rules::asks_name("so... WHO AM I?"));
  CHECK_FALSE(rules::asks_name("who am iris"));
  CHECK(rules::arithmetic("whats 2 + 2") == "2 + 2 = 4.");
  CHECK(rules::arithmetic("1234567890+1") == "234567890 + 1 = 234567891.");
  CHECK(rules::arithmetic("3x-4") == "3 x -4 = -12.");
  CHECK(rules::language_in("You are helpful. Answer in Spanish.") == "Spanish");
  CHECK(rules::language_in("Answer in spanish.") == std::nullopt);
}
