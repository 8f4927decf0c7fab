// Control: must compile. Uses every construct the failing cases misuse, correctly, so a broken
// harness (missing include path, wrong target, bad flags) fails here instead of making every
// compile_fail case "fail" for the wrong reason.
#include "common.hpp"

namespace cf {

struct Two {
  int a = 0;
  int b = 0;
};

// Field and Send input types with JSON conversions (field_without_json, send_input_without_json).
struct Job {
  int id = 0;
  friend void to_json(nlohmann::json& j, const Job& v) { j = v.id; }
  friend void from_json(const nlohmann::json& j, Job& v) { v.id = j.get<int>(); }
};
struct Mixed {
  double ratio = 0;
  bool flag = false;
  Job job;
};

}  // namespace cf

template <>
struct sg::state_schema<cf::Mixed> {
  static constexpr auto fields = sg::fields(sg::field<&cf::Mixed::ratio>("ratio", sg::add),
                                            sg::field<&cf::Mixed::flag>("flag"), sg::field<&cf::Mixed::job>("job"));
};

template <>
struct sg::state_schema<cf::Two> {
  static constexpr auto fields =
      sg::fields(sg::field<&cf::Two::a>("a"), sg::field<&cf::Two::b>("b"));
};

sg::Update<cf::S> control_writes() {
  return sg::Update<cf::S>{sg::set<&cf::S::count>(1), sg::set<&cf::S::log>(std::string("x"))};
}

void control_graphs() {
  sg::StateGraph<cf::S> g;
  g.add_node("n", [](const cf::S&) { return sg::set<&cf::S::count>(2); });
  g.add_node("m", [](const cf::S&) {});
  sg::StateGraph<cf::Two> two;
  two.add_node("t", [](const cf::Two&) { return sg::Update<cf::Two>{sg::set<&cf::Two::b>(3)}; });
}

// set_narrowing: integers into a double field and a bool into a bool field are fine, and so is an
// explicit conversion into an int field.
sg::Update<cf::Mixed> control_conversions(const cf::S& s) {
  (void)sg::Update<cf::S>{sg::set<&cf::S::count>(static_cast<int>(s.count + 1.5)), sg::set<&cf::S::count>(7L)};
  return sg::Update<cf::Mixed>{sg::set<&cf::Mixed::ratio>(1), sg::set<&cf::Mixed::ratio>(s.count),
                               sg::set<&cf::Mixed::flag>(true), sg::set<&cf::Mixed::job>(cf::Job{3})};
}

// router_returns_int / router_bool_without_path_map: the routes that are accepted.
void control_routers() {
  sg::StateGraph<cf::S> g;
  g.add_node("n", [](const cf::S&) {});
  g.add_conditional_edges("n", [](const cf::S& s) { return s.count > 3; }, {{true, "n"}, {false, sg::END}});
  g.add_conditional_edges("n", [](const cf::S& s) { return s.count > 3; }, {{"true", "n"}, {"false", sg::END}});
  g.add_conditional_edges("n", [](const cf::S& s) { return s.count > 3 ? sg::END : std::string("n"); });
  g.add_conditional_edges("n", [](const cf::S& s) { return s.count > 3 ? sg::END : "n"; });
  g.add_conditional_edges("n", [](const cf::S& s) {
    if (s.count > 3) return sg::END;
    return std::string("n");
  });
  g.add_conditional_edges("n", [](const cf::S&) { return std::vector<std::string>{"n", sg::END}; });
  g.add_conditional_edges("n", [](const cf::S&) { return sg::Send("worker", cf::Job{1}); });
}

// node_takes_mutable_state / send_input_without_json / compiled_graph_as_node: what to write.
void control_nodes() {
  sg::StateGraph<cf::S> child;
  child.add_node("c", [](const cf::S&) {});
  child.add_edge(sg::START, "c");
  auto sub = child.compile();
  sg::StateGraph<cf::S> g;
  g.add_node("state", [](const cf::S& s) { return sg::set<&cf::S::count>(s.count + 1); });
  g.add_node("by_value", [](cf::S s) { return sg::set<&cf::S::count>(s.count + 1); });
  g.add_node("worker", [](const cf::Job& j) { return sg::set<&cf::S::count>(j.id); });
  g.add_node("sub", [sub](const cf::S& s) {
    auto out = sub.invoke({sg::set<&cf::S::count>(s.count)});
    return sg::set<&cf::S::count>(out.values.count);
  });
}
