// Must not compile: `undeclared` is a member of S but not a field of sg::state_schema<S>.
// Expected: static_assert "sg::set<&S::member>: this member is not declared in sg::state_schema<S>"
#include "common.hpp"

sg::Update<cf::S> bad() {
  return sg::Update<cf::S>{sg::set<&cf::S::undeclared>(std::string("x"))};
}
