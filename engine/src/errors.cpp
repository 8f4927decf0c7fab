#include "stategraph/errors.hpp"

#include <new>

#include "stategraph/detail/state_ops.hpp"
#include "stategraph/retry_policy.hpp"
#include "stategraph/stream.hpp"

namespace sg {

namespace {
std::string join_lines(const std::vector<std::string>& problems) {
  std::string s = std::to_string(problems.size()) + " problem(s) in the graph:";
  for (const auto& p : problems) s += "\n  " + p;
  return s;
}
std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + v[i];
  return s.empty() ? "(none)" : s;
}
std::string first_id(const std::vector<std::string>& problems) {
  // A problem line starts with error_tag(id), "[<id>] ": the id of the first one.
  if (!problems.empty() && problems.front().size() > 2 && problems.front()[0] == '[') {
    auto end = problems.front().find(']');
    if (end != std::string::npos) return problems.front().substr(1, end - 1);
  }
  return std::string(error_code(ErrorId::compile_several_problems));
}
}  // namespace

CompileError::CompileError(std::vector<std::string> problems)
    : Error(first_id(problems), join_lines(problems)), problems_(std::move(problems)) {}

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
void throw_field_encode_error(std::string_view field, std::string_view what) {
  throw StateError(ErrorId::state_value_does_not_convert, "value of field \"" + std::string(field) +
                                       "\" does not serialise to JSON: " + std::string(what));
}
}  // namespace detail

}  // namespace sg
