// blocking: START → plan → N sg::Send tasks to `wait`, each blocking (sleeping) for a fixed time as
// a model or HTTP call does → END. Measures how blocking tasks are scheduled: with the shared
// executor they all run at once (about one sleep per invoke); with CompileOptions::threads = T
// they run T at a time (about N / T sleeps).
#include <chrono>
#include <iostream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench.hpp"

namespace sg_bench {

namespace {
struct BlockingState {
  int done = 0;
};
}  // namespace

}  // namespace sg_bench

template <>
struct sg::state_schema<sg_bench::BlockingState> {
  using S = sg_bench::BlockingState;
  static constexpr auto fields = sg::fields(sg::field<&S::done>("done", sg::add));
};

namespace sg_bench {

void run_blocking(const std::vector<int>& task_counts, int sleep_ms, const Options& options) {
  using S = BlockingState;
  for (const int n : task_counts) {
    sg::StateGraph<S> graph;
    graph.add_node("plan", [](const S&) { return sg::Update<S>{}; });
    graph.add_node("wait", [sleep_ms](const S&) {
      std::this_thread::sleep_for(std::chrono::milliseconds(sleep_ms));
      return sg::Update<S>{sg::set<&S::done>(1)};
    });
    graph.add_edge(sg::START, "plan");
    graph.add_conditional_edges(
        "plan", [n](const S&) { return std::vector<sg::Send>(static_cast<std::size_t>(n), sg::Send("wait", S{})); },
        sg::PathMap(std::vector<std::string>{"wait"}));
    graph.add_edge("wait", sg::END);
    sg::CompileOptions compile_options;
    compile_options.checkpointer = make_saver(options);
    compile_options.threads = options.threads;
    const auto app = graph.compile(std::move(compile_options));

    const auto us = time_invocations(options, [&] {
      const auto out = app.invoke(sg::Update<S>{}, fresh_config(options));
      if (out.values.done != n)
        throw std::runtime_error("blocking: " + std::to_string(out.values.done) + " tasks done of " + std::to_string(n));
    });
    const auto stats = sg::default_executor()->stats();
    std::cout << nlohmann::json{{"bench", "blocking"},
                                {"tasks", n},
                                {"sleep_ms", sleep_ms},
                                {"saver", options.saver},
                                {"repeat", options.repeat},
                                {"threads", options.threads},
                                {"durability", options.durability},
                                {"ms_per_invoke", median(us) / 1000.0},
                                {"executor_threads", stats.threads},
                                {"executor_started", stats.started}}
                     .dump()
              << std::endl;
  }
}

}  // namespace sg_bench
