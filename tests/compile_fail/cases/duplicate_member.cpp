// Must not compile: the member `a` is declared twice (under two names).
// Expected: static_assert "sg::state_schema<S>: a member is declared twice"
#include <stategraph/stategraph.hpp>

namespace cf {
struct Dup {
  int a = 0;
  int b = 0;
};
}  // namespace cf

template <>
struct sg::state_schema<cf::Dup> {
  static constexpr auto fields =
      sg::fields(sg::field<&cf::Dup::a>("a"), sg::field<&cf::Dup::b>("b"), sg::field<&cf::Dup::a>("a2"));
};

sg::StateGraph<cf::Dup> bad;
