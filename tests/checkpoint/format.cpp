// The checkpoint format (format.hpp): channel names, versions, special writes, metadata sources
// and namespaces, built and parsed by the one owner of those spellings.

#include <doctest/doctest.h>

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "stategraph/checkpoint/format.hpp"

namespace f = sg::format;

TEST_CASE("format: trigger channel names round-trip through parse_channel") {
  CHECK(f::branch_channel("agent") == "branch:to:agent");
  const auto branch = f::parse_channel(f::branch_channel("agent"));
  CHECK(branch.kind == f::ChannelKind::branch);
  CHECK(branch.node == "agent");

  const std::string join = f::join_channel({"a", "b", "c"}, "sum");
  CHECK(join == "join:a+b+c:sum");
  const auto parsed = f::parse_channel(join);
  CHECK(parsed.kind == f::ChannelKind::join);
  CHECK(parsed.node == "sum");
  CHECK(parsed.sources == std::vector<std::string>{"a", "b", "c"});

  CHECK(f::parse_channel(f::kStartChannel).kind == f::ChannelKind::start);
  CHECK(f::parse_channel(f::kTasksChannel).kind == f::ChannelKind::tasks);
  CHECK(f::parse_channel("messages").kind == f::ChannelKind::field);
  CHECK(f::parse_channel("__future__").kind == f::ChannelKind::other_internal);
  CHECK(f::parse_channel("join::x").kind == f::ChannelKind::other_internal);  // no sources
  CHECK(f::parse_channel("join:a:").kind == f::ChannelKind::other_internal);  // no target
  CHECK(f::is_internal_channel("branch:to:x"));
  CHECK_FALSE(f::is_internal_channel("language"));
}

TEST_CASE("format: version counters order versions, and a foreign version still has a value") {
  CHECK(f::version_counter("00000000000000000007.9f3ac1d2e4b5a6c7") == 7);
  CHECK(f::version_counter("00000000000000000012.0000000000000000") > f::version_counter("00000000000000000007.f"));
  CHECK(f::version_counter("abc") == 1);
}

TEST_CASE("format: special writes keep LangGraph's WRITES_IDX_MAP indices") {
  CHECK(f::write_index(f::kErrorWrite, 0) == -1);
  CHECK(f::write_index(f::kInterruptWrite, 2) == -3);
  CHECK(f::write_index(f::kResumeWrite, 1) == -4);
  CHECK(f::write_index("messages", 5) == 5);
  CHECK(f::write_index(f::kNoWritesWrite, 0) == 0);
  CHECK(f::is_special_write(f::kResumeWrite));
  CHECK_FALSE(f::is_special_write(f::kNoWritesWrite));
  CHECK(f::is_control_write(f::kNoWritesWrite));
  CHECK_FALSE(f::is_control_write("messages"));
  CHECK(f::kNullTaskId.size() == 36);
}

TEST_CASE("format: checkpoint sources by name") {
  for (auto s : {f::CheckpointSource::input, f::CheckpointSource::loop, f::CheckpointSource::update,
                 f::CheckpointSource::fork})
    CHECK(f::parse_source(f::to_string(s)) == s);
  CHECK_FALSE(f::parse_source("replay").has_value());
}

TEST_CASE("format: namespaces nest as <parent>|<node>:<task id>") {
  const std::string child = f::child_namespace("", "research", "t1");
  CHECK(child == "research:t1");
  const std::string grandchild = f::child_namespace(child, "tools", "t2");
  CHECK(grandchild == "research:t1|tools:t2");
  CHECK(f::parent_namespace(grandchild) == child);
  CHECK(f::parent_namespace(child).empty());
  CHECK(f::namespace_path(grandchild) == "research|tools");
  const auto levels = f::parse_namespace(grandchild);
  REQUIRE(levels.size() == 2);
  CHECK(levels[0] == f::NamespaceLevel{"research", "t1"});
  CHECK(levels[1] == f::NamespaceLevel{"tools", "t2"});
  CHECK(f::parse_namespace("").empty());
  CHECK(f::parse_namespace("node") == std::vector<f::NamespaceLevel>{{"node", ""}});
}

TEST_CASE("format: the values of the tasks and join channels are read through the format") {
  // Sends as the engine stores them: one entry per Send, in order.
  nlohmann::json tasks = nlohmann::json::array();
  for (const char* node : {"generate", "generate", "judge"})
    tasks.push_back({{std::string(f::kSendNodeKey), node}, {std::string(f::kSendArgKey), 1}});
  tasks.push_back({{"other", "x"}});  // malformed: skipped
  CHECK(f::send_nodes(tasks) == std::vector<std::string>{"generate", "generate", "judge"});
  CHECK(f::send_nodes(nlohmann::json::object()).empty());

  const auto join = f::parse_channel(f::join_channel({"a", "b"}, "sum"));
  const auto value = [](std::vector<std::string> seen) {
    return nlohmann::json{{std::string(f::kJoinSeenKey), seen}, {std::string(f::kJoinFinishedKey), false}};
  };
  CHECK(f::join_complete(join, value({"a", "b"})));
  CHECK(f::join_complete(join, value({"b", "a"})));
  CHECK_FALSE(f::join_complete(join, value({"a"})));
  CHECK_FALSE(f::join_complete(join, nlohmann::json::array()));
  CHECK_FALSE(f::join_complete(f::parse_channel("branch:to:sum"), value({"a", "b"})));
}

TEST_CASE("format: unseen is the engine's trigger test over versions_seen") {
  std::map<std::string, sg::ChannelVersions> seen;
  seen["b"]["branch:to:b"] = "00000000000000000003.aa";
  CHECK(f::unseen(seen, "a", "branch:to:a", "00000000000000000001.00"));  // node never ran
  CHECK(f::unseen(seen, "b", "branch:to:b", "00000000000000000004.bb"));  // newer counter
  CHECK_FALSE(f::unseen(seen, "b", "branch:to:b", "00000000000000000003.cc"));  // same counter, other salt
  CHECK(f::unseen(seen, "b", "join:a+c:b", "00000000000000000001.00"));  // channel never seen
}

TEST_CASE("format: the keys of join, Send and input channel values are the stored spellings") {
  // Checkpoints already stored use these; changing one needs a format version and an upgrade.
  CHECK(f::kJoinSeenKey == "seen");
  CHECK(f::kJoinFinishedKey == "finished");
  CHECK(f::kSendNodeKey == "node");
  CHECK(f::kSendArgKey == "arg");
  CHECK(f::kInputChannelKey == "channel");
  CHECK(f::kInputValueKey == "value");
}
