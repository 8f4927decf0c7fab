// linear: START → n0 → n1 → … → n{N-1} → END; every node adds 1 to one int field (sg::add).
// Measures the engine's fixed cost per node-step: planning, running one task, applying its write
// and (with a saver) checkpointing, with as little user work as possible.
#include <iostream>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "bench.hpp"
#include "report.hpp"

namespace sg_bench {

namespace {
struct LinearState {
  int value = 0;
};
}  // namespace

}  // namespace sg_bench

template <>
struct sg::state_schema<sg_bench::LinearState> {
  static constexpr auto fields = sg::fields(sg::field<&sg_bench::LinearState::value>("value", sg::add));
};

namespace sg_bench {

void run_linear(int n, const Options& options, const std::string& bench) {
  using S = LinearState;
  sg::StateGraph<S> graph;
  std::string prev = sg::START;
  for (int i = 0; i < n; ++i) {
    std::string name = "n" + std::to_string(i);
    graph.add_node(name, [](const S&) { return sg::Update<S>{sg::set<&S::value>(1)}; });
    graph.add_edge(prev, name);
    prev = std::move(name);
  }
  graph.add_edge(prev, sg::END);
  sg::CompileOptions compile_options;
  compile_options.checkpointer = make_saver(options);
  compile_options.threads = options.threads;
  const auto app = graph.compile(std::move(compile_options));

  InvokeCounts counts;
  const auto us = time_invocations(
      options,
      [&] {
        const auto out = app.invoke({sg::set<&S::value>(0)}, fresh_config(options));
        if (out.values.value != n) throw std::runtime_error("linear: wrong result " + std::to_string(out.values.value));
      },
      &counts);
  nlohmann::json line{{"bench", bench},
                      {"n", n},
                      {"saver", options.saver},
                      {"repeat", options.repeat},
                      {"threads", options.threads},
                      {"durability", options.durability},
                      {"us_per_node_step", median(us) / n},
                      {"us_per_invoke", median(us)},
                      {"ms_per_invoke", median(us) / 1000.0}};
  std::vector<std::string> figures{"us_per_node_step", "us_per_invoke", "ms_per_invoke"};
  add_counts(line, figures, options, counts, n);
  report(std::move(line), figures);
}

}  // namespace sg_bench
