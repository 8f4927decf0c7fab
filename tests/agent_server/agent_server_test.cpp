// sg::AgentServer's parts in process, label "agent_server": the error table against README.md,
// request-target parsing (url.hpp), run options (run_options.hpp), the erased graph
// (served_graph.hpp: update_from_json, graph_json, schemas, thread states) and the RunManager's
// queue (multitask strategies, after_seconds, cancel) on a real SQLite store. The HTTP API itself
// is tested with the real SDK (clients/*.mjs).
#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include <stategraph/checkpoint/open_store.hpp>
#include <stategraph/checkpoint/sqlite_saver.hpp>
#include <stategraph/stategraph.hpp>

#include "../readme_table.hpp"
#include "agent_server/agent_routes.hpp"
#include "agent_server/demo_graphs.hpp"
#include "agent_server/run_manager.hpp"
#include "agent_server/run_options.hpp"
#include "agent_server/url.hpp"

using nlohmann::json;
using namespace sg::server;  // NOLINT(google-build-using-namespace): a test file

namespace {

/// A state with one text field, for a graph that writes bytes that are not valid UTF-8.
struct TextState {
  std::string text;
};

}  // namespace

template <>
struct sg::state_schema<TextState> {
  static constexpr auto fields = sg::fields(sg::field<&TextState::text>("text"));
};

namespace {

std::filesystem::path temp_db(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / ("sg_agent_server_test_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir / "a.db";
}

/// Saver and run store on one SQLite file.
struct SqliteStore {
  explicit SqliteStore(const std::string& name)
      : path(temp_db(name)),
        saver(std::make_shared<sg::SqliteSaver>(path.string())),
        runs(sg::open_run_store(sg::parse_store_uri("sqlite:" + path.string()))) {}
  std::filesystem::path path;
  std::shared_ptr<sg::BaseCheckpointSaver> saver;
  std::shared_ptr<sg::RunStore> runs;
};

std::map<std::string, std::shared_ptr<const sg::ServedGraph>> demo(const std::shared_ptr<sg::BaseCheckpointSaver>& saver) {
  std::map<std::string, std::shared_ptr<const sg::ServedGraph>> out;
  for (auto& e : sg::demo::demo_graphs(saver)) out.emplace(e.id, e.graph);
  return out;
}

/// Waits until the run has ended; its final status.
std::string finished(const RunManager& m, const std::string& run_id) {
  for (int i = 0; i < 500; ++i) {
    auto r = m.run(run_id);
    REQUIRE(r);
    if (r->status != "pending" && r->status != "running") return r->status;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  FAIL("run " << run_id << " did not end within 5 s");
  return "";
}

}  // namespace

TEST_CASE("agent server errors: README.md's table lists exactly kAgentServerErrorTable") {
  auto table = sgtest::readme_rows(SG_README_PATH, "sg.server.");
  REQUIRE(table.opened);
  CHECK(table.duplicates.empty());
  for (const auto& info : kAgentServerErrorTable) {
    const std::string code(info.code);
    CAPTURE(code);
    const auto row = table.rows.find(code);
    if (row == table.rows.end()) {
      FAIL_CHECK("README.md has no row for " << code);
      continue;
    }
    REQUIRE(row->second.size() >= 2);
    CHECK(row->second[0] == (info.http_status == 0 ? std::string("—") : std::to_string(info.http_status)));
    CHECK(row->second[1] == info.meaning);
    if (info.http_status != 0) {
      const HttpResponse r = agent_error(info.id, "x");
      CHECK(r.status == info.http_status);
      CHECK(json::parse(r.body)["error"]["id"] == code);
    }
    table.rows.erase(row);
  }
  for (const auto& [code, row] : table.rows) FAIL_CHECK("README.md lists " << code << ", which the table does not have");
}

TEST_CASE("agent server: a 500 hides its detail behind a ref that the log line carries") {
  const HttpResponse r = agent_error(AgentServerErrorId::internal_error, "SELECT secret FROM t");
  CHECK(r.status == 500);
  CHECK(r.body.find("secret") == std::string::npos);
  const std::string ref = json::parse(r.body)["detail"].get<std::string>();
  const auto at = ref.find("ref ");
  REQUIRE(at != std::string::npos);
  CHECK(r.log.find(ref.substr(at, 12)) != std::string::npos);
  CHECK(r.log.find("secret") != std::string::npos);
}

TEST_CASE("agent server: request targets — segments, escapes, queries") {
  CHECK(path_segments("/threads/a%20b/state?x=1") == std::vector<std::string>{"threads", "a b", "state"});
  CHECK(path_segments("//threads//t/") == std::vector<std::string>{"threads", "t"});
  CHECK_FALSE(path_segments("/threads/%zz"));
  CHECK_FALSE(percent_decode("%4"));
  const auto q = query_params("/x?limit=5&xray&name=a+b%21&limit=7#frag");
  CHECK(q.at("limit") == "7");
  CHECK(q.at("name") == "a b!");
  CHECK(query_flag(q, "xray"));
  CHECK_FALSE(query_flag(q, "other"));
  CHECK(query_size(q, "limit", 10) == 7);
  CHECK(query_size(q, "name", 10) == 10);
  CHECK(query_size(query_params("/x?limit=99999999999999999999999"), "limit", 3) == 3);
}

TEST_CASE("agent server: run options — defaults, every field, and the errors") {
  const RunOptions d = parse_run_options(json{{"assistant_id", "chain"}});
  CHECK(d.stream_mode == std::vector<std::string>{"values"});
  CHECK(d.multitask_strategy == "reject");
  CHECK(d.durability == sg::Durability::async);
  const RunOptions o = parse_run_options(json{{"stream_mode", "updates"},
                                              {"checkpoint", {{"checkpoint_id", "c1"}, {"checkpoint_ns", ""}}},
                                              {"interrupt_before", json::array({"b"})},
                                              {"config", {{"recursion_limit", 5}}},
                                              {"multitask_strategy", "enqueue"},
                                              {"durability", "sync"},
                                              {"after_seconds", 1.5},
                                              {"stream_subgraphs", true}});
  CHECK(o.stream_mode == std::vector<std::string>{"updates"});
  CHECK(o.checkpoint_id == std::optional<std::string>("c1"));
  CHECK(o.interrupt_before == std::optional<std::vector<std::string>>({"b"}));
  CHECK(o.recursion_limit == 5);
  CHECK(o.after_seconds == doctest::Approx(1.5));
  const sg::StreamModes modes = stream_modes(parse_run_options(json{{"stream_mode", {"messages-tuple", "custom"}}}));
  CHECK(modes.has(sg::StreamMode::messages));
  CHECK(modes.has(sg::StreamMode::custom));
  CHECK_FALSE(modes.has(sg::StreamMode::values));
  CHECK(stream_modes(o).subgraphs);
  // checkpoint_during, durability's deprecated form.
  CHECK(parse_run_options(json{{"checkpoint_during", false}}).durability == sg::Durability::exit);
  CHECK(parse_run_options(json{{"checkpoint_during", true}}).durability == sg::Durability::async);
  CHECK(parse_run_options(json{{"checkpoint_during", false}}).kwargs["checkpoint_during"] == false);
  for (const json& bad : {json{{"stream_mode", "tokens"}}, json{{"multitask_strategy", "merge"}},
                          json{{"checkpoint_during", "no"}}, json{{"checkpoint_during", true}, {"durability", "sync"}},
                          json{{"config", {{"recursion_limit", 0}}}}, json{{"after_seconds", -1}}, json::array()}) {
    CAPTURE(bad.dump());
    try {
      (void)parse_run_options(bad);
      FAIL("accepted");
    } catch (const RunRejected& e) {
      CHECK(e.id() == AgentServerErrorId::invalid_request);
    }
  }
}

TEST_CASE("agent server: the erased graph reads inputs as JSON and names what does not convert") {
  auto graphs = demo(std::make_shared<sg::InMemorySaver>());
  const auto& chain = *graphs.at("chain");
  auto result = chain.run({json{{"count", 10}}, nullptr}, {.thread_id = "t1"}, sg::StreamMode::values, [](sg::ServedEvent&&) {});
  CHECK(result.values == json{{"count", 13}, {"steps", {"a", "b", "c"}}});
  CHECK_THROWS_WITH_AS(chain.run({json{{"cnt", 1}}, nullptr}, {.thread_id = "t2"}, sg::StreamModes{}, [](sg::ServedEvent&&) {}),
                       doctest::Contains("no field \"cnt\""), sg::StateError);
  CHECK_THROWS_AS(chain.run({json{{"count", "x"}}, nullptr}, {.thread_id = "t3"}, sg::StreamModes{}, [](sg::ServedEvent&&) {}),
                  sg::StateError);
  // One message where add_messages takes a list.
  auto out = graphs.at("agent")->run({json{{"messages", {{"role", "user"}, {"content", "hi"}}}}, nullptr},
                                     {.thread_id = "t4"}, sg::StreamModes{}, [](sg::ServedEvent&&) {});
  REQUIRE(out.values["messages"].size() == 2);
  CHECK(out.values["messages"][1]["content"] == "You said: hi");
  const json schema = graphs.at("chain")->state_schema();
  CHECK(schema["properties"]["count"]["type"] == "integer");
  CHECK(schema["properties"]["steps"]["type"] == "array");
  const json g = graphs.at("agent")->graph_json(false);
  std::vector<std::string> ids;
  for (const auto& n : g["nodes"]) ids.push_back(n["id"].get<std::string>());
  CHECK(ids == std::vector<std::string>{"__start__", "model", "tools", "__end__"});
  bool conditional = false;
  for (const auto& e : g["edges"])
    if (e["source"] == "model" && e["target"] == "tools") conditional = e["conditional"].get<bool>();
  CHECK(conditional);
}

TEST_CASE("agent server: a thread's runs queue - reject refuses, enqueue waits, interrupt cancels the one in flight") {
  SqliteStore store("queue");
  RunManager m(demo(store.saver), store.runs, {.workers = 2});
  const ThreadRecord t = m.create_thread("", json{{"user", "ann"}}, "raise");
  CHECK_THROWS_AS(m.create_thread(t.thread_id, {}, "raise"), RunRejected);
  CHECK(m.create_thread(t.thread_id, {}, "do_nothing").metadata == json{{"user", "ann"}});
  const RunRecord slow = m.create_run(t.thread_id, "chain", json{{"input", json::object()}, {"after_seconds", 30}});
  CHECK(m.busy(t.thread_id));
  try {
    (void)m.create_run(t.thread_id, "chain", json{{"input", json::object()}});
    FAIL("a second run was accepted under reject");
  } catch (const RunRejected& e) {
    CHECK(e.id() == AgentServerErrorId::thread_busy);
  }
  const RunRecord next = m.create_run(t.thread_id, "chain",
                                     json{{"input", {{"count", 1}}}, {"multitask_strategy", "interrupt"}, {"stream_resumable", true}});
  CHECK(finished(m, slow.run_id) == "interrupted");
  CHECK(finished(m, next.run_id) == "success");
  const auto values = m.wait(next.run_id, {});
  REQUIRE(values);
  CHECK((*values)["count"] == 4);
  CHECK(m.thread(t.thread_id)->metadata["graph_id"] == "chain");
  CHECK(m.thread_status(*m.thread(t.thread_id)) == "idle");
  // The events a stream joins after the end of a stream_resumable run: metadata first, then the
  // values of every step.
  const auto batch = m.events(next.run_id, 0, std::chrono::milliseconds(0));
  CHECK(batch.done);
  REQUIRE(!batch.events.empty());
  CHECK(batch.events.front().event == "metadata");
  CHECK(batch.events.back().data.get() == json{{"count", 4}, {"steps", {"a", "b", "c"}}});
  // A run nobody streamed, not resumable: its events are gone when it ends (not kept for the
  // linger); a stream joined then ends at once, and the run's result stays.
  const RunRecord quiet = m.create_run(t.thread_id, "chain", json{{"input", {{"count", 1}}}});
  CHECK(finished(m, quiet.run_id) == "success");
  const auto none = m.events(quiet.run_id, 0, std::chrono::milliseconds(0));
  CHECK(none.done);
  CHECK(none.events.empty());
  REQUIRE(m.wait(quiet.run_id, {}));
  CHECK((*m.wait(quiet.run_id, {}))["count"] == 8);
  CHECK(m.list_runs(t.thread_id, 10, 0, "").size() == 3);
  CHECK(m.delete_thread(t.thread_id));
  CHECK_FALSE(m.thread(t.thread_id));
}

TEST_CASE("agent server: a streamed run's events are freed when its last stream lets go, unless resumable") {
  SqliteStore store("holds");
  RunManager m(demo(store.saver), store.runs, {.workers = 1});
  const ThreadRecord t = m.create_thread("", {}, "raise");
  auto read_all = [&](const std::string& run_id) {
    std::vector<RunEvent> all;
    for (std::uint64_t next = 0;;) {
      auto batch = m.events(run_id, next, std::chrono::milliseconds(1000));
      for (auto& e : batch.events) {
        next = e.id + 1;
        all.push_back(std::move(e));
      }
      if (batch.done) return all;
    }
  };
  // Streamed (as /runs/stream creates it): kept while its stream holds it, then freed.
  const RunRecord streamed = m.create_run(t.thread_id, "chain", json{{"input", {{"count", 1}}}}, "", true);
  {
    RunManager::StreamHold hold = m.hold_stream(streamed.run_id);
    REQUIRE(hold);
    const auto events = read_all(streamed.run_id);
    REQUIRE(events.size() >= 2);
    CHECK(events.front().event == "metadata");
    CHECK(finished(m, streamed.run_id) == "success");
    // A second stream joining while the first still holds the run gets them all.
    RunManager::StreamHold second = m.hold_stream(streamed.run_id);
    CHECK(read_all(streamed.run_id).size() == events.size());
  }
  const auto after = m.events(streamed.run_id, 0, std::chrono::milliseconds(0));
  CHECK(after.done);
  CHECK(after.events.empty());
  CHECK((*m.wait(streamed.run_id, {}))["count"] == 4);  // its result stays
  // Created streamed but its stream not begun when it ends: kept for that stream.
  const RunRecord early = m.create_run(t.thread_id, "chain", json{{"input", {{"count", 1}}}}, "", true);
  CHECK(finished(m, early.run_id) == "success");
  {
    RunManager::StreamHold hold = m.hold_stream(early.run_id);
    CHECK(read_all(early.run_id).front().event == "metadata");
  }
  CHECK(m.events(early.run_id, 0, std::chrono::milliseconds(0)).events.empty());
  // stream_resumable: kept after its stream let go, for a join with Last-Event-ID.
  const RunRecord resumable = m.create_run(t.thread_id, "chain",
                                           json{{"input", {{"count", 1}}}, {"stream_resumable", true}}, "", true);
  {
    RunManager::StreamHold hold = m.hold_stream(resumable.run_id);
    (void)read_all(resumable.run_id);
  }
  CHECK_FALSE(m.events(resumable.run_id, 0, std::chrono::milliseconds(0)).events.empty());
  // No hold on a run this process does not have.
  CHECK_FALSE(m.hold_stream("no-such-run"));
}

TEST_CASE("agent server: a run whose state holds bytes that are not UTF-8 ends, its result with U+FFFD") {
  // A node's string cut inside a character (a model's reply split mid-byte-sequence). Encoding
  // the result used to throw at the run's end, which left the run's row running in the store
  // until its lease ran out (and then ran it again).
  SqliteStore store("bad_utf8");
  sg::StateGraph<TextState> g;
  g.add_node("cut", [](const TextState&) { return sg::Update<TextState>{sg::set<&TextState::text>(std::string("caf\xc3"))}; });
  g.add_edge(sg::START, "cut");
  g.add_edge("cut", sg::END);
  std::map<std::string, std::shared_ptr<const sg::ServedGraph>> graphs;
  graphs.emplace("cut", sg::serve_graph(g.compile({.checkpointer = store.saver})));
  RunManager m(graphs, store.runs, {.workers = 1});
  const ThreadRecord t = m.create_thread("", {}, "raise");
  const RunRecord run = m.create_run(t.thread_id, "cut", json{{"input", json::object()}});
  CHECK(finished(m, run.run_id) == "success");
  const auto text = m.wait_text(run.run_id, {});
  REQUIRE(text);
  CHECK(*text == "{\"text\":\"caf\xef\xbf\xbd\"}");
  const auto row = store.runs->run(run.run_id);
  REQUIRE(row);
  CHECK(row->status == "success");
  CHECK(row->result == json{{"text", "caf\xef\xbf\xbd"}});
}

TEST_CASE("agent server: an interrupt leaves the thread interrupted and a resume finishes it") {
  SqliteStore store("interrupt");
  RunManager m(demo(store.saver), store.runs, {.workers = 1});
  const ThreadRecord t = m.create_thread("", {}, "raise");
  const RunRecord first = m.create_run(t.thread_id, "approval", json{{"input", {{"request", "lunch"}}}});
  CHECK(finished(m, first.run_id) == "success");
  const auto paused = m.wait(first.run_id, {});
  REQUIRE(paused);
  REQUIRE((*paused)["__interrupt__"].size() == 1);
  CHECK((*paused)["__interrupt__"][0]["value"]["draft"] == "Draft: lunch");
  CHECK(m.thread_status(*m.thread(t.thread_id)) == "interrupted");
  const RunRecord resume = m.create_run(t.thread_id, "approval", json{{"command", {{"resume", "yes"}}}});
  CHECK(finished(m, resume.run_id) == "success");
  CHECK((*m.wait(resume.run_id, {}))["log"] == json{"draft", "approved", "sent"});
  CHECK(m.thread_status(*m.thread(t.thread_id)) == "idle");
}
