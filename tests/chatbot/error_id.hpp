#pragma once
// The id of the sg::chatbot::ChatbotError that `f` throws, or "no error".
#include <string>

#include "chatbot_error.hpp"

namespace sgtest {

template <class F>
std::string error_id(F&& f) {
  try {
    f();
  } catch (const sg::chatbot::ChatbotError& e) {
    return e.id();
  }
  return "no error";
}

}  // namespace sgtest
