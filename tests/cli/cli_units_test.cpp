// The CLI's pure pieces, compiled into the test binary: durations and the checkpoint ids they
// become, next nodes from trigger channels, message diffs, text cutting, namespaces and the
// history tree.

#include <doctest/doctest.h>

#include <chrono>
#include <thread>

#include <stategraph/checkpoint/checkpoint.hpp>
#include <stategraph/checkpoint/format.hpp>

#include "channels.hpp"
#include "cli_error.hpp"
#include "duration.hpp"
#include "messages.hpp"
#include "namespaces.hpp"
#include "text.hpp"

namespace {

using nlohmann::json;

std::string version(int n) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%020d.%016x", n, 0xabcU);
  return buf;
}

}  // namespace

TEST_CASE("cli units: durations") {
  using std::chrono::seconds;
  CHECK(sgcli::parse_duration("90s") == seconds(90));
  CHECK(sgcli::parse_duration("15m") == seconds(900));
  CHECK(sgcli::parse_duration("1d12h") == seconds(129600));
  CHECK(sgcli::parse_duration("2w") == seconds(1209600));
  CHECK(sgcli::parse_duration("0s") == seconds(0));
  for (const char* bad : {"", "10", "d", "5x", "1.5h", "-3d", "1d 2h"}) {
    CAPTURE(bad);
    try {
      sgcli::parse_duration(bad);
      FAIL("accepted");
    } catch (const sgcli::CliError& e) {
      CHECK(e.id() == "sg.cli.701");
      CHECK(e.exit_code() == 2);
    }
  }
}

TEST_CASE("cli units: the checkpoint id of a time sorts between ids made before and after it") {
  const std::string before = sg::new_checkpoint_id();
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
  const std::string at = sgcli::checkpoint_id_at(std::chrono::system_clock::now());
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
  const std::string after = sg::new_checkpoint_id();
  CHECK(before < at);
  CHECK(at < after);
  CHECK(at.size() == 36);
  CHECK(sgcli::checkpoint_id_at(std::chrono::system_clock::now() - std::chrono::hours(24)) < before);
}

TEST_CASE("cli units: next nodes from trigger channels and versions seen") {
  sg::Checkpoint c;
  c.channel_versions = {{"branch:to:a", version(3)}, {"branch:to:b", version(2)}, {"messages", version(3)}};
  c.versions_seen = {{"b", {{"branch:to:b", version(2)}}}};
  c.channel_values = {{"branch:to:a", false}, {"branch:to:b", false}, {"messages", json::array()}};
  CHECK(sgcli::next_nodes(c) == std::vector<std::string>{"a"});  // b saw its trigger already

  c.channel_versions["join:a+b:c"] = version(3);
  c.channel_values["join:a+b:c"] = {{"seen", {"a"}}, {"finished", false}};
  CHECK(sgcli::next_nodes(c) == std::vector<std::string>{"a"});  // b has not written yet
  c.channel_values["join:a+b:c"] = {{"seen", {"a", "b"}}, {"finished", false}};
  CHECK(sgcli::next_nodes(c) == std::vector<std::string>{"a", "c"});

  c.channel_versions["__pregel_tasks"] = version(3);
  c.channel_values["__pregel_tasks"] = json::array({{{"node", "w"}, {"arg", 1}}, {{"node", "w"}, {"arg", 2}}});
  CHECK(sgcli::next_nodes(c) == std::vector<std::string>{"w", "w", "a", "c"});  // one per Send, first

  sg::Checkpoint no_values = c;
  no_values.channel_values.clear();
  CHECK_FALSE(sgcli::next_nodes(no_values).has_value());  // the join needs its value
  no_values.channel_versions.erase("join:a+b:c");
  no_values.channel_versions.erase("__pregel_tasks");
  CHECK(sgcli::next_nodes(no_values) == std::vector<std::string>{"a"});

  sg::Checkpoint start;
  start.channel_versions = {{"__start__", version(1)}};
  CHECK(sgcli::next_nodes(start) == std::vector<std::string>{"__start__"});  // needs no value
  start.versions_seen["__start__"] = {{"__start__", version(1)}};
  CHECK(sgcli::next_nodes(start) == std::vector<std::string>{});
}

TEST_CASE("cli units: changed channels leave out the engine's own") {
  sg::Checkpoint a, b;
  a.channel_versions = {{"x", version(1)}, {"y", version(1)}, {"branch:to:n", version(1)}};
  b.channel_versions = {{"x", version(2)}, {"z", version(2)}, {"branch:to:n", version(2)}, {"__start__", version(2)}};
  CHECK(sgcli::changed_channels(&a, b) == std::vector<std::string>{"x", "y", "z"});
  CHECK(sgcli::changed_channels(nullptr, b) == std::vector<std::string>{"x", "z"});
}

TEST_CASE("cli units: message diffs by id and by position") {
  const json a = json::array({{{"type", "human"}, {"content", "hi"}, {"id", "1"}},
                              {{"type", "ai"}, {"content", "hello"}, {"id", "2"}}});
  const json b = json::array({{{"type", "human"}, {"content", "hi!"}, {"id", "1"}},
                              {{"type", "ai"}, {"content", "more"}, {"id", "3"}}});
  const auto d = sgcli::diff_messages(a, b);
  REQUIRE(d.added.size() == 1);
  CHECK(d.added[0]["id"] == "3");
  REQUIRE(d.replaced.size() == 1);
  CHECK(d.replaced[0].second["content"] == "hi!");
  REQUIRE(d.removed.size() == 1);
  CHECK(d.removed[0]["id"] == "2");

  const json c = json::array({{{"type", "human"}, {"content", "a"}}});
  const json e = json::array({{{"type", "human"}, {"content", "a"}}, {{"type", "ai"}, {"content", "b"}}});
  const auto p = sgcli::diff_messages(c, e);
  CHECK(p.added.size() == 1);
  CHECK(p.replaced.empty());
  CHECK(sgcli::is_message_list(e));
  CHECK_FALSE(sgcli::is_message_list(json::array({1, 2})));
  CHECK_FALSE(sgcli::is_message_list(json::array()));
  CHECK(sgcli::render_message(e[1]).rfind("================================== Ai Message ==================================\n\nb", 0) ==
        0);
}

TEST_CASE("cli units: text cutting counts code points") {
  CHECK(sgcli::one_line("a\nb\tc", 10) == "a b c");
  CHECK(sgcli::one_line("abcdef", 4) == "abc…");
  CHECK(sgcli::one_line("ééééé", 3) == "éé…");
  CHECK(sgcli::display_width("é…x") == 3);
  CHECK(sgcli::human_bytes(512) == "512 B");
  CHECK(sgcli::human_bytes(1536) == "1.5 KB");
  CHECK(sgcli::human_bytes(5 * 1024 * 1024) == "5.0 MB");
}

TEST_CASE("cli units: --ns values are checked with the namespace grammar") {
  namespace fmt = sg::format;
  const std::string a1 = fmt::child_namespace("", "a", "1");
  const std::string nested = fmt::child_namespace(fmt::child_namespace(a1, "b", ""), "c", "3");
  for (const std::string& ok : {std::string(), a1, fmt::child_namespace("", "memory", ""), nested}) {
    CAPTURE(ok);
    CHECK_NOTHROW(sgcli::check_namespace(ok));
  }
  const std::string bar(1, fmt::kNamespaceSeparator);
  const std::string colon(1, fmt::kNamespaceTaskSeparator);
  for (const std::string& bad : {bar, colon, "a" + colon, colon + "1", bar + a1, a1 + bar, a1 + bar + bar + a1,
                                 a1 + colon + "2", "a" + colon + bar + "b"}) {
    CAPTURE(bad);
    try {
      sgcli::check_namespace(bad);
      FAIL("accepted");
    } catch (const sgcli::CliError& e) {
      CHECK(e.is(sg::ErrorId::cli_bad_namespace));
      CHECK(e.exit_code() == 2);
    }
  }
  CHECK(sgcli::is_inside(a1, ""));
  CHECK(sgcli::is_inside(nested, a1));
  CHECK_FALSE(sgcli::is_inside(a1, a1));
  CHECK_FALSE(sgcli::is_inside("", ""));
  CHECK_FALSE(sgcli::is_inside(a1, nested));
  CHECK_FALSE(sgcli::is_inside(fmt::child_namespace("", "a", "10"), a1));  // a level, not a string prefix
}

TEST_CASE("cli units: the history tree places children by metadata parents and lists the rest apart") {
  namespace fmt = sg::format;
  auto tuple = [](const std::string& ns, const std::string& id, const json& parents) {
    sg::CheckpointTuple t;
    t.config = {"t", ns, id};
    t.checkpoint.id = id;
    t.metadata = {{"step", 0}};
    if (!parents.is_null()) t.metadata[std::string(fmt::kParentsKey)] = parents;
    return t;
  };
  const std::string a = fmt::child_namespace("", "a", "1");
  const std::string b = fmt::child_namespace("", "b", "");
  const std::string ab = fmt::child_namespace(a, "x", "2");
  std::map<std::string, std::vector<sg::CheckpointTuple>> all;
  all[""] = {tuple("", "r2", nullptr), tuple("", "r1", nullptr)};
  all[a] = {tuple(a, "a3", {{"", "r1"}}), tuple(a, "a2", {{"", "r1"}}), tuple(a, "a1", {{"", "gone"}})};
  all[b] = {tuple(b, "b2", {{"", "r2"}}), tuple(b, "b1", json::object()), tuple(b, "b0", {{"", 7}})};
  all[ab] = {tuple(ab, "x1", {{"", "r1"}, {a, "a1"}})};
  const auto tree = sgcli::history_tree("", all);
  auto ids = [](const std::vector<sgcli::HistoryNode>& nodes) {
    std::vector<std::string> out;
    for (const auto& n : nodes) out.push_back(n.tuple->checkpoint.id);
    return out;
  };
  REQUIRE(tree.rows.size() == 2);
  CHECK(ids(tree.rows[0].children) == std::vector<std::string>{"b2"});
  CHECK(ids(tree.rows[1].children) == std::vector<std::string>{"a3", "a2"});
  // a1's parent is gone, b1 and b0 name none (no entry, not a string): listed apart, grouped by
  // namespace, the newest group first; x1 stays under a1.
  CHECK(ids(tree.unattached) == std::vector<std::string>{"b1", "b0", "a1"});
  CHECK(ids(tree.unattached[2].children) == std::vector<std::string>{"x1"});
  // Below a: only a's own and what is inside it.
  const auto below_a = sgcli::history_tree(a, all);
  CHECK(ids(below_a.rows) == std::vector<std::string>{"a3", "a2", "a1"});
  CHECK(ids(below_a.rows[2].children) == std::vector<std::string>{"x1"});
  CHECK(below_a.unattached.empty());
}
