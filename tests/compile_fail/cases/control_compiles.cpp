// Control: must compile. Uses every construct the failing cases misuse, correctly, so a broken
// harness (missing include path, wrong target, bad flags) fails here instead of making every
// compile_fail case "fail" for the wrong reason.
#include "common.hpp"

namespace cf {

struct Two {
  int a = 0;
  int b = 0;
};

}  // namespace cf

template <>
struct sg::state_schema<cf::Two> {
  static constexpr auto fields =
      sg::fields(sg::field<&cf::Two::a>("a"), sg::field<&cf::Two::b>("b"));
};

sg::Update<cf::S> control_writes() {
  return sg::Update<cf::S>{sg::set<&cf::S::count>(1), sg::set<&cf::S::log>(std::string("x"))};
}

void control_graphs() {
  sg::StateGraph<cf::S> g;
  g.add_node("n", [](const cf::S&) { return sg::set<&cf::S::count>(2); });
  g.add_node("m", [](const cf::S&) {});
  sg::StateGraph<cf::Two> two;
  two.add_node("t", [](const cf::Two&) { return sg::Update<cf::Two>{sg::set<&cf::Two::b>(3)}; });
}
