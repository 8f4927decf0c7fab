#pragma once
// States shared by the engine tests.

#include <string>
#include <vector>

#include <stategraph/stategraph.hpp>

namespace test {

struct Counter {
  int value = 0;
  std::vector<std::string> log;
  std::string last;
};

}  // namespace test

template <>
struct sg::state_schema<test::Counter> {
  static constexpr auto fields = sg::fields(sg::field<&test::Counter::value>("value", sg::add),
                                            sg::field<&test::Counter::log>("log", sg::append),
                                            sg::field<&test::Counter::last>("last"));
};

namespace test {

/// A node that appends its name to `log` and adds `inc` to `value`.
inline auto step(std::string name, int inc = 1) {
  return [name, inc](const Counter&) {
    return sg::Update<Counter>{sg::set<&Counter::log>(name), sg::set<&Counter::value>(inc)};
  };
}

inline sg::RunConfig thread(std::string id) {
  sg::RunConfig c;
  c.thread_id = std::move(id);
  return c;
}

}  // namespace test
