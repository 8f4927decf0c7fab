#pragma once
/// @file
/// sg::PathMap: where a conditional edge's router keys lead (LangGraph's `path_map`).
///
/// @code{.cpp}
/// g.add_conditional_edges("agent", route, {{"continue", "tools"}, {"end", sg::END}});
/// g.add_conditional_edges("plan", fan_out, sg::PathMap(std::vector<std::string>{"joke"}));
/// g.add_conditional_edges("check", [](const S& s) { return s.ok; }, {{true, "next"}, {false, sg::END}});
/// @endcode
/// A braced list of {key, node} pairs always means key → node: this type exists so that such a
/// list can never be taken for a list of node names (which std::string's iterator-pair
/// constructor would otherwise allow). A boolean router's keys are `true` and `false`, stored as
/// the strings "true" and "false" (LangGraph Python keys such a map by True/False, LangGraph.js
/// by the strings), so `{{"true", "next"}, {"false", sg::END}}` means the same.
///
/// Thread-safety: a value; distinct objects may be used from distinct threads.

#include <concepts>
#include <initializer_list>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace sg {

/// One entry of a boolean router's path map: `{true, "node"}`. Only a bool key is taken (not a
/// pointer or a number that converts to bool), so a list of string pairs never lands here.
struct BoolRoute {
  template <class B>
    requires std::same_as<B, bool>
  BoolRoute(B when, std::string to) : key(when), node(std::move(to)) {}  // NOLINT(implicit)
  bool key;
  std::string node;
};

class PathMap {
 public:
  /// key → node.
  PathMap(std::initializer_list<std::pair<const std::string, std::string>> entries) : map_(entries) {}
  /// A boolean router's map: `{{true, "yes"}, {false, sg::END}}` (keys "true" and "false").
  PathMap(std::initializer_list<BoolRoute> entries) {
    for (const auto& e : entries) map_.insert_or_assign(e.key ? "true" : "false", e.node);
  }
  /// key → node.
  PathMap(std::map<std::string, std::string> map) : map_(std::move(map)) {}  // NOLINT(implicit)
  /// The possible destinations; each node name is its own key.
  explicit PathMap(const std::vector<std::string>& nodes) {
    for (const auto& n : nodes) map_.emplace(n, n);
  }

  [[nodiscard]] const std::map<std::string, std::string>& map() const& noexcept { return map_; }
  [[nodiscard]] std::map<std::string, std::string> map() && noexcept { return std::move(map_); }

 private:
  std::map<std::string, std::string> map_;
};

}  // namespace sg
