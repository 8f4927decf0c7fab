// Must not compile: a field whose type has no to_json/from_json.
// Expected: static_assert "sg::state_schema<S>: a field's type (named in this instantiation, field_json<T>) does not convert to JSON"
#include <stategraph/stategraph.hpp>

namespace cf {
struct Opaque {
  int x = 0;
};
struct WithOpaque {
  Opaque o;
};
}  // namespace cf

template <>
struct sg::state_schema<cf::WithOpaque> {
  static constexpr auto fields = sg::fields(sg::field<&cf::WithOpaque::o>("o"));
};

sg::StateGraph<cf::WithOpaque> bad;
