// Must not compile: a double written to the int field `count` (the fraction would be dropped).
// Expected: static_assert "sg::set<&S::member>(value): the value would be narrowed"
#include "common.hpp"

sg::Update<cf::S> bad(const cf::S& s) {
  return sg::Update<cf::S>{sg::set<&cf::S::count>(s.count + 1.5)};
}
