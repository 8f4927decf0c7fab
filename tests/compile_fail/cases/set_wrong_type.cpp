// Must not compile: a std::string written to the int field `count`.
// Expected: static_assert "sg::set<&S::member>(value): the field's reducer does not accept this value type"
#include "common.hpp"

sg::Update<cf::S> bad() {
  return sg::Update<cf::S>{sg::set<&cf::S::count>(std::string("x"))};
}
