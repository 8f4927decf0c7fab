#pragma once
// The messages postgres_crash_child writes, so that the test can check what it reads back.

#include <string>

#include <nlohmann/json.hpp>

namespace sgtest {

/// Message number i of the crash test's conversation: about 40 words, alternating roles.
inline nlohmann::json crash_message(long i) {
  std::string text = "message " + std::to_string(i) + ":";
  for (int w = 0; w < 40; ++w) text += " word" + std::to_string((i * 7 + w) % 97);
  return {{"id", "m" + std::to_string(i)}, {"role", i % 2 == 0 ? "human" : "ai"}, {"content", text}};
}

}  // namespace sgtest
