// Execution semantics: supersteps, edges, conditional edges, joins, Send, Command, errors.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "test_states.hpp"

using test::Counter;

TEST_CASE("a linear chain runs each node once, in order") {
  sg::StateGraph<Counter> g;
  g.add_node("a", test::step("a")).add_node("b", test::step("b")).add_node("c", test::step("c"));
  g.add_edge(sg::START, "a").add_edge("a", "b").add_edge("b", "c").add_edge("c", sg::END);
  auto app = g.compile();
  auto out = app.invoke({sg::set<&Counter::value>(10)});
  CHECK(out.values.value == 13);
  CHECK(out.values.log == std::vector<std::string>{"a", "b", "c"});
  CHECK_FALSE(out.interrupted());
}

TEST_CASE("conditional edges: a router picks the next node from the state including the source's own writes") {
  sg::StateGraph<Counter> g;
  g.add_node("decide", test::step("decide", 5));
  g.add_node("big", test::step("big")).add_node("small", test::step("small"));
  g.add_edge(sg::START, "decide");
  // decide's own write (+5) is visible to the router: 0 + 5 > 3 → "big".
  g.add_conditional_edges("decide", [](const Counter& s) { return s.value > 3 ? "large" : "tiny"; },
                          {{"large", "big"}, {"tiny", "small"}});
  g.add_edge("big", sg::END).add_edge("small", sg::END);
  auto app = g.compile();
  CHECK(app.invoke({}).values.log == std::vector<std::string>{"decide", "big"});
  CHECK(app.invoke({sg::set<&Counter::value>(-10)}).values.log == std::vector<std::string>{"decide", "small"});
}

TEST_CASE("a router may return several nodes (fan-out) and END") {
  sg::StateGraph<Counter> g;
  g.add_node("a", test::step("a")).add_node("b", test::step("b")).add_node("c", test::step("c"));
  g.add_conditional_edges(sg::START, [](const Counter& s) -> std::vector<std::string> {
    if (s.value < 0) return {sg::END};
    return {"b", "c"};
  });
  g.add_edge("b", "a").add_edge("c", "a").add_edge("a", sg::END);
  auto app = g.compile();
  auto out = app.invoke({});
  // b and c run in one superstep (applied in name order), a runs once although both trigger it.
  CHECK(out.values.log == std::vector<std::string>{"b", "c", "a"});
  CHECK(app.invoke({sg::set<&Counter::value>(-1)}).values.log.empty());
}

TEST_CASE("a join waits for all its sources, even across supersteps") {
  sg::StateGraph<Counter> g;
  g.add_node("a", test::step("a")).add_node("b1", test::step("b1")).add_node("b2", test::step("b2"));
  g.add_node("c", test::step("c"));
  g.add_edge(sg::START, "a").add_edge(sg::START, "b1").add_edge("b1", "b2");
  g.add_edge({"a", "b2"}, "c");
  g.add_edge("c", sg::END);
  auto out = g.compile().invoke({});
  CHECK(out.values.log == std::vector<std::string>{"a", "b1", "b2", "c"});
  CHECK(out.values.value == 4);
}

TEST_CASE("writes are applied in node-name order whatever order tasks finish in") {
  sg::StateGraph<Counter> g;
  g.add_node("a_slow", [](const Counter&) {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    return sg::Update<Counter>{sg::set<&Counter::log>("a_slow")};
  });
  g.add_node("b_fast", test::step("b_fast"));
  g.add_edge(sg::START, "a_slow").add_edge(sg::START, "b_fast");
  auto out = g.compile({.threads = 2}).invoke({});
  CHECK(out.values.log == std::vector<std::string>{"a_slow", "b_fast"});
}

TEST_CASE("tasks of one superstep run in parallel, max_concurrency bounds them") {
  std::atomic<int> running{0};
  std::atomic<int> peak{0};
  std::atomic<bool> met{false};
  auto rendezvous = [&](const Counter&) {
    int now = ++running;
    int p = peak.load();
    while (now > p && !peak.compare_exchange_weak(p, now)) {
    }
    // Wait (bounded) until another task runs at the same time.
    for (int i = 0; i < 300 && !met; ++i) {
      if (running.load() >= 2) met = true;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    --running;
    return sg::Update<Counter>{sg::set<&Counter::value>(1)};
  };
  sg::StateGraph<Counter> g;
  for (const char* n : {"p1", "p2", "p3", "p4"}) g.add_node(n, rendezvous).add_edge(sg::START, n);
  auto app = g.compile({.threads = 4});
  CHECK(app.invoke({}).values.value == 4);
  CHECK(met.load());
  CHECK(peak.load() >= 2);

  peak = 0;
  met = false;
  sg::RunConfig one;
  one.max_concurrency = 1;
  CHECK(app.invoke({}, one).values.value == 4);
  CHECK(peak.load() == 1);
}

namespace {
struct Topic {
  std::string subject;
  friend void to_json(nlohmann::json& j, const Topic& t) { j = {{"subject", t.subject}}; }
  friend void from_json(const nlohmann::json& j, Topic& t) { t.subject = j.at("subject").get<std::string>(); }
};
}  // namespace

TEST_CASE("Send: map-reduce over a node with its own input type") {
  sg::StateGraph<Counter> g;
  g.add_node("plan", test::step("plan"));
  g.add_node("joke", [](const Topic& t) { return sg::Update<Counter>{sg::set<&Counter::log>("joke about " + t.subject)}; });
  g.add_node("collect", test::step("collect"));
  g.add_edge(sg::START, "plan");
  g.add_conditional_edges("plan", [](const Counter&) {
    return std::vector<sg::Send>{sg::Send("joke", Topic{"cats"}), sg::Send("joke", Topic{"dogs"}),
                                 sg::Send("joke", Topic{"owls"})};
  }, sg::PathMap(std::vector<std::string>{"joke"}));
  g.add_edge("joke", "collect");
  auto out = g.compile().invoke({});
  CHECK(out.values.log ==
        std::vector<std::string>{"plan", "joke about cats", "joke about dogs", "joke about owls", "collect"});
}

TEST_CASE("Send with the state as argument runs the node on that state") {
  sg::StateGraph<Counter> g;
  g.add_node("fan", test::step("fan"));
  g.add_node("worker", [](const Counter& s) { return sg::Update<Counter>{sg::set<&Counter::value>(s.value * 100)}; });
  g.add_edge(sg::START, "fan");
  g.add_conditional_edges("fan", [](const Counter&) {
    Counter a, b;
    a.value = 1;
    b.value = 2;
    return std::vector<sg::Send>{sg::Send("worker", a), sg::Send("worker", b)};
  }, sg::PathMap(std::vector<std::string>{"worker"}));
  auto out = g.compile().invoke({});
  CHECK(out.values.value == 1 + 100 + 200);
}

TEST_CASE("a node may return a Command with goto, its static edges fire too") {
  sg::StateGraph<Counter> g;
  g.add_node("a", [](const Counter&) {
    return sg::Command<Counter>{.update = {sg::set<&Counter::log>("a")}, .goto_ = {"c"}};
  }, {.destinations = {"c"}});
  g.add_node("b", test::step("b")).add_node("c", test::step("c"));
  g.add_edge(sg::START, "a").add_edge("a", "b");
  auto out = g.compile().invoke({});
  CHECK(out.values.log == std::vector<std::string>{"a", "b", "c"});
}

TEST_CASE("add_sequence chains nodes") {
  sg::StateGraph<Counter> g;
  using Fn = std::function<sg::Update<Counter>(const Counter&)>;
  g.add_sequence(std::vector<std::pair<std::string, Fn>>{{"x", test::step("x")}, {"y", test::step("y")}});
  g.add_edge(sg::START, "x");
  CHECK(g.compile().invoke({}).values.log == std::vector<std::string>{"x", "y"});
}

TEST_CASE("two writes to a last-value field in one step: sg.update.201 names field, writers and fix") {
  sg::StateGraph<Counter> g;
  auto writer = [](const Counter&, sg::RunContext& ctx) { return sg::Update<Counter>{sg::set<&Counter::last>(ctx.node())}; };
  g.add_node("left", writer).add_node("right", writer);
  g.add_edge(sg::START, "left").add_edge(sg::START, "right");
  auto app = g.compile();
  try {
    app.invoke({});
    FAIL("expected sg::InvalidUpdate");
  } catch (const sg::InvalidUpdate& e) {
    CHECK(e.id() == "sg.update.201");
    const std::string msg = e.what();
    CHECK(msg.find("\"last\"") != std::string::npos);
    CHECK(msg.find("left, right") != std::string::npos);
    CHECK(msg.find("reducer") != std::string::npos);
  }
}

TEST_CASE("Overwrite bypasses the reducer, two Overwrites in a step are rejected") {
  sg::StateGraph<Counter> g;
  g.add_node("reset", [](const Counter&) {
    return sg::Update<Counter>{sg::set<&Counter::log>(sg::Overwrite{std::vector<std::string>{"fresh"}})};
  });
  g.add_edge(sg::START, "reset");
  auto out = g.compile().invoke({sg::set<&Counter::log>("old")});
  CHECK(out.values.log == std::vector<std::string>{"fresh"});

  sg::StateGraph<Counter> g2;
  auto over = [](const Counter&) { return sg::Update<Counter>{sg::set<&Counter::value>(sg::Overwrite{7})}; };
  g2.add_node("o1", over).add_node("o2", over);
  g2.add_edge(sg::START, "o1").add_edge(sg::START, "o2");
  auto app2 = g2.compile();
  CHECK_THROWS_WITH_AS(app2.invoke({}), doctest::Contains("sg.update.202"), sg::InvalidUpdate);
}

TEST_CASE("a router returning an unknown name: sg.update.203") {
  sg::StateGraph<Counter> g;
  g.add_node("a", test::step("a")).add_node("b", test::step("b"));
  g.add_edge(sg::START, "a");
  g.add_conditional_edges("a", [](const Counter&) { return std::string("nowhere"); });
  g.add_edge("b", sg::END);
  auto app = g.compile();
  CHECK_THROWS_WITH_AS(app.invoke({}), doctest::Contains("sg.update.203"), sg::InvalidUpdate);
  CHECK_THROWS_WITH_AS(app.invoke({}), doctest::Contains("\"nowhere\""), sg::InvalidUpdate);
}

TEST_CASE("Send to END, to an unknown node, or with the wrong argument type: sg.update.204") {
  for (int variant = 0; variant < 3; ++variant) {
    sg::StateGraph<Counter> g;
    g.add_node("a", test::step("a"));
    g.add_node("t", [](const Topic&) { return sg::Update<Counter>{}; });
    g.add_edge(sg::START, "a");
    g.add_conditional_edges("a", [variant](const Counter&) {
      if (variant == 0) return std::vector<sg::Send>{sg::Send(sg::END, Topic{"x"})};
      if (variant == 1) return std::vector<sg::Send>{sg::Send("ghost", Topic{"x"})};
      return std::vector<sg::Send>{sg::Send("t", 42)};
    }, sg::PathMap(std::vector<std::string>{"t"}));
    auto app = g.compile();
    CHECK_THROWS_WITH_AS(app.invoke({}), doctest::Contains("sg.update.204"), sg::InvalidUpdate);
  }
}

TEST_CASE("a node that throws: sg.run.301 names the node and step and nests the cause") {
  sg::StateGraph<Counter> g;
  g.add_node("ok", test::step("ok"));
  g.add_node("boom", [](const Counter&) -> sg::Update<Counter> { throw std::runtime_error("disk on fire"); });
  g.add_edge(sg::START, "ok").add_edge("ok", "boom");
  auto app = g.compile();
  try {
    app.invoke({});
    FAIL("expected sg::NodeError");
  } catch (const sg::NodeError& e) {
    CHECK(e.id() == "sg.run.301");
    CHECK(e.node() == "boom");
    CHECK(e.step() == 2);
    CHECK(std::string(e.what()).find("disk on fire") != std::string::npos);
    CHECK_THROWS_WITH_AS(e.rethrow_nested(), "disk on fire", std::runtime_error);
  }
}

namespace {
struct Bounded {
  int level = 0;
};
}  // namespace

template <>
struct sg::state_schema<Bounded> {
  static constexpr auto fields = sg::fields(sg::field<&Bounded::level>("level", [](int cur, int delta) {
    if (cur + delta > 10) throw std::out_of_range("level would exceed 10");
    return cur + delta;
  }));
};

TEST_CASE("a user callable reducer folds writes, when it throws: sg.update.205 names the field") {
  sg::StateGraph<Bounded> g;
  g.add_node("up", [](const Bounded&) { return sg::Update<Bounded>{sg::set<&Bounded::level>(4)}; });
  g.add_edge(sg::START, "up");
  auto app = g.compile();
  CHECK(app.invoke({sg::set<&Bounded::level>(3)}).values.level == 7);
  try {
    app.invoke({sg::set<&Bounded::level>(8)});
    FAIL("expected sg::InvalidUpdate");
  } catch (const sg::InvalidUpdate& e) {
    CHECK(e.id() == "sg.update.205");
    CHECK(std::string(e.what()).find("field \"level\"") != std::string::npos);
    CHECK(std::string(e.what()).find("exceed 10") != std::string::npos);
  }
}

TEST_CASE("recursion limit: a run needing more supersteps raises sg.run.302 naming the last nodes") {
  sg::StateGraph<Counter> g;
  g.add_node("a", test::step("a")).add_node("b", test::step("b"));
  g.add_edge(sg::START, "a").add_edge("a", "b");
  auto app = g.compile();
  // Supersteps: __start__ (0), a (1), b (2): three.
  sg::RunConfig three;
  three.recursion_limit = 3;
  CHECK(app.invoke({}, three).values.log.size() == 2);
  sg::RunConfig two;
  two.recursion_limit = 2;
  try {
    app.invoke({}, two);
    FAIL("expected GraphRecursionError");
  } catch (const sg::GraphRecursionError& e) {
    CHECK(e.id() == "sg.run.302");
    CHECK(e.last_nodes() == std::vector<std::string>{"b"});
  }

  sg::StateGraph<Counter> loop;
  loop.add_node("spin", test::step("spin"));
  loop.add_edge(sg::START, "spin");
  loop.add_conditional_edges("spin", [](const Counter& s) { return s.value < 1000000 ? "spin" : sg::END; });
  sg::RunConfig ten;
  ten.recursion_limit = 10;
  CHECK_THROWS_WITH_AS(loop.compile().invoke({}, ten), doctest::Contains("last nodes run: spin"),
                       sg::GraphRecursionError);
}

TEST_CASE("retry policy: transient failures are retried, logic errors are not") {
  std::atomic<int> calls{0};
  sg::RetryPolicy fast;
  fast.initial_interval = std::chrono::milliseconds(1);
  fast.jitter = false;
  fast.max_attempts = 3;

  sg::StateGraph<Counter> g;
  g.add_node("flaky", [&](const Counter&, sg::RunContext& ctx) {
    ++calls;
    if (ctx.attempt() < 3) throw std::runtime_error("try again");
    return sg::Update<Counter>{sg::set<&Counter::value>(ctx.attempt())};
  }, {.retry = fast});
  g.add_edge(sg::START, "flaky");
  CHECK(g.compile().invoke({}).values.value == 3);
  CHECK(calls == 3);

  calls = 0;
  sg::StateGraph<Counter> g2;
  g2.add_node("always", [&](const Counter&) -> sg::Update<Counter> {
    ++calls;
    throw std::runtime_error("down");
  }, {.retry = fast});
  g2.add_edge(sg::START, "always");
  CHECK_THROWS_AS(g2.compile().invoke({}), sg::NodeError);
  CHECK(calls == 3);

  calls = 0;
  sg::StateGraph<Counter> g3;
  g3.add_node("bug", [&](const Counter&) -> sg::Update<Counter> {
    ++calls;
    throw std::invalid_argument("bad");
  }, {.retry = fast});
  g3.add_edge(sg::START, "bug");
  CHECK_THROWS_AS(g3.compile().invoke({}), sg::NodeError);
  CHECK(calls == 1);
}

TEST_CASE("cancellation stops a running invoke with sg.run.305") {
  sg::StateGraph<Counter> g;
  g.add_node("wait", [](const Counter&, sg::RunContext& ctx) {
    for (int i = 0; i < 5000 && !ctx.cancelled(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return sg::Update<Counter>{sg::set<&Counter::log>("wait")};
  });
  g.add_node("after", test::step("after"));
  g.add_edge(sg::START, "wait").add_edge("wait", "after");
  auto app = g.compile();
  sg::RunConfig cfg;
  std::thread canceller([token = cfg.cancel] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    token.cancel();
  });
  auto start = std::chrono::steady_clock::now();
  CHECK_THROWS_WITH_AS(app.invoke({}, cfg), doctest::Contains("sg.run.305"), sg::Cancelled);
  canceller.join();
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(4));
}

TEST_CASE("defer: a deferred node runs only when the other branches are done") {
  sg::StateGraph<Counter> g;
  g.add_node("a", test::step("a")).add_node("b1", test::step("b1")).add_node("b2", test::step("b2"));
  g.add_node("sum", test::step("sum"), {.defer = true});
  g.add_edge(sg::START, "a").add_edge(sg::START, "b1").add_edge("b1", "b2");
  g.add_edge("a", "sum").add_edge("b2", "sum");
  auto out = g.compile().invoke({});
  INFO(nlohmann::json(out.values.log).dump());
  CHECK(out.values.log == std::vector<std::string>{"a", "b1", "b2", "sum"});
}

TEST_CASE("one compiled graph serves many threads at once") {
  sg::StateGraph<Counter> g;
  g.add_node("a", test::step("a")).add_node("b", test::step("b"));
  g.add_edge(sg::START, "a").add_edge(sg::START, "b");
  auto saver = std::make_shared<sg::InMemorySaver>();
  auto app = g.compile({.checkpointer = saver});
  std::vector<std::thread> threads;
  std::atomic<int> good{0};
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        auto out = app.invoke({sg::set<&Counter::value>(1)}, test::thread("t" + std::to_string(t)));
        if (out.values.value == 3 * (i + 1)) ++good;
      }
    });
  for (auto& th : threads) th.join();
  CHECK(good == 8 * 20);
}
