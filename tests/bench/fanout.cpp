// fanout: START → K parallel nodes w0…w{K-1} (each appends its index to a vector, sg::append) →
// "join", which waits for all K (add_edge(names, "join")) → END. Measures one K-wide superstep:
// K tasks on the executor, K writes merged in order, the join barrier, and the checkpoints.
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench.hpp"
#include "report.hpp"

namespace sg_bench {

namespace {
struct FanoutState {
  std::vector<int> items;
  int joined = 0;
};
}  // namespace

}  // namespace sg_bench

template <>
struct sg::state_schema<sg_bench::FanoutState> {
  using S = sg_bench::FanoutState;
  static constexpr auto fields =
      sg::fields(sg::field<&S::items>("items", sg::append), sg::field<&S::joined>("joined"));
};

namespace sg_bench {

void run_fanout(int k, const Options& options, const std::string& bench) {
  using S = FanoutState;
  sg::StateGraph<S> graph;
  std::vector<std::string> workers;
  for (int i = 0; i < k; ++i) {
    workers.push_back("w" + std::to_string(i));
    graph.add_node(workers.back(), [i](const S&) { return sg::Update<S>{sg::set<&S::items>(i)}; });
    graph.add_edge(sg::START, workers.back());
  }
  graph.add_node("join", [](const S& s) {
    return sg::Update<S>{sg::set<&S::joined>(static_cast<int>(s.items.size()))};
  });
  graph.add_edge(workers, "join");
  graph.add_edge("join", sg::END);
  sg::CompileOptions compile_options;
  compile_options.checkpointer = make_saver(options);
  compile_options.threads = options.threads;
  const auto app = graph.compile(std::move(compile_options));

  InvokeCounts counts;
  const auto us = time_invocations(
      options,
      [&] {
        const auto out = app.invoke(sg::Update<S>{}, fresh_config(options));
        if (out.values.joined != k) throw std::runtime_error("fanout: join saw " + std::to_string(out.values.joined));
      },
      &counts);
  nlohmann::json line{{"bench", bench},
                      {"k", k},
                      {"saver", options.saver},
                      {"repeat", options.repeat},
                      {"threads", options.threads},
                      {"durability", options.durability},
                      {"ms_per_invoke", median(us) / 1000.0}};
  std::vector<std::string> figures{"ms_per_invoke"};
  add_counts(line, figures, options, counts, k + 1);  // K workers and the join
  report(std::move(line), figures);
}

}  // namespace sg_bench
