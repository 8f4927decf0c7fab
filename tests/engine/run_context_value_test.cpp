// Per-run context (RunConfig::context, RunContext::context<T>()): one compiled graph serving runs
// of different users at once, each node and router seeing its own run's value.
#include <doctest/doctest.h>

#include <chrono>
#include <future>
#include <latch>

#include "test_states.hpp"

using test::Counter;

namespace {
struct UserContext {
  std::string user;
  int bonus = 0;
};
}  // namespace

TEST_CASE("two concurrent runs of one compiled graph each read their own context" * doctest::timeout(60)) {
  std::latch both_inside(2);
  sg::StateGraph<Counter> g;
  g.add_node("greet", [&](const Counter&, sg::RunContext& ctx) {
    const auto& user = ctx.context<UserContext>();
    // Both runs are inside this node at once before either goes on.
    both_inside.count_down();
    both_inside.wait();
    return sg::Update<Counter>{sg::set<&Counter::last>("hello " + user.user), sg::set<&Counter::value>(user.bonus)};
  });
  g.add_node("vip", test::step("vip"));
  g.add_edge(sg::START, "greet");
  g.add_conditional_edges("greet", [](const Counter&, sg::RunContext& ctx) {
    return ctx.context<UserContext>().user == "alice" ? std::string("vip") : sg::END;
  });
  auto app = g.compile({.checkpointer = std::make_shared<sg::InMemorySaver>(), .threads = 2});

  auto run = [&](std::string thread, UserContext user) {
    return std::async(std::launch::async, [&app, thread, user] {
      sg::RunConfig cfg{.thread_id = thread, .context = user};
      return app.invoke({}, cfg).values;
    });
  };
  auto alice = run("t-alice", {"alice", 10});
  auto bob = run("t-bob", {"bob", 20});
  REQUIRE(alice.wait_for(std::chrono::seconds(30)) == std::future_status::ready);
  REQUIRE(bob.wait_for(std::chrono::seconds(30)) == std::future_status::ready);
  const Counter a = alice.get();
  const Counter b = bob.get();
  CHECK(a.last == "hello alice");
  CHECK(a.value == 11);
  CHECK(a.log == std::vector<std::string>{"vip"});
  CHECK(b.last == "hello bob");
  CHECK(b.value == 20);
  CHECK(b.log.empty());
  // The context is not part of the state or the checkpoints.
  CHECK(app.get_state({.thread_id = "t-alice"})->metadata.dump().find("alice") == std::string::npos);
}

TEST_CASE("a missing context or one of another type: sg.run.311, not retried") {
  int calls = 0;
  sg::StateGraph<Counter> g;
  g.add_node("n", [&](const Counter&, sg::RunContext& ctx) {
    ++calls;
    return sg::set<&Counter::value>(ctx.context<UserContext>().bonus);
  });
  g.add_edge(sg::START, "n");
  auto app = g.compile({.retry_policy = sg::RetryPolicy{.initial_interval = std::chrono::duration<double>(0.001), .jitter = false}});

  // The misuse ends the run as itself (as the engine treats every ConfigError a node raises),
  // not as a failing node to retry.
  auto cause_of = [&](const sg::RunConfig& cfg) -> std::string {
    try {
      app.invoke({}, cfg);
    } catch (const sg::ConfigError& e) {
      CHECK(e.id() == "sg.run.311");
      return e.what();
    }
    return "no error";
  };
  const std::string none = cause_of({});
  CHECK(none.find("[sg.run.311] node \"n\" asked for the run's context as") == 0);
  CHECK(none.find("UserContext, but the run was given none; pass it with RunConfig::context") != std::string::npos);
  CHECK(calls == 1);

  const std::string other = cause_of({.context = std::string("alice")});
  CHECK(other.find("but the run's context is a std::__cxx11::basic_string") != std::string::npos);
  CHECK(cause_of({.context = "alice"}) == other);  // a string literal is stored as std::string
  CHECK(calls == 3);
}

TEST_CASE("find_context and a shared context object") {
  auto shared = std::make_shared<const UserContext>(UserContext{"carol", 5});
  sg::StateGraph<Counter> g;
  g.add_node("n", [](const Counter&, sg::RunContext& ctx) {
    const auto* user = ctx.find_context<UserContext>();
    if (ctx.find_context<int>() != nullptr) return sg::set<&Counter::value>(-100);  // never an int
    return sg::set<&Counter::value>(user != nullptr ? user->bonus : -1);
  });
  g.add_edge(sg::START, "n");
  auto app = g.compile();
  CHECK(app.invoke({}, {.context = sg::ContextValue::shared(shared)}).values.value == 5);
  CHECK(app.invoke({}).values.value == -1);
  const sg::ContextValue c = UserContext{"dave", 1};
  CHECK(c.has_value());
  CHECK(c.type() == typeid(UserContext));
  CHECK(c.get<UserContext>()->user == "dave");
  CHECK(sg::ContextValue{}.type() == typeid(void));
}
