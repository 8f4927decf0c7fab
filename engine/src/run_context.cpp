#include "stategraph/run_context.hpp"

#include <utility>

#include <boost/core/demangle.hpp>

#include "stategraph/errors.hpp"
#include "task_scope.hpp"

namespace sg {

const std::string& RunContext::node() const noexcept {
  return scope_->run->engine->nodes[scope_->task->node].name;
}
std::int64_t RunContext::step() const noexcept { return scope_->step; }
const std::string& RunContext::task_id() const noexcept { return scope_->task->id; }
const std::string& RunContext::thread_id() const noexcept { return scope_->run->config->thread_id; }
const std::string& RunContext::checkpoint_ns() const noexcept { return scope_->run->config->checkpoint_ns; }
int RunContext::attempt() const noexcept { return scope_->attempt; }
bool RunContext::cancelled() const noexcept { return scope_->run->config->cancel.cancelled(); }
const ContextValue& RunContext::context_value() const noexcept { return scope_->run->config->context; }

void RunContext::throw_context_error(const std::type_info& wanted) const {
  const ContextValue& have = context_value();
  const std::string asked = boost::core::demangle(wanted.name());
  if (!have.has_value())
    throw ConfigError(ErrorId::run_context_unavailable, "node \"" + node() + "\" asked for the run's context as " + asked +
                                        ", but the run was given none; pass it with RunConfig::context");
  throw ConfigError(ErrorId::run_context_unavailable, "node \"" + node() + "\" asked for the run's context as " + asked +
                                      ", but the run's context is a " + boost::core::demangle(have.type().name()) +
                                      "; ask for that type or pass a " + asked + " in RunConfig::context");
}

namespace detail {
namespace {
thread_local TaskScope* t_current_scope = nullptr;
}
TaskScope* current_task_scope() noexcept { return t_current_scope; }
TaskScope* set_current_task_scope(TaskScope* scope) noexcept { return std::exchange(t_current_scope, scope); }
}  // namespace detail

bool RunContext::streams(StreamMode mode) const noexcept {
  return scope_->run->wants(mode);
}

void RunContext::write_custom(nlohmann::json payload) const { emit(StreamMode::custom, std::move(payload)); }

void RunContext::emit(StreamMode mode, nlohmann::json data) const {
  if (!streams(mode)) return;
  detail::RawEvent e;
  e.mode = mode;
  e.step = scope_->step;
  e.node = node();
  e.data = std::move(data);
  scope_->run->emit(std::move(e));
}

nlohmann::json RunContext::interrupt(nlohmann::json value) const {
  if (scope_->run->saver == nullptr)
    throw ConfigError(ErrorId::run_interrupt_without_checkpointer, "node \"" + node() + "\" called interrupt() but the graph was compiled without a "
                                    "checkpointer, so the run could never be resumed; compile with "
                                    "CompileOptions::checkpointer (e.g. std::make_shared<sg::InMemorySaver>())");
  auto& task = *scope_->task;
  const std::size_t idx = scope_->interrupt_index++;
  if (idx < task.resume.size()) return task.resume[idx];
  const std::string id = detail::interrupt_id(scope_->run->config->checkpoint_ns, node(), task.id);
  {
    // The call's resume values are held by the top-level run, whichever subgraph asks.
    auto& run = scope_->run->root();
    std::lock_guard lock(run.resume_mutex);
    if (auto it = run.resume_map.find(id); it != run.resume_map.end()) {
      task.resume.push_back(it->second);
      run.resume_map.erase(it);
      return task.resume.back();
    }
    if (run.null_resume) {
      task.resume.push_back(std::move(*run.null_resume));
      run.null_resume.reset();
      return task.resume.back();
    }
  }
  throw detail::GraphInterruptSignal{{Interrupt{id, std::move(value), node(), "during"}}};
}

}  // namespace sg
