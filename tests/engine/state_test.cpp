// Typed state: reducers, writes, JSON round trip, schema evolution.
#include <doctest/doctest.h>

#include "test_states.hpp"

using test::Counter;

TEST_CASE("sg::set converts writes to the reducer's update type") {
  auto one = sg::set<&Counter::log>("x");  // one element for an append field
  CHECK(one.write.kind == sg::detail::WriteKind::value);
  CHECK(*static_cast<const std::vector<std::string>*>(one.write.value.get()) == std::vector<std::string>{"x"});
  auto many = sg::set<&Counter::log>(std::vector<std::string>{"y", "z"});
  CHECK(static_cast<const std::vector<std::string>*>(many.write.value.get())->size() == 2);
  auto over = sg::set<&Counter::log>(sg::Overwrite{std::vector<std::string>{}});
  CHECK(over.write.kind == sg::detail::WriteKind::overwrite);
  sg::Update<Counter> u;
  u.set<&Counter::value>(1).set<&Counter::last>("q");
  CHECK(u.size() == 2);
}

TEST_CASE("state JSON round trip uses field names, missing fields keep defaults") {
  Counter c;
  c.value = 7;
  c.log = {"a"};
  c.last = "z";
  auto j = sg::detail::encode_state(c);
  CHECK(j == nlohmann::json{{"value", 7}, {"log", {"a"}}, {"last", "z"}});
  auto back = sg::detail::decode_state<Counter>(nlohmann::json{{"value", 3}});
  CHECK(back.value == 3);
  CHECK(back.log.empty());
  CHECK(back.last.empty());
  CHECK_THROWS_WITH_AS(sg::detail::decode_state<Counter>(nlohmann::json{{"value", "text"}}),
                       doctest::Contains("sg.state.501"), sg::StateError);
}

namespace v1 {
struct Chat {
  std::vector<std::string> log;
};
}  // namespace v1
namespace v2 {
struct Chat {
  std::vector<std::string> log;
  std::string language = "English";  // added in a later release
};
}  // namespace v2
template <>
struct sg::state_schema<v1::Chat> {
  static constexpr auto fields = sg::fields(sg::field<&v1::Chat::log>("log", sg::append));
};
template <>
struct sg::state_schema<v2::Chat> {
  static constexpr auto fields =
      sg::fields(sg::field<&v2::Chat::log>("log", sg::append), sg::field<&v2::Chat::language>("language"));
};

TEST_CASE("adding a field never breaks old threads: it loads as its default") {
  auto saver = std::make_shared<sg::InMemorySaver>();
  {
    sg::StateGraph<v1::Chat> g;
    g.add_node("say", [](const v1::Chat&) { return sg::Update<v1::Chat>{sg::set<&v1::Chat::log>("hi")}; });
    g.add_edge(sg::START, "say");
    g.compile({.checkpointer = saver}).invoke({}, test::thread("old"));
  }
  sg::StateGraph<v2::Chat> g;
  g.add_node("say", [](const v2::Chat& s) { return sg::Update<v2::Chat>{sg::set<&v2::Chat::log>(s.language)}; });
  g.add_edge(sg::START, "say");
  auto app = g.compile({.checkpointer = saver});
  auto before = app.get_state(test::thread("old"));
  REQUIRE(before.has_value());
  CHECK(before->values.log == std::vector<std::string>{"hi"});
  CHECK(before->values.language == "English");
  CHECK(app.invoke({}, test::thread("old")).values.log == std::vector<std::string>{"hi", "English"});
}
