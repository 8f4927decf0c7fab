// sg::LazyJson (examples/agent_server/lazy_json.hpp): a run's values events are encoded only when
// read, once, whichever thread reads first; copies share the value.

#include <doctest/doctest.h>

#include <atomic>
#include <stdexcept>
#include <thread>
#include <vector>

#include "agent_server/lazy_json.hpp"

using nlohmann::json;

TEST_CASE("LazyJson: a deferred value is made on the first get, once, for every copy and thread") {
  std::atomic<int> made{0};
  const sg::LazyJson lazy = sg::LazyJson::deferred([&] {
    ++made;
    return json{{"count", 3}};
  });
  CHECK(made == 0);  // nobody read it: nothing encoded
  const sg::LazyJson copy = lazy;
  std::vector<std::thread> readers;
  std::atomic<int> right{0};
  for (int i = 0; i < 8; ++i)
    readers.emplace_back([&, i] {
      if ((i % 2 == 0 ? lazy : copy).get() == json{{"count", 3}}) ++right;
    });
  for (auto& t : readers) t.join();
  CHECK(right == 8);
  CHECK(made == 1);
}

TEST_CASE("LazyJson: a given value, take, and a make that throws is tried again") {
  CHECK(sg::LazyJson().get().is_null());
  CHECK(sg::LazyJson(json{1, 2}).get() == json{1, 2});
  sg::LazyJson alone(json{{"a", "b"}});
  CHECK(std::move(alone).take() == json{{"a", "b"}});
  sg::LazyJson shared(json{{"a", "b"}});
  const sg::LazyJson other = shared;
  CHECK(std::move(shared).take() == json{{"a", "b"}});
  CHECK(other.get() == json{{"a", "b"}});  // copied out, not moved: the copy still has it

  int calls = 0;
  const sg::LazyJson flaky = sg::LazyJson::deferred([&] {
    if (++calls == 1) throw std::runtime_error("first try fails");
    return json("second");
  });
  CHECK_THROWS_WITH((void)flaky.get(), "first try fails");
  CHECK(flaky.get() == json("second"));
  CHECK(calls == 2);
}
