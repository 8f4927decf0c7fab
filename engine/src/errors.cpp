#include "stategraph/errors.hpp"

#include <new>

#include "stategraph/detail/state_ops.hpp"
#include "stategraph/state_json.hpp"
#include "stategraph/retry_policy.hpp"
#include "stategraph/stream.hpp"

namespace sg {

namespace {
std::string join_lines(const std::vector<std::string>& problems) {
  std::string s = problems.size() == 1 ? std::string("1 problem in the graph:")
                                       : std::to_string(problems.size()) + " problems in the graph:";
  for (const auto& p : problems) s += "\n  " + p;
  return s;
}
std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + v[i];
  return s.empty() ? "(none)" : s;
}
std::string id_of(const std::string& problem) {
  // A problem line starts with error_tag(id), "[<id>] ": "[sg.compile.101] ..." -> "sg.compile.101".
  if (problem.size() > 2 && problem[0] == '[') {
    auto end = problem.find(']');
    if (end != std::string::npos) return problem.substr(1, end - 1);
  }
  return {};
}
/// The problems' common id, or sg.compile.100 when they are of several kinds (or have none).
std::string common_id(const std::vector<std::string>& problems) {
  const std::string several(error_code(ErrorId::compile_several_problems));
  std::string id;
  for (const auto& p : problems) {
    std::string this_id = id_of(p);
    if (this_id.empty() || (!id.empty() && this_id != id)) return several;
    id = std::move(this_id);
  }
  return id.empty() ? several : id;
}
}  // namespace

CompileError::CompileError(std::vector<std::string> problems)
    : Error(common_id(problems), join_lines(problems)), problems_(std::move(problems)) {}

InvalidUpdate::InvalidUpdate(ErrorId id, std::string_view message) : Error(id, message) {}

RunError::RunError(ErrorId id, std::string_view message, bool retryable) : Error(id, message, retryable) {}

NodeError::NodeError(std::string node, std::int64_t step, std::string_view cause)
    : RunError(ErrorId::run_node_failed, "node \"" + node + "\" failed in step " + std::to_string(step) + ": " +
                                 std::string(cause) +
                                 " (finished sibling tasks are saved; invoke again with no input to retry)"),
      node_(std::move(node)),
      step_(step) {}

GraphRecursionError::GraphRecursionError(int limit, std::vector<std::string> last_nodes)
    : RunError(ErrorId::run_recursion_limit, "recursion limit of " + std::to_string(limit) +
                                 " supersteps reached without hitting END; last nodes run: " + joined(last_nodes) +
                                 ". Raise RunConfig::recursion_limit, or check the graph for a cycle without exit"),
      last_nodes_(std::move(last_nodes)) {}

ConfigError::ConfigError(ErrorId id, std::string_view message) : RunError(id, message) {}

Cancelled::Cancelled(std::int64_t step)
    : RunError(ErrorId::run_cancelled, "the run was cancelled in step " + std::to_string(step) +
                                 "; finished tasks are saved, invoke again with no input to continue") {}

Cancelled::Cancelled(std::string_view message) : RunError(ErrorId::run_cancelled, message) {}

StateError::StateError(ErrorId id, std::string_view message) : Error(id, message) {}

bool default_retry_on(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const sg::Error& e) {
    return e.retryable();
  } catch (const std::logic_error&) {
    return false;
  } catch (const std::bad_alloc&) {
    return false;
  } catch (...) {
    return true;
  }
}

const char* to_string(StreamMode mode) noexcept {
  switch (mode) {
    case StreamMode::values: return "values";
    case StreamMode::updates: return "updates";
    case StreamMode::custom: return "custom";
    case StreamMode::messages: return "messages";
    case StreamMode::debug: return "debug";
  }
  return "unknown";
}

namespace detail {
void throw_field_decode_error(std::string_view field, std::string_view what) {
  throw StateError(ErrorId::state_value_does_not_convert, "stored value of field \"" + std::string(field) +
                                       "\" does not convert to the field's C++ type: " + std::string(what));
}
void throw_state_not_object(std::string_view got) {
  throw StateError(ErrorId::state_value_does_not_convert, "a state's JSON must be an object {field name: value}, got " + std::string(got));
}
void throw_field_encode_error(std::string_view field, std::string_view what) {
  throw StateError(ErrorId::state_value_does_not_convert, "value of field \"" + std::string(field) +
                                       "\" does not serialise to JSON: " + std::string(what));
}
}  // namespace detail

}  // namespace sg
