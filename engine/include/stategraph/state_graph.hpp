#pragma once
/// @file
/// sg::StateGraph<S>: the mutable builder of a graph over the typed state S.
///
/// @code{.cpp}
/// sg::StateGraph<State> g;
/// g.add_node("model", [](const State& s, sg::RunContext&) { return sg::Update<State>{...}; });
/// g.add_edge(sg::START, "model");
/// g.add_edge("model", sg::END);
/// auto app = g.compile({.checkpointer = std::make_shared<sg::InMemorySaver>()});
/// @endcode
///
/// Follows LangGraph's StateGraph (langchain-ai/langgraph: libs/langgraph/langgraph/graph/state.py
/// add_node / add_edge / add_conditional_edges / add_sequence / compile). Mistakes are collected
/// and reported together by compile() as one sg::CompileError.
///
/// Thread-safety: a builder is used from one thread; compile() may be called several times and
/// each result is independent.

#include <concepts>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <ranges>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "stategraph/command.hpp"
#include "stategraph/compile_options.hpp"
#include "stategraph/compiled_graph.hpp"
#include "stategraph/constants.hpp"
#include "stategraph/detail/engine.hpp"
#include "stategraph/path_map.hpp"
#include "stategraph/subgraph.hpp"

namespace sg {

/// Options of add_node.
struct NodeOptions {
  /// How the node is retried when it throws; none = the graph's default (CompileOptions), else
  /// no retry.
  std::optional<RetryPolicy> retry{};
  /// Run only when nothing else is left to run (fan-in of branches of unequal length).
  /// LangGraph's `defer=True`.
  bool defer = false;
  /// Nodes this node may send to with Command::goto_ (LangGraph's `destinations`): drawn as
  /// edges and counted by compile()'s reachability check.
  std::vector<std::string> destinations{};
};

namespace detail {

template <class F, class S>
concept StateNode =
    std::is_invocable_v<const F&, const S&, RunContext&> || std::is_invocable_v<const F&, const S&>;

/// The first parameter of a non-generic callable: `raw` as declared, `type` without cv/ref.
/// Empty (no `raw`) for anything else, so that add_node can say what is wrong.
template <class A>
struct first_arg_is {
  using raw = A;
  using type = std::remove_cvref_t<A>;
};
template <class F, class = void>
struct first_arg {};
template <class F>
struct first_arg<F, std::void_t<decltype(&std::decay_t<F>::operator())>>
    : first_arg<decltype(&std::decay_t<F>::operator())> {};
template <class C, class R, class A, class... Rest>
struct first_arg<R (C::*)(A, Rest...) const> : first_arg_is<A> {};
template <class C, class R, class A, class... Rest>
struct first_arg<R (C::*)(A, Rest...)> : first_arg_is<A> {};
template <class C, class R, class A, class... Rest>
struct first_arg<R (C::*)(A, Rest...) const noexcept> : first_arg_is<A> {};
template <class C, class R, class A, class... Rest>
struct first_arg<R (C::*)(A, Rest...) noexcept> : first_arg_is<A> {};
template <class R, class A, class... Rest>
struct first_arg<R (*)(A, Rest...)> : first_arg_is<A> {};
template <class R, class A, class... Rest>
struct first_arg<R (*)(A, Rest...) noexcept> : first_arg_is<A> {};

template <class F>
concept HasFirstArg = requires { typename first_arg<F>::raw; };

/// The first parameter is a non-const lvalue reference (`S&`): the node would modify its input.
template <class F>
constexpr bool takes_mutable_ref() {
  using A = typename first_arg<F>::raw;
  return std::is_lvalue_reference_v<A> && !std::is_const_v<std::remove_reference_t<A>>;
}

template <class T>
inline constexpr bool dependent_false_v = false;

template <class T>
inline constexpr bool is_compiled_graph_v = false;
template <class T>
inline constexpr bool is_compiled_graph_v<CompiledGraph<T>> = true;

template <class I, class F>
decltype(auto) call_node(const F& f, const I& input, RunContext& ctx) {
  if constexpr (std::is_invocable_v<const F&, const I&, RunContext&>) {
    return f(input, ctx);
  } else {
    return f(input);
  }
}

template <class S, class R>
NodeOutput to_node_output(R&& r) {
  using T = std::remove_cvref_t<R>;
  NodeOutput out;
  if constexpr (std::is_same_v<T, Update<S>>) {
    out.writes = std::forward<R>(r).writes();
  } else if constexpr (std::is_same_v<T, FieldWrite<S>>) {
    out.writes.push_back(std::forward<R>(r).write);
  } else if constexpr (std::is_same_v<T, Command<S>>) {
    out.writes = std::move(r.update).writes();
    out.goto_ = std::move(r.goto_);
    out.sends = std::move(r.sends);
    out.to_parent = r.graph == CommandGraph::parent;
  } else {
    static_assert(sizeof(T) == 0,
                  "a node must return void, sg::Update<S>, sg::FieldWrite<S> (sg::set) or sg::Command<S>");
  }
  return out;
}

/// A router's result that is one node name (or path_map key). nullptr is not a name.
template <class R>
concept RouteName = std::is_constructible_v<std::string, R> && !std::is_arithmetic_v<std::remove_cvref_t<R>> &&
                    !std::is_null_pointer_v<std::remove_cvref_t<R>>;

/// A router's result that is several names: a range of things a std::string is made from
/// (std::vector<std::string>, std::array<const char*, N>, ...).
template <class R>
concept RouteNames = std::ranges::input_range<R> && !RouteName<R> &&
                     RouteName<std::ranges::range_reference_t<R>>;

template <class R>
RouteOutput to_route_output(R&& r) {
  using T = std::remove_cvref_t<R>;
  RouteOutput out;
  if constexpr (std::is_same_v<T, bool>) {
    // A boolean router picks the path_map entry keyed true or false (see PathMap).
    out.keys.emplace_back(r ? "true" : "false");
  } else if constexpr (RouteName<R>) {
    out.keys.emplace_back(std::forward<R>(r));
  } else if constexpr (std::is_same_v<T, Send>) {
    out.sends.push_back(std::forward<R>(r));
  } else if constexpr (std::is_same_v<T, std::vector<Send>>) {
    out.sends = std::forward<R>(r);
  } else if constexpr (std::is_same_v<T, RouteOutput>) {
    out = std::forward<R>(r);
  } else if constexpr (RouteNames<R>) {
    for (auto&& name : r) out.keys.emplace_back(std::forward<decltype(name)>(name));
  } else {
    static_assert(dependent_false_v<T>,
                  "a router must return a node name (std::string, const char*, sg::END), several names "
                  "(std::vector<std::string>), bool (with a path map keyed true/false), sg::Send or "
                  "std::vector<sg::Send>; numbers and other types are not routes");
  }
  return out;
}

}  // namespace detail

template <class S>
class StateGraph {
  static_assert(State<S>, "StateGraph<S>: S needs an sg::state_schema<S> specialisation with `fields`, "
                          "a default constructor and a copy constructor");
  static_assert(validate_schema<S>());

 public:
  StateGraph() { spec_.state = detail::make_state_ops<S>(); }

  /// Adds a node. `fn` is called concurrently when several tasks of the node run in one superstep
  /// (Send fan-out), so it must be safe to call from several threads at once. It is called as fn(const S&, RunContext&) or fn(const S&) and returns void,
  /// sg::Update<S>, sg::set<...>(...) or sg::Command<S>. A node whose first parameter is another
  /// type I (with to_json/from_json) runs only through sg::Send with an I argument.
  /// Problems (reserved or duplicate name) are reported by compile().
  ///
  /// Mistakes caught at compile time, each by one static_assert: a first parameter `S&` (take
  /// `const S&`: a node returns its writes), a Send input type without to_json/from_json, a
  /// CompiledGraph of another state type without map_input/map_output, something not callable.
  ///
  /// A CompiledGraph<S> as `fn` is a subgraph (LangGraph: `add_node(name, compiled_graph)`;
  /// semantics reference §3.7): each task runs it as a child run (see CompiledGraph, "Subgraphs")
  /// starting from the parent's state (every field set to the parent's value), and its output
  /// is what the subgraph's nodes wrote — each of their field writes, in the order applied,
  /// applied once more through this graph's reducers — not the subgraph's whole final state
  /// (which LangGraph returns, so that an inherited list under an append reducer comes back
  /// twice; see the README's differences). A subgraph resumed after an interrupt gives the writes
  /// of all its runs for that task (kept in its checkpoints' metadata "writes"). Errors of the
  /// subgraph end this node's task as a node's would (sg::NodeError sg.run.301 naming both).
  template <class F>
  StateGraph& add_node(std::string name, F fn, NodeOptions options = {}) {
    detail::NodeSpec node;
    node.name = std::move(name);
    node.retry = std::move(options.retry);
    node.defer = options.defer;
    node.destinations = std::move(options.destinations);
    if constexpr (detail::is_compiled_graph_v<F>) {
      static_assert(std::is_same_v<F, CompiledGraph<S>>,
                    "add_node: this subgraph's state type is not the graph's; add it with mappings: "
                    "add_node(name, subgraph, sg::map_input([](const S& s) { return sg::Update<C>{...}; }), "
                    "sg::map_output([](const C& c) { return sg::Update<S>{...}; }))");
      if constexpr (std::is_same_v<F, CompiledGraph<S>>) {
        node.input = state_input();
        node.subgraph = fn.engine_;
        node.fn = [child = fn.engine_](const void* input, RunContext&) -> detail::NodeOutput {
          detail::RunInput in;
          in.kind = detail::RunInput::Kind::writes;
          in.writes = detail::state_overwrites(*static_cast<const S*>(input));
          detail::NodeOutput out;
          in.collect = &out.writes;
          detail::run(*child, std::move(in), RunConfig{}, {}, {});
          return out;
        };
      }
    } else if constexpr (detail::StateNode<F, S>) {
      node.input = state_input();
      node.fn = wrap_node<S>(std::move(fn));
    } else if constexpr (!detail::HasFirstArg<F>) {
      static_assert(detail::dependent_false_v<F>,
                    "add_node: a node must be callable as fn(const S&, sg::RunContext&) or fn(const S&) "
                    "(or, for a node reached only by sg::Send, fn(const I&) with a non-generic I)");
      return *this;
    } else if constexpr (detail::takes_mutable_ref<F>()) {
      static_assert(detail::dependent_false_v<F>,
                    "add_node: take the state as `const S&`, not `S&`: a node does not modify the state, it "
                    "returns its writes (sg::Update<S>, sg::set<&S::field>(value) or sg::Command<S>)");
      return *this;
    } else {
      using I = typename detail::first_arg<F>::type;
      static_assert(detail::JsonConvertible<I>,
                    "add_node: the node does not take `const S&`, so it is a Send node whose input type I "
                    "(its first parameter) must convert to and from JSON: declare to_json/from_json for I "
                    "next to it (nlohmann ADL), e.g. NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(I, members...)");
      if constexpr (detail::JsonConvertible<I>) {
        node.input = detail::InputOps{
            typeid(I),
            [](const nlohmann::json& j) -> std::shared_ptr<const void> {
              return std::make_shared<const I>(j.template get<I>());
            },
            [](const void* p) { return nlohmann::json(*static_cast<const I*>(p)); }};
        node.fn = wrap_node<I>(std::move(fn));
      }
    }
    spec_.nodes.push_back(std::move(node));
    return *this;
  }

  /// Adds `subgraph`, whose state type C is not S, as a node: each task calls `in.fn(state)` for
  /// the subgraph's input (sg::Update<C>), runs the subgraph as its child run (see CompiledGraph,
  /// "Subgraphs") and returns `out.fn(final subgraph state)` as the node's output. See
  /// stategraph/subgraph.hpp; both functions are checked here, at compile time.
  template <class C, class FI, class FO>
  StateGraph& add_node(std::string name, CompiledGraph<C> subgraph, MapInput<FI> in, MapOutput<FO> out,
                       NodeOptions options = {}) {
    static_assert(std::is_invocable_v<const FI&, const S&>,
                  "add_node: map_input's function must be callable as f(const S& parent_state)");
    if constexpr (std::is_invocable_v<const FI&, const S&>) {
      static_assert(std::is_same_v<std::remove_cvref_t<std::invoke_result_t<const FI&, const S&>>, Update<C>>,
                    "add_node: map_input's function must return sg::Update<C>, C being the subgraph's state type");
    }
    static_assert(std::is_invocable_v<const FO&, const C&>,
                  "add_node: map_output's function must be callable as f(const C& subgraph_final_state)");
    auto child = subgraph.engine_;
    add_node(std::move(name),
             [graph = std::move(subgraph), fi = std::move(in.fn), fo = std::move(out.fn)](const S& state) {
               auto result = graph.invoke(fi(state));
               return fo(result.values);
             },
             std::move(options));
    spec_.nodes.back().subgraph = std::move(child);
    return *this;
  }

  /// Runs `to` after `from` (sg::START for the entry point; `to` may be sg::END).
  StateGraph& add_edge(std::string from, std::string to) {
    spec_.edges.emplace_back(std::move(from), std::move(to));
    return *this;
  }
  /// Join: runs `to` once after every node in `from` has run since `to` last ran, possibly in
  /// different supersteps (LangGraph's `add_edge([a, b], c)`, channel join:a+b:c).
  StateGraph& add_edge(std::initializer_list<std::string> from, std::string to) {
    return add_edge(std::vector<std::string>(from), std::move(to));
  }
  StateGraph& add_edge(const std::vector<std::string>& from, std::string to) {
    if (from.size() == 1) return add_edge(from.front(), std::move(to));
    spec_.joins.emplace_back(from, std::move(to));
    return *this;
  }

  /// After `source`, calls `router(state, ctx)` (or `router(state)`) on the state with source's own
  /// writes applied and runs what it returns: a node name, several (std::vector<std::string>),
  /// sg::END, an sg::Send or std::vector<sg::Send>. Without a path map the returned names are
  /// node names, checked when the router returns (sg.update.203) and drawn as edges to every node.
  /// A router returning bool needs a path map (below); any other type (a number, ...) does not
  /// compile.
  template <class F>
  StateGraph& add_conditional_edges(std::string source, F router) {
    static_assert(!std::is_same_v<std::remove_cvref_t<route_result_t<F>>, bool>,
                  "add_conditional_edges: a router returning bool needs a path map naming where true and "
                  "false lead: add_conditional_edges(src, router, {{true, \"yes\"}, {false, sg::END}})");
    return add_branch(std::move(source), std::move(router), std::nullopt);
  }
  /// Same, with the router's keys mapped to nodes (and drawn as labelled edges):
  /// `{{"continue", "tools"}, {"end", sg::END}}`, or sg::PathMap(std::vector<std::string>{...})
  /// to list the possible destinations. A boolean router's keys are true and false:
  /// `{{true, "tools"}, {false, sg::END}}` (the same as string keys "true" and "false", as
  /// LangGraph.js spells them); both must be mapped, else compile() reports sg.compile.111.
  template <class F>
  StateGraph& add_conditional_edges(std::string source, F router, PathMap path_map) {
    if constexpr (std::is_same_v<std::remove_cvref_t<route_result_t<F>>, bool>) {
      for (const char* key : {"true", "false"})
        if (path_map.map().count(key) == 0)
          spec_.problems.push_back(error_tag(ErrorId::compile_bool_route_incomplete) + "conditional edges from \"" + source +
                                   "\": the router returns bool but the path map has no entry for " + key +
                                   "; map both: {{true, \"<node>\"}, {false, \"<node>\"}}");
    }
    return add_branch(std::move(source), std::move(router), std::move(path_map).map());
  }

  /// Adds the nodes in order and chains them with edges (LangGraph's add_sequence).
  template <class F>
  StateGraph& add_sequence(std::vector<std::pair<std::string, F>> nodes) {
    if (nodes.empty()) spec_.problems.push_back(error_tag(ErrorId::compile_empty_sequence) + "add_sequence: no nodes given");
    std::string prev;
    for (auto& [name, fn] : nodes) {
      add_node(name, std::move(fn));
      if (!prev.empty()) add_edge(prev, name);
      prev = name;
    }
    return *this;
  }

  /// Validates the topology (reporting every problem at once) and returns the immutable runner.
  /// @throws CompileError (sg.compile.1xx).
  [[nodiscard]] CompiledGraph<S> compile(CompileOptions options = {}) const {
    return CompiledGraph<S>(detail::compile_engine(spec_, std::move(options)));
  }

 private:
  template <class F>
  using route_result_t = decltype(detail::call_node<S>(std::declval<const F&>(), std::declval<const S&>(),
                                                       std::declval<RunContext&>()));

  static detail::InputOps state_input() {
    return detail::InputOps{
        typeid(S),
        [](const nlohmann::json& j) -> std::shared_ptr<const void> {
          return std::make_shared<const S>(detail::decode_state<S>(j));
        },
        [](const void* p) { return detail::encode_state(*static_cast<const S*>(p)); }};
  }

  template <class I, class F>
  static detail::NodeFn wrap_node(F fn) {
    return [f = std::move(fn)](const void* input, RunContext& ctx) -> detail::NodeOutput {
      const I& in = *static_cast<const I*>(input);
      using R = decltype(detail::call_node<I>(f, in, ctx));
      if constexpr (std::is_void_v<R>) {
        detail::call_node<I>(f, in, ctx);
        return {};
      } else {
        return detail::to_node_output<S>(detail::call_node<I>(f, in, ctx));
      }
    };
  }

  template <class F>
  StateGraph& add_branch(std::string source, F router, std::optional<std::map<std::string, std::string>> path_map) {
    detail::BranchSpec b;
    b.source = std::move(source);
    b.path_map = std::move(path_map);
    b.router = [r = std::move(router)](const void* state, RunContext& ctx) {
      return detail::to_route_output(detail::call_node<S>(r, *static_cast<const S*>(state), ctx));
    };
    spec_.branches.push_back(std::move(b));
    return *this;
  }

  detail::GraphSpec spec_;
};

}  // namespace sg
