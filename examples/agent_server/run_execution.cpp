// RunManager::execute and finish (run_manager.hpp): one run on its ServedGraph, its events as the
// Agent Server's SSE events (LangGraph: langgraph-api stream.mjs streamState, queue.mjs worker).
#include <stategraph/checkpoint/format.hpp>
#include <stategraph/checkpoint/saver.hpp>
#include <stategraph/constants.hpp>
#include <stategraph/errors.hpp>

#include <functional>
#include <optional>

#include "agent_server/events_mode.hpp"
#include "agent_server/json_text.hpp"
#include "agent_server/messages_mode.hpp"
#include "agent_server/run_manager.hpp"
#include "agent_server/run_state.hpp"

namespace sg::server {
namespace {

/// The API's event for an engine event: the mode's name ("messages" for message chunks, sent as
/// [chunk, metadata]), "|<ns>" after it for a subgraph's events; updates as {node: writes}.
/// A message chunk's metadata as messages-tuple (and the legacy messages mode) send it.
nlohmann::json message_metadata(const ServedEvent& e) {
  nlohmann::json metadata = e.data.get().value("metadata", nlohmann::json::object());
  // The keys LangGraph's callbacks put in a message chunk's metadata (clients filter by node).
  metadata["langgraph_node"] = metadata.value("node", e.node);
  metadata["langgraph_step"] = metadata.value("step", e.step);
  metadata["langgraph_checkpoint_ns"] = metadata.value("checkpoint_ns", e.ns);
  return metadata;
}

std::pair<std::string, LazyJson> api_event(ServedEvent&& e) {
  std::string name;
  LazyJson data;
  switch (e.mode) {
    case StreamMode::values:
      name = "values";
      data = std::move(e.data);  // still unencoded
      break;
    case StreamMode::updates:
      name = "updates";
      if (e.node == format::kInterruptWrite) {
        nlohmann::json list = nlohmann::json::array();
        // A static interrupt (before/after a node) is streamed as an empty list, as LangGraph does.
        for (const auto& i : e.data.get())
          if (i.value("when", "during") == "during")
            list.push_back({{"value", i.value("value", nlohmann::json())}, {"id", i.value("id", "")}});
        data = LazyJson(nlohmann::json{{std::string(format::kInterruptWrite), std::move(list)}});
      } else {
        data = LazyJson(nlohmann::json{{e.node, std::move(e.data).take()}});
      }
      break;
    case StreamMode::messages:
      name = "messages";
      data = LazyJson(nlohmann::json::array({e.data.get().value("chunk", nlohmann::json()), message_metadata(e)}));
      break;
    case StreamMode::custom:
      name = "custom";
      data = std::move(e.data);
      break;
    case StreamMode::debug:
      name = "debug";
      data = std::move(e.data);
      break;
  }
  if (!e.ns.empty()) name += "|" + e.ns;
  return {std::move(name), std::move(data)};
}

/// The interrupts a run paused at; static ones (before/after a node) are not listed.
nlohmann::json interrupts_json(const std::vector<Interrupt>& interrupts) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& i : interrupts)
    if (i.when == "during" || i.when.empty()) list.push_back(interrupt_json(i));
  return list;
}

/// Claims of a run after which a store failure under it ends it with an error.
constexpr int kStoreAttempts = 5;

/// A failure of the store rather than of the run: unreachable, or the thread's lock lost with it.
bool store_failure(const std::exception& e) {
  const auto* error = dynamic_cast<const sg::Error*>(&e);
  if (error == nullptr || !error->error_id()) return false;
  const int n = static_cast<int>(*error->error_id());
  return n == static_cast<int>(ErrorId::saver_unavailable) || n == static_cast<int>(ErrorId::saver_lock_lost);
}

nlohmann::json error_json(const std::exception& e) {
  std::string name = agent_server_error_code(AgentServerErrorId::run_failed);
  std::string message = e.what();
  if (const auto* sg_error = dynamic_cast<const sg::Error*>(&e)) name = sg_error->id();
  return {{"error", name}, {"message", message}};
}

/// Gives the engine's debug checkpoint events LangGraph's payload fields `next` (the nodes the
/// next step runs: the names of the task events that follow it; ["__start__"] for an input
/// checkpoint), `tasks`, `checkpoint` and `parent_checkpoint`. A checkpoint event is held, with
/// the task events after it, until the first other event or the end of the run.
class DebugCheckpoints {
 public:
  using Publish = std::function<void(std::string, LazyJson)>;
  explicit DebugCheckpoints(Publish publish) : publish_(std::move(publish)) {}

  void add(std::string name, LazyJson data) {
    const bool debug = name == "debug";
    const std::string type = debug ? data.get().value("type", "") : "";
    if (held_ && debug && type == "task") {
      tasks_.push_back(std::move(data).take());
      return;
    }
    flush({});
    if (debug && type == "checkpoint") {
      held_ = std::move(data).take();
      return;
    }
    publish_(std::move(name), std::move(data));
  }

  /// At the end of the run: `next` for a checkpoint no task followed (the run paused or ended).
  void flush(const std::vector<std::string>& next_at_end) {
    if (!held_) return;
    nlohmann::json& payload = (*held_)["payload"];
    nlohmann::json next = nlohmann::json::array();
    nlohmann::json tasks = nlohmann::json::array();
    for (const auto& t : tasks_) {
      next.push_back(t["payload"].value("name", ""));
      tasks.push_back({{"id", t["payload"].value("id", "")}, {"name", t["payload"].value("name", "")},
                       {"interrupts", nlohmann::json::array()}});
    }
    if (tasks_.empty()) {
      const std::string source = payload["metadata"].value(std::string(format::kSourceKey), "");
      if (source == format::to_string(format::CheckpointSource::input)) next.push_back(std::string(START));
      else for (const auto& n : next_at_end) next.push_back(n);
    }
    payload["next"] = std::move(next);
    payload["tasks"] = std::move(tasks);
    payload["checkpoint"] = checkpoint_of(payload.value("config", nlohmann::json()));
    payload["parent_checkpoint"] = checkpoint_of(payload.value("parent_config", nlohmann::json()));
    publish_("debug", LazyJson(std::move(*held_)));
    held_.reset();
    for (auto& t : tasks_) publish_("debug", LazyJson(std::move(t)));
    tasks_.clear();
  }

 private:
  static nlohmann::json checkpoint_of(const nlohmann::json& config) {
    if (!config.is_object()) return nullptr;
    return {{"thread_id", config.value("thread_id", "")}, {"checkpoint_ns", config.value("checkpoint_ns", "")},
            {"checkpoint_id", config.value("checkpoint_id", nlohmann::json())}, {"checkpoint_map", nullptr}};
  }

  Publish publish_;
  std::optional<nlohmann::json> held_;
  std::vector<nlohmann::json> tasks_;
};

}  // namespace

void RunManager::execute(const std::shared_ptr<Run>& run) {
  const std::string& run_id = run->row.run_id;
  const std::string& thread_id = run->row.thread_id;
  try {
    run->options = parse_run_options(run->row.doc.value("request", nlohmann::json::object()));
  } catch (const std::exception& e) {
    const nlohmann::json error = error_json(e);
    publish(*run, "error", error);
    run->final_values = {{std::string(format::kErrorWrite), error}};
    return finish(run, "error", {{"failed", true}, {"error", error}});
  }
  if (run->cancel.cancelled()) return finish(run, "interrupted", nlohmann::json::object());

  RunOptions o = run->options;
  ServedInput input{o.input, o.command};
  const auto& saver = run->graph->checkpointer();
  if (run->row.attempt > 1) {
    // Taken over: when the run already saved a checkpoint, it continues from the thread's last
    // one (the steps it finished are not run again); else it starts as it would have.
    try {
      auto state = run->graph->state({.thread_id = thread_id, .checkpoint_ns = o.checkpoint_ns}, false);
      if (state && (*state)["metadata"].value("run_id", "") == run_id) {
        input = {};
        o.checkpoint_id.reset();
      }
    } catch (const std::exception& e) {
      log("run " + run_id + ": reading its thread failed, giving it back: " + e.what());
      {
        std::lock_guard lock(mutex_);
        run->cancel_action = "release";
      }
      return finish(run, "pending", nlohmann::json::object());
    }
  }
  publish(*run, "metadata", {{"run_id", run_id}, {"attempt", run->row.attempt}});
  RunConfig config = run_config(o, thread_id, run->cancel);
  config.metadata["run_id"] = run_id;
  config.metadata["assistant_id"] = run->record.assistant_id;
  config.metadata["graph_id"] = run->record.graph_id;
  const bool wants_values =
      std::find(o.stream_mode.begin(), o.stream_mode.end(), "values") != o.stream_mode.end();
  // stream_mode "events" is built from the engine's debug and messages events (events_mode.hpp),
  // which are streamed as themselves only when asked for too.
  const sg::StreamModes asked = stream_modes(o);
  std::optional<EventsMode> events;
  if (std::find(o.stream_mode.begin(), o.stream_mode.end(), "events") != o.stream_mode.end()) {
    events.emplace(run_id, nlohmann::json{{"graph_id", run->record.graph_id},
                                          {"assistant_id", run->record.assistant_id},
                                          {"run_id", run_id},
                                          {"thread_id", thread_id}});
    publish(*run, "events", events->start(o.command.is_null() ? o.input : o.command));
  }
  // The legacy mode "messages" (messages_mode.hpp) is built from values and message chunks.
  std::optional<MessagesMode> legacy_messages;
  if (std::find(o.stream_mode.begin(), o.stream_mode.end(), "messages") != o.stream_mode.end()) legacy_messages.emplace();
  sg::StreamModes engine_modes = asked;
  if (events) engine_modes = engine_modes | sg::StreamMode::debug | sg::StreamMode::messages;
  if (legacy_messages) engine_modes = engine_modes | sg::StreamMode::values | sg::StreamMode::messages;
  std::string status = "success";
  nlohmann::json thread_patch = nlohmann::json::object();
  DebugCheckpoints debug([&](std::string name, LazyJson data) { publish(*run, std::move(name), std::move(data)); });
  try {
    ServedResult result = run->graph->run(input, config, engine_modes, [&](ServedEvent&& e) {
      if (events) {
        const std::string name = e.ns.empty() ? std::string("events") : "events|" + e.ns;
        for (auto& r : events->records(e)) publish(*run, name, std::move(r));
      }
      if (legacy_messages) {
        const nlohmann::json metadata = e.mode == StreamMode::messages ? message_metadata(e) : nlohmann::json();
        for (auto& [name, data] : legacy_messages->events(e, metadata)) publish(*run, name, std::move(data));
      }
      if ((events || legacy_messages) && !asked.has(e.mode)) return;  // asked for only to build those
      auto [name, data] = api_event(std::move(e));
      debug.add(std::move(name), std::move(data));
    });
    std::vector<std::string> next;
    if (!result.interrupts.empty()) {  // paused: the nodes it waits to run
      if (auto state = run->graph->state({.thread_id = thread_id, .checkpoint_ns = o.checkpoint_ns}, false))
        for (const auto& n : (*state)["next"]) next.push_back(n.get<std::string>());
    }
    debug.flush(next);
    nlohmann::json final_values = std::move(result.values);
    if (!result.interrupts.empty()) {
      // LangGraph streams a run that paused as a last values chunk {"__interrupt__": [...]}.
      if (wants_values)
        publish(*run, "values", nlohmann::json{{std::string(format::kInterruptWrite), interrupts_json(result.interrupts)}});
      final_values[std::string(format::kInterruptWrite)] = interrupts_json(result.interrupts);
    }
    if (events) publish(*run, "events", events->end(final_values));
    std::lock_guard lock(mutex_);
    run->final_values = std::move(final_values);
    thread_patch = {{"failed", nullptr}, {"error", nullptr}};
  } catch (const sg::Cancelled&) {
    debug.flush({});
    status = "interrupted";
  } catch (const std::exception& e) {
    debug.flush({});
    if (run->cancel.cancelled()) {
      status = "interrupted";
    } else if (store_failure(e) && run->row.attempt < kStoreAttempts) {
      // The store went away under the run (a restart, a lost connection or thread lock): it is
      // given back and continues from its last checkpoint once the store answers — here or in
      // another process (if the store cannot take it back now, when its lease runs out).
      log("run " + run_id + ": the store failed under it, giving it back: " + e.what());
      status = "pending";
      std::lock_guard lock(mutex_);
      run->cancel_action = "release";
    } else {
      status = "error";
      const nlohmann::json error = error_json(e);
      publish(*run, "error", error);
      std::lock_guard lock(mutex_);
      run->final_values = {{std::string(format::kErrorWrite), error}};
      thread_patch = {{"failed", true}, {"error", error}};
    }
  }
  if (status == "interrupted" && run->cancel_action == "rollback" && saver) {
    // Back to where the run started: the thread's newest checkpoint before the run's first one
    // (found here, not read before every run: the run's checkpoints carry its run_id) becomes
    // the head again as a copy, or the thread is emptied when the run was its first.
    try {
      const sg::CheckpointConfig root{thread_id, o.checkpoint_ns, std::nullopt};
      const auto written = saver->list(root, {.filter = {{"run_id", run_id}}, .values = false});
      if (!written.empty()) {
        const auto before = saver->list(root, {.before = written.back().checkpoint.id, .limit = 1, .values = false});
        if (!before.empty())
          run->graph->update_state({.thread_id = thread_id, .checkpoint_ns = o.checkpoint_ns,
                                    .checkpoint_id = before.front().checkpoint.id},
                                   nullptr, std::string(sg::AS_COPY));
        else saver->delete_thread(thread_id);
      }
    } catch (const std::exception&) {  // NOLINT(bugprone-empty-catch): the run ends cancelled either way
    }
  }
  finish(run, status, std::move(thread_patch));
}

void RunManager::finish(const std::shared_ptr<Run>& run, const std::string& status, nlohmann::json thread_patch) {
  const std::string& run_id = run->row.run_id;
  std::string action;
  nlohmann::json values;  // freed after the lock, once encoded
  {
    std::lock_guard lock(mutex_);
    action = run->cancel_action;
    values = std::move(run->final_values);
    run->final_values = nullptr;
  }
  if (values.is_null()) values = nlohmann::json::object();
  // Encoded once: the result in the store, and every wait's answer while the run lingers.
  auto text = std::make_shared<const std::string>(json_text(values));
  bool delete_thread = false;
  bool ended_here = false;  // the store recorded the run's end under this process
  try {
    // Every event a watcher elsewhere has not got yet, in the transaction that ends the run
    // (asked for inside it: a watcher may have marked the run since the housekeeper last looked).
    std::lock_guard flushing(run->flushing);
    auto events = [&] {
      std::size_t upto = 0;
      return unflushed_events(*run, upto, true);
    };
    if (action == "release") {
      store_->finish(run_id, owner_, status, *text, thread_patch, now_ms(), false, true, events);
    } else if (action != "lost") {
      const bool held =
          store_->finish(run_id, owner_, status, *text, thread_patch, now_ms(), action == "rollback", false, events);
      delete_thread = held && run->record.temporary;
      ended_here = held;
    }
  } catch (const std::exception& e) {
    // The row stays running until its lease runs out; then a process takes the run over.
    log("ending run " + run_id + " in the store failed: " + e.what());
  }
  std::vector<RunEvent> dropped;  // freed after the lock
  {
    std::lock_guard lock(mutex_);
    // The housekeeper may have marked the run lost (its lease renewal found the row no longer
    // running: this end had just been committed) or released (a stop) meanwhile: it ended here.
    if (ended_here) run->cancel_action = action;
    run->record.status = status;
    run->record.updated_at = now();
    run->ended = true;
    run->final_text = std::move(text);
    std::erase(active_, run);
    drop_unheld_events(*run, dropped);
    ended_.push_back({std::chrono::steady_clock::now() + options_.linger, run_id,
                      delete_thread ? run->row.thread_id : std::string()});
    ++wakeups_;  // the thread's next run may start now
  }
  run->cv.notify_all();
  run->ended_cv.notify_all();
  work_.notify_one();
}

}  // namespace sg::server
