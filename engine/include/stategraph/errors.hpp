#pragma once
/// @file
/// The engine's exceptions. Every one derives from sg::Error; their stable ids (sg.compile.1xx,
/// sg.update.2xx, sg.run.3xx, sg.state.5xx) are sg::ErrorId values, tabulated in
/// stategraph/checkpoint/error_id.hpp.
///
/// The tree tells a caller what to do: a CompileError is fixed in the builder calls; an
/// InvalidUpdate in the nodes or the schema; a NodeError carries the failing node's own exception
/// (nested, see std::rethrow_if_nested) and the step can be resumed by invoking again with no
/// input; a ConfigError is fixed in the RunConfig.
///
/// Thread-safety: exception objects are immutable after construction.

#include <cstdint>
#include <string>
#include <vector>

#include "stategraph/checkpoint/error.hpp"

namespace sg {

/// The graph is malformed (sg.compile.1xx). `problems()` lists every problem found, one message
/// each, led by its own id; what() joins them under "N problems in the graph:". id() is the
/// problems' id when they are all of one kind, else sg.compile.100 ("several kinds of problems").
class CompileError : public Error {
 public:
  explicit CompileError(std::vector<std::string> problems);
  [[nodiscard]] const std::vector<std::string>& problems() const noexcept { return problems_; }

 private:
  std::vector<std::string> problems_;
};

/// A step's writes cannot be applied (sg.update.2xx). Nothing of the step is saved.
class InvalidUpdate : public Error {
 public:
  InvalidUpdate(ErrorId id, std::string_view message);
};

/// A run could not go on (sg.run.3xx).
class RunError : public Error {
 public:
  RunError(ErrorId id, std::string_view message, bool retryable = false);
};

/// A node threw after its retries (sg.run.301). The node's exception is nested
/// (std::rethrow_if_nested). The step's successful sibling tasks are saved as pending writes;
/// invoking again with no input re-runs only the failed tasks.
class NodeError : public RunError, public std::nested_exception {
 public:
  NodeError(std::string node, std::int64_t step, std::string_view cause);
  [[nodiscard]] const std::string& node() const noexcept { return node_; }
  [[nodiscard]] std::int64_t step() const noexcept { return step_; }

 private:
  std::string node_;
  std::int64_t step_;
};

/// The recursion limit was reached before the graph ended (sg.run.302).
class GraphRecursionError : public RunError {
 public:
  GraphRecursionError(int limit, std::vector<std::string> last_nodes);
  [[nodiscard]] const std::vector<std::string>& last_nodes() const noexcept { return last_nodes_; }

 private:
  std::vector<std::string> last_nodes_;
};

/// A RunConfig or call is invalid for this graph, or ExecutorOptions are (sg.run.303/304/306/307/308/309/310/311).
class ConfigError : public RunError {
 public:
  ConfigError(ErrorId id, std::string_view message);
};

/// The run was cancelled through its CancellationToken (sg.run.305). Tasks of the step that
/// finished are saved as pending writes; invoking again with no input continues. A chat model
/// call stopped by its ChatOptions::cancelled (the run's token inside a graph) throws it too, so
/// a cancelled call and a cancelled run are one kind of error: catch sg::Cancelled.
class Cancelled : public RunError {
 public:
  /// A run cancelled between or during step `step`.
  explicit Cancelled(std::int64_t step);
  /// Another cancelled operation; `message` says which (e.g. a model call).
  explicit Cancelled(std::string_view message);
};

/// A state value cannot be serialised or a stored one does not convert (sg.state.5xx).
class StateError : public Error {
 public:
  StateError(ErrorId id, std::string_view message);
};

}  // namespace sg
