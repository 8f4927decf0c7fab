#pragma once
/// @file
/// The text rules of sg-chatbot's offline fake model (offline_chat_model.hpp), written out by
/// hand: each one matches exactly what the std::regex named in its comment matches (ASCII, the
/// "C" locale's classes; tests/chatbot/offline_rules_test.cpp compares them on generated
/// texts). std::regex took a third of the server's CPU per turn (the name rule runs over every
/// message of the conversation on every turn, and libstdc++'s icase matching is slow); these
/// scan each text once.
///
/// Thread-safety: pure functions, reentrant.

#include <optional>
#include <string>
#include <string_view>

namespace sg::chatbot::offline_rules {

/// The name stated in `text` ("I'm Bob", "I am Bob", "my name is Bob", "call me Bob"), capitalised;
/// of several, the last; words that are not names ("I'm not", "I am fine") are skipped.
/// Matches: every match of (?:\bI'm|\bI am|\bname is|\bcall me)\s+([A-Z][a-zA-Z\-]*), icase.
std::optional<std::string> stated_name(std::string_view text);

/// Whether `text` asks for the user's name.
/// Matches: what'?s my name|what is my name|who am i\b|do you know my name, icase (a search).
bool asks_name(std::string_view text);

/// "A OP B = R." for the first sum or product in `text` ("whats 2 + 2" → "2 + 2 = 4.").
/// Matches: the first (-?\d{1,9})\s*([+*x\-])\s*(-?\d{1,9}) (a search).
std::optional<std::string> arithmetic(std::string_view text);

/// The language a system prompt asks for: "Spanish" for "... Answer in Spanish.".
/// Matches: \bin ([A-Z][a-zA-Z]+)\.?\s*$ (a search).
std::optional<std::string> language_in(std::string_view text);

}  // namespace sg::chatbot::offline_rules
