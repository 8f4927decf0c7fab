#include "chatbot.hpp"

#include <algorithm>
#include <exception>
#include <map>
#include <set>
#include <utility>

#include <stategraph/errors.hpp>
#include <stategraph/nodes/errors.hpp>
#include <stategraph/update.hpp>

#include "chatbot_error.hpp"

namespace sg::chatbot {
namespace {

bool blank(const std::string& text) {
  return std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isspace(c) != 0; });
}

/// The innermost sg::Error of a (possibly nested) exception chain, and whether a ModelError or a
/// cancellation is in it.
struct Cause {
  std::string message;
  bool model = false;
  bool cancelled = false;
  bool busy = false;
  bool saver = false;
};

void inspect(const std::exception& e, Cause& cause) {
  cause.message = e.what();
  if (const auto* err = dynamic_cast<const sg::Error*>(&e)) {
    if (dynamic_cast<const sg::Cancelled*>(&e) != nullptr) cause.cancelled = true;
    else if (err->is(ErrorId::saver_thread_busy)) cause.busy = true;
    else if (dynamic_cast<const sg::SaverError*>(&e) != nullptr) cause.saver = true;
    else if (dynamic_cast<const sg::ModelError*>(&e) != nullptr) cause.model = true;
  }
  try {
    std::rethrow_if_nested(e);
  } catch (const std::exception& inner) {
    inspect(inner, cause);
  } catch (...) {
  }
}

[[noreturn]] void rethrow_as_chatbot_error(const std::string& thread_id, const std::exception& e) {
  Cause cause;
  inspect(e, cause);
  if (cause.cancelled) throw ChatbotError(ChatbotErrorId::cancelled, "the turn on thread \"" + thread_id + "\" was cancelled; the thread is as it was before it");
  if (cause.busy) throw ChatbotError(ChatbotErrorId::thread_busy, "thread \"" + thread_id + "\" is busy with another turn: " + cause.message);
  if (cause.model) throw ChatbotError(ChatbotErrorId::model_failed, "the model failed; thread \"" + thread_id + "\" is as it was before the turn: " + cause.message);
  if (cause.saver) throw ChatbotError(ChatbotErrorId::store_failed, "the checkpoint store failed: " + cause.message);
  throw ChatbotError(ChatbotErrorId::model_failed, "the turn failed; thread \"" + thread_id + "\" is as it was before it: " + cause.message);
}

template <class F>
auto guard_saver(F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const ChatbotError&) {
    throw;
  } catch (const sg::Error& e) {
    if (e.is(ErrorId::saver_thread_busy)) throw ChatbotError(ChatbotErrorId::thread_busy, std::string("thread busy: ") + e.what());
    throw ChatbotError(ChatbotErrorId::store_failed, std::string("the checkpoint store failed: ") + e.what());
  }
}

}  // namespace

Chatbot::Chatbot(ChatbotConfig config)
    : config_(std::move(config)),
      app_(config_.model && config_.saver ? build_chatbot_graph(config_.model, config_.graph, config_.saver)
                                          : throw ChatbotError(ChatbotErrorId::bad_configuration, "a Chatbot needs a model and a checkpoint saver")) {}

std::shared_ptr<std::mutex> Chatbot::thread_mutex(const std::string& thread_id) {
  std::lock_guard lock(mutexes_guard_);
  auto& weak = mutexes_[thread_id];
  auto strong = weak.lock();
  if (!strong) {
    strong = std::make_shared<std::mutex>();
    weak = strong;
  }
  if (mutexes_.size() > 4096) std::erase_if(mutexes_, [](const auto& entry) { return entry.second.expired(); });
  return strong;
}

sg::RunConfig Chatbot::run_config(const std::string& thread_id) const {
  sg::RunConfig cfg;
  cfg.thread_id = thread_id;
  cfg.thread_lock_wait = config_.thread_wait;
  return cfg;
}

void Chatbot::restore(const std::string& thread_id, const std::optional<std::string>& before) {
  sg::RunConfig cfg = run_config(thread_id);
  if (!before) {
    config_.saver->delete_thread(thread_id);  // the failed turn was the thread's first
    return;
  }
  cfg.checkpoint_id = *before;
  app_.update_state(cfg, std::nullopt, std::string("__copy__"));
}

TurnResult Chatbot::send(const std::string& thread_id, const std::string& text, const TokenCallback& on_token,
                         const sg::CancellationToken& cancel, const std::optional<std::string>& language) {
  if (blank(text)) throw ChatbotError(ChatbotErrorId::empty_message, "the message is empty");
  if (thread_id.empty()) throw ChatbotError(ChatbotErrorId::bad_request, "the thread id is empty");
  const auto mutex = thread_mutex(thread_id);
  std::lock_guard turn_lock(*mutex);

  sg::RunConfig cfg = run_config(thread_id);
  cfg.cancel = cancel;
  const std::optional<std::string> before =
      guard_saver([&] { return config_.saver->latest_checkpoint_id({thread_id, "", std::nullopt}); });

  sg::Update<ChatState> input{sg::set<&ChatState::messages>(sg::HumanMessage(text))};
  if (language && !language->empty()) input.set<&ChatState::language>(*language);

  std::exception_ptr callback_error;
  auto on_event = [&](const sg::StreamEvent<ChatState>& e) {
    if (!on_token || callback_error) return;
    const auto& chunk = e.data["chunk"];
    if (!chunk.contains("content") || !chunk["content"].is_string()) return;
    const auto& piece = chunk["content"].get_ref<const std::string&>();
    if (piece.empty()) return;
    try {
      on_token(piece);
    } catch (...) {
      callback_error = std::current_exception();
      cancel.cancel();
    }
  };

  try {
    auto result = app_.stream(std::move(input), cfg, sg::StreamMode::messages, on_event);
    if (callback_error) std::rethrow_exception(callback_error);
    TurnResult out;
    out.reply = result.values.messages.empty() ? sg::Message{} : result.values.messages.back();
    out.turn_count = result.values.turns;
    if (result.config && result.config->checkpoint_id) out.checkpoint_id = *result.config->checkpoint_id;
    return out;
  } catch (const std::exception& e) {
    // Leave the thread as it was before this turn (if the turn got as far as saving anything).
    try {
      const auto head = config_.saver->latest_checkpoint_id({thread_id, "", std::nullopt});
      if (head != before) restore(thread_id, before);
    } catch (const std::exception& restore_error) {
      throw ChatbotError(ChatbotErrorId::store_failed, std::string("the turn failed (") + e.what() +
                                               ") and the thread could not be restored: " + restore_error.what());
    }
    if (callback_error) throw ChatbotError(ChatbotErrorId::cancelled, "the turn on thread \"" + thread_id + "\" was stopped by its reader; the thread is as it was before it");
    rethrow_as_chatbot_error(thread_id, e);
  }
}

std::optional<ThreadView> Chatbot::thread(const std::string& thread_id) const {
  return guard_saver([&]() -> std::optional<ThreadView> {
    auto snapshot = app_.get_state(run_config(thread_id));
    if (!snapshot) return std::nullopt;
    ThreadView view;
    view.thread_id = thread_id;
    view.messages = std::move(snapshot->values.messages);
    view.language = std::move(snapshot->values.language);
    view.summary = std::move(snapshot->values.summary);
    view.turn_count = snapshot->values.turns;
    view.checkpoint_id = snapshot->config.checkpoint_id.value_or("");
    view.updated_at = snapshot->created_at;
    return view;
  });
}

std::vector<ThreadSummary> Chatbot::threads(std::size_t limit) const {
  return guard_saver([&] {
    sg::ThreadListOptions options;
    options.limit = limit;
    std::vector<ThreadSummary> out;
    for (auto& t : config_.saver->list_threads(options)) out.push_back({t.thread_id, t.last_ts});
    return out;
  });
}

bool Chatbot::undo(const std::string& thread_id) {
  const auto mutex = thread_mutex(thread_id);
  std::lock_guard turn_lock(*mutex);
  return guard_saver([&] {
    // Walk the head's ancestry to the checkpoint that began the last turn (its input, or the
    // update of a /clear); its parent is the state before. A "fork" made by a copy (an undo, a
    // failed turn rolled back) is a sibling of the checkpoint it copies (metadata copy_of): the
    // walk continues from that one, so it follows what the thread really went through.
    sg::ListOptions options;
    options.values = false;
    struct Step {
      std::optional<std::string> parent;
      std::string source;
      std::string copy_of;  // a "fork" made by update_state(..., "__copy__") stands for this one
    };
    std::map<std::string, Step> lineage;
    std::optional<std::string> head;
    for (const auto& t : config_.saver->list({thread_id, "", std::nullopt}, options)) {
      if (!head) head = t.config.checkpoint_id;
      Step step;
      if (t.parent_config) step.parent = t.parent_config->checkpoint_id;
      step.source = t.metadata.value("source", "");
      step.copy_of = t.metadata.value("copy_of", "");
      lineage[*t.config.checkpoint_id] = std::move(step);
    }
    for (std::optional<std::string> at = head; at;) {
      const auto found = lineage.find(*at);
      if (found == lineage.end()) return false;
      if (!found->second.copy_of.empty() && lineage.count(found->second.copy_of) != 0) {
        at = found->second.copy_of;
        continue;
      }
      const auto& parent = found->second.parent;
      const auto& source = found->second.source;
      if (source == "input" || source == "update") {
        // A turn starts with an "input" checkpoint, /clear is an "update" one; a thread's first
        // input checkpoint has no parent: undoing its first turn empties it.
        if (parent) restore(thread_id, parent);
        else clear_locked(thread_id);
        return true;
      }
      at = parent;
    }
    return false;
  });
}

bool Chatbot::clear(const std::string& thread_id) {
  const auto mutex = thread_mutex(thread_id);
  std::lock_guard turn_lock(*mutex);
  return guard_saver([&] {
    if (!config_.saver->latest_checkpoint_id({thread_id, "", std::nullopt})) return false;
    clear_locked(thread_id);
    return true;
  });
}

void Chatbot::clear_locked(const std::string& thread_id) {
  sg::Update<ChatState> wipe{sg::set<&ChatState::messages>(sg::RemoveMessage(sg::REMOVE_ALL_MESSAGES)),
                             sg::set<&ChatState::summary>(std::string())};
  app_.update_state(run_config(thread_id), std::move(wipe), std::string("model"));
}

bool Chatbot::erase(const std::string& thread_id) {
  const auto mutex = thread_mutex(thread_id);
  std::lock_guard turn_lock(*mutex);
  return guard_saver([&] {
    if (!config_.saver->latest_checkpoint_id({thread_id, "", std::nullopt})) return false;
    const auto lock = config_.saver->lock_thread(thread_id, config_.thread_wait);
    config_.saver->delete_thread(thread_id);
    return true;
  });
}

}  // namespace sg::chatbot
