#pragma once
/// @file
/// sg::PathMap: where a conditional edge's router keys lead (LangGraph's `path_map`).
///
/// @code{.cpp}
/// g.add_conditional_edges("agent", route, {{"continue", "tools"}, {"end", sg::END}});
/// g.add_conditional_edges("plan", fan_out, sg::PathMap(std::vector<std::string>{"joke"}));
/// @endcode
/// A braced list of {key, node} pairs always means key → node: this type exists so that such a
/// list can never be taken for a list of node names (which std::string's iterator-pair
/// constructor would otherwise allow).
///
/// Thread-safety: a value; distinct objects may be used from distinct threads.

#include <initializer_list>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace sg {

class PathMap {
 public:
  /// key → node.
  PathMap(std::initializer_list<std::pair<const std::string, std::string>> entries) : map_(entries) {}
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
