#pragma once
// problems_of: the problems compile() reports for a graph (empty when it compiles).
#include <string>
#include <vector>

#include "test_states.hpp"

namespace test {
inline std::vector<std::string> problems_of(const sg::StateGraph<Counter>& g) {
  try {
    (void)g.compile();
  } catch (const sg::CompileError& e) {
    return e.problems();
  }
  return {};
}
}  // namespace test
