#pragma once
// The state every compile_fail case starts from: `count` and `log` are in the schema; `Other` is
// a second state type (for subgraph cases).

#include <string>
#include <vector>

#include <stategraph/stategraph.hpp>

namespace cf {

struct S {
  int count = 0;
  std::vector<std::string> log;
  std::string undeclared;  // deliberately missing from sg::state_schema<S>
};

}  // namespace cf

template <>
struct sg::state_schema<cf::S> {
  static constexpr auto fields = sg::fields(sg::field<&cf::S::count>("count", sg::add),
                                            sg::field<&cf::S::log>("log", sg::append));
};

namespace cf {
struct Other {
  int n = 0;
};
}  // namespace cf
template <>
struct sg::state_schema<cf::Other> {
  static constexpr auto fields = sg::fields(sg::field<&cf::Other::n>("n"));
};
