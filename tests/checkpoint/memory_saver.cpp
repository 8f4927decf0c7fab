// InMemorySaver specifics beyond the conformance suite: value de-duplication, put validation and
// damaged-data detection.

#include <doctest/doctest.h>

#include "helpers.hpp"
#include "stategraph/checkpoint/error.hpp"
#include "stategraph/checkpoint/memory_saver.hpp"

namespace {

using nlohmann::json;

template <class Fn>
std::string saver_error_id(Fn&& fn) {
  try {
    fn();
  } catch (const sg::SaverError& e) {
    return e.id();
  }
  return "no exception";
}

}  // namespace

TEST_CASE("InMemorySaver stores each value once per channel and version") {
  sg::InMemorySaver saver;
  sgtest::Run run(saver, "t");
  run.step({{"big", json::array({1, 2, 3})}, {"n", 0}});
  for (int i = 1; i < 10; ++i) run.step({{"n", i}});
  CHECK(saver.value_count() == 11);  // big once, n ten times

  // A value for a version that is already stored is not overwritten.
  sg::Checkpoint c = run.history.back();
  c.id = sg::new_checkpoint_id();
  c.channel_values["big"] = "different";
  saver.put({"t", "", run.history.back().id}, c, sgtest::metadata("loop", 9),
            {{"big", c.channel_versions.at("big")}});
  CHECK(saver.value_count() == 11);
  const auto t = saver.get_tuple({"t", "", c.id});
  REQUIRE(t.has_value());
  CHECK(t->checkpoint.channel_values.at("big") == json::array({1, 2, 3}));
}

TEST_CASE("InMemorySaver put validates new_versions before storing anything") {
  sg::InMemorySaver saver;
  auto c = sgtest::checkpoint({{"a", 1}, {"b", 2}});

  auto missing_value = c;
  missing_value.channel_values.erase("b");
  CHECK(saver_error_id([&] {
          saver.put({"t", "", std::nullopt}, missing_value, sgtest::metadata("input", -1),
                    c.channel_versions);
        }) == "sg.saver.403");

  CHECK(saver_error_id([&] {
          saver.put({"t", "", std::nullopt}, c, sgtest::metadata("input", -1),
                    {{"a", sgtest::version(99)}});
        }) == "sg.saver.403");

  auto no_id = c;
  no_id.id.clear();
  CHECK(saver_error_id([&] {
          saver.put({"t", "", std::nullopt}, no_id, sgtest::metadata("input", -1), c.channel_versions);
        }) == "sg.saver.403");

  CHECK(saver.value_count() == 0);
  CHECK_FALSE(saver.get_tuple({"t", "", std::nullopt}).has_value());

  // A channel in new_versions without a version in the checkpoint has no value to store.
  saver.put({"t", "", std::nullopt}, c, sgtest::metadata("input", -1),
            {{"a", c.channel_versions.at("a")}, {"b", c.channel_versions.at("b")}, {"gone", sgtest::version(1)}});
  CHECK(saver.value_count() == 2);
}

TEST_CASE("InMemorySaver reports a checkpoint whose value is missing as SaverCorrupt") {
  sg::InMemorySaver saver;
  auto c = sgtest::checkpoint({{"a", 1}});
  // new_versions is empty, so the value of "a" is never stored.
  saver.put({"t", "", std::nullopt}, c, sgtest::metadata("input", -1), {});
  bool thrown = false;
  try {
    (void)saver.get_tuple({"t", "", std::nullopt});
  } catch (const sg::SaverCorrupt& e) {
    thrown = true;
    CHECK(e.id() == "sg.saver.402");
    CHECK(std::string(e.message()).find("\"a\"") != std::string::npos);
  }
  CHECK(thrown);
}

TEST_CASE("InMemorySaver list rejects a filter that is not an object") {
  sg::InMemorySaver saver;
  sg::ListOptions o;
  o.filter = json::array({1});
  CHECK(saver_error_id([&] { (void)saver.list({"t", "", std::nullopt}, o); }) == "sg.saver.403");
}
