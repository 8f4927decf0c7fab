// Must not compile: a field of sg::state_schema<Mine> points to a member of another struct.
// Expected: static_assert "sg::state_schema<S>: every sg::field<&X::m> must name a member of S itself"
#include <stategraph/stategraph.hpp>

namespace cf {
struct Other {
  int x = 0;
};
struct Mine {
  int a = 0;
};
}  // namespace cf

template <>
struct sg::state_schema<cf::Mine> {
  static constexpr auto fields =
      sg::fields(sg::field<&cf::Mine::a>("a"), sg::field<&cf::Other::x>("x"));
};

sg::StateGraph<cf::Mine> bad;
