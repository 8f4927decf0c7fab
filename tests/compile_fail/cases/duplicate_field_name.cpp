// Must not compile: two fields named "a".
// Expected: static_assert "sg::state_schema<S>: two fields have the same name"
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
      sg::fields(sg::field<&cf::Dup::a>("a"), sg::field<&cf::Dup::b>("a"));
};

sg::StateGraph<cf::Dup> bad;
