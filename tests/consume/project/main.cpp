// Uses the installed package: a typed state with an sg::append field, a two-node graph, an
// InMemorySaver, and two invocations on one thread_id (the second continues the first's state).
// Exits non-zero when a value is not the expected one.
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <stategraph/stategraph.hpp>

namespace consume {

struct Journal {
  std::vector<std::string> log;
  int turns = 0;
};

}  // namespace consume

template <>
struct sg::state_schema<consume::Journal> {
  static constexpr auto fields = sg::fields(sg::field<&consume::Journal::log>("log", sg::append),
                                            sg::field<&consume::Journal::turns>("turns", sg::add));
};

namespace {

using consume::Journal;

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
  return out;
}

int failures = 0;

void expect(bool ok, const std::string& what) {
  if (!ok) {
    std::cerr << "FAIL: " << what << '\n';
    ++failures;
  }
}

}  // namespace

int main() {
  try {
    sg::StateGraph<Journal> graph;
    graph.add_node("greet", [](const Journal&) { return sg::set<&Journal::log>("hello"); });
    graph.add_node("count", [](const Journal& s) {
      return sg::Update<Journal>{sg::set<&Journal::log>("count:" + std::to_string(s.log.size())),
                                 sg::set<&Journal::turns>(1)};
    });
    graph.add_edge(sg::START, "greet");
    graph.add_edge("greet", "count");
    graph.add_edge("count", sg::END);

    auto saver = std::make_shared<sg::InMemorySaver>();
    const auto app = graph.compile({.checkpointer = saver});

    sg::RunConfig config;
    config.thread_id = "consume-1";

    const auto first = app.invoke(sg::Update<Journal>{sg::set<&Journal::log>("a")}, config);
    std::cout << "first:  log=[" << join(first.values.log) << "] turns=" << first.values.turns << '\n';
    expect(first.values.log == std::vector<std::string>{"a", "hello", "count:2"}, "first run log");
    expect(first.values.turns == 1, "first run turns");
    expect(!first.interrupted(), "first run not interrupted");

    const auto second = app.invoke(sg::Update<Journal>{sg::set<&Journal::log>("b")}, config);
    std::cout << "second: log=[" << join(second.values.log) << "] turns=" << second.values.turns << '\n';
    expect(second.values.log ==
               std::vector<std::string>{"a", "hello", "count:2", "b", "hello", "count:5"},
           "second run log (continues the thread's checkpoint)");
    expect(second.values.turns == 2, "second run turns");

    const auto state = app.get_state(config);
    expect(state.has_value(), "get_state finds the thread");
    if (state) {
      expect(state->values.log == second.values.log, "get_state values equal the last result");
      expect(state->next.empty(), "nothing left to run");
    }
  } catch (const std::exception& e) {
    std::cerr << "FAIL: exception: " << e.what() << '\n';
    return 1;
  }
  if (failures != 0) {
    std::cerr << failures << " check(s) failed\n";
    return 1;
  }
  std::cout << "consume: OK\n";
  return 0;
}
