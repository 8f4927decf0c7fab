#include "chatbot.hpp"

#include <algorithm>
#include <cctype>
#include <exception>
#include <iterator>
#include <map>
#include <set>
#include <string_view>
#include <utility>

#include <stategraph/constants.hpp>
#include <stategraph/errors.hpp>
#include <stategraph/nodes/errors.hpp>
#include <stategraph/update.hpp>

#include "chatbot_error.hpp"

namespace sg::chatbot {
namespace {

/// Metadata key of every checkpoint a turn writes: the turn's id (Chatbot::send).
constexpr std::string_view kTurnKey = "chatbot_turn";

/// The turn that wrote a checkpoint ("" when none did: an update, a copy, another program).
std::string turn_of(const sg::CheckpointMetadata& metadata) {
  if (!metadata.is_object()) return {};
  const auto it = metadata.find(kTurnKey);
  return it != metadata.end() && it->is_string() ? it->get<std::string>() : std::string();
}

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
      saver_(config_.model && config_.saver
                 ? std::make_shared<ReentrantLockSaver>(config_.saver, config_.one_writer)
                 : throw ChatbotError(ChatbotErrorId::bad_configuration, "a Chatbot needs a model and a checkpoint saver")),
      app_(build_chatbot_graph(config_.model, config_.graph, saver_)) {}

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

void Chatbot::restore(const std::string& thread_id, const std::string& checkpoint_id) {
  sg::RunConfig cfg = run_config(thread_id);
  cfg.checkpoint_id = checkpoint_id;
  app_.update_state(cfg, std::nullopt, sg::AS_COPY);
}

void Chatbot::roll_back(const std::string& thread_id, const std::string& turn) {
  const sg::CheckpointConfig where{thread_id, "", std::nullopt};
  sg::ListOptions newest;
  newest.values = false;
  newest.limit = 1;
  const auto head = saver_->list(where, newest);
  // Nothing saved; or another writer's checkpoint is on top (possible only if the hold was lost):
  // its work stays, and the failed turn is an abandoned branch below it.
  if (head.empty() || turn_of(head.front().metadata) != turn) return;
  sg::ListOptions own;
  own.values = false;
  own.filter = {{std::string(kTurnKey), turn}};
  const auto checkpoints = saver_->list(where, own);  // newest first: the turn's input is the last
  auto input = std::find_if(checkpoints.begin(), checkpoints.end(),
                            [](const sg::CheckpointTuple& t) { return t.metadata.value("source", "") == "input"; });
  if (input == checkpoints.end()) input = std::prev(checkpoints.end());
  if (input->parent_config && input->parent_config->checkpoint_id) {
    restore(thread_id, *input->parent_config->checkpoint_id);  // the head before the turn
    return;
  }
  // The failed turn was the thread's first: delete the thread only when it holds nothing else.
  sg::ThreadListOptions only;
  only.thread_id = thread_id;
  const auto info = saver_->list_threads(only);
  if (!info.empty() && info.front().checkpoints == checkpoints.size()) saver_->delete_thread(thread_id);
}

std::string Chatbot::finished_head(const std::string& thread_id) {
  std::lock_guard lock(mutexes_guard_);
  const auto it = finished_heads_.find(thread_id);
  return it == finished_heads_.end() ? std::string() : it->second;
}

void Chatbot::remember_finished(const std::string& thread_id, const std::string& checkpoint_id) {
  std::lock_guard lock(mutexes_guard_);
  if (finished_heads_.size() >= 4096) finished_heads_.clear();  // a cache: forgetting costs one read
  finished_heads_[thread_id] = checkpoint_id;
}

bool Chatbot::recover_abandoned(const std::string& thread_id) {
  // The head's id alone first (one indexed read, nothing decoded): the common case is the head
  // this process saw its last turn on the thread finish at.
  const auto latest = saver_->latest_checkpoint_id({thread_id, "", std::nullopt});
  if (!latest || finished_head(thread_id) == *latest) return false;
  sg::ListOptions newest;
  newest.values = false;
  newest.limit = 1;
  const auto head = saver_->list({thread_id, "", std::nullopt}, newest);
  if (head.empty() || !head.front().config.checkpoint_id) return false;
  const std::string turn = turn_of(head.front().metadata);
  if (turn.empty()) return false;  // an update, a copy (a rollback, an undo): not inside a turn
  const std::string& id = *head.front().config.checkpoint_id;
  // Whether the turn finished: its last checkpoint has nothing left to run.
  const auto snapshot = app_.get_state(run_config(thread_id));
  if (!snapshot || snapshot->next.empty()) {
    remember_finished(thread_id, id);
    return false;
  }
  // The thread is held, so the run that wrote this head is gone: roll its turn back.
  roll_back(thread_id, turn);
  return true;
}

TurnResult Chatbot::send(const std::string& thread_id, const std::string& text, const TokenCallback& on_token,
                         const sg::CancellationToken& cancel, const std::optional<std::string>& language) {
  if (blank(text)) throw ChatbotError(ChatbotErrorId::empty_message, "the message is empty");
  check_prompt_budget(text, language, config_.graph);  // 817, before anything is stored
  if (thread_id.empty()) throw ChatbotError(ChatbotErrorId::bad_request, "the thread id is empty");
  const auto mutex = thread_mutex(thread_id);
  std::lock_guard turn_lock(*mutex);
  // The store's lock of the thread for the whole turn, its rollback included: no other writer
  // (another server on the store) can come in between (the engine's own lock_thread calls are
  // granted to this hold; reentrant_lock_saver.hpp).
  const auto held = guard_saver([&] { return saver_->hold(thread_id, config_.thread_wait); });
  // A turn whose process died (or whose rollback failed) left the head inside it: a human
  // message with no reply. It was never acknowledged; undo it before this turn starts.
  const bool recovered = guard_saver([&] { return recover_abandoned(thread_id); });

  sg::RunConfig cfg = run_config(thread_id);
  cfg.cancel = cancel;
  const std::string turn = sg::new_checkpoint_id();  // unique and time-ordered: names this turn
  cfg.metadata[std::string(kTurnKey)] = turn;

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
    // Streamed even without a reader of the tokens: a streaming model call can be cancelled
    // between two pieces (a stopping server, a client gone), a whole-reply call only at its end.
    auto result = app_.stream(std::move(input), cfg, sg::StreamMode::messages, on_event);
    if (callback_error) std::rethrow_exception(callback_error);
    TurnResult out;
    out.reply = result.values.messages.empty() ? sg::Message{} : result.values.messages.back();
    out.turn_count = result.values.turns;
    if (result.config && result.config->checkpoint_id) out.checkpoint_id = *result.config->checkpoint_id;
    out.recovered = recovered;
    if (!out.checkpoint_id.empty()) remember_finished(thread_id, out.checkpoint_id);
    return out;
  } catch (const std::exception& e) {
    // Leave the thread as it was before this turn (if the turn got as far as saving anything).
    try {
      roll_back(thread_id, turn);
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

namespace {

/// ThreadSummary::title of a message's text: its first non-blank line, shortened to kTitleLength
/// code points.
std::string title_of(const std::string& text) {
  std::string_view line = text;
  const auto first = line.find_first_not_of(" \t\r\n");
  line.remove_prefix(first == std::string_view::npos ? line.size() : first);
  line = line.substr(0, line.find_first_of("\r\n"));
  while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back())) != 0) line.remove_suffix(1);
  std::size_t chars = 0;
  for (std::size_t i = 0; i < line.size(); ++i) {
    if ((static_cast<unsigned char>(line[i]) & 0xC0U) == 0x80U) continue;  // a UTF-8 continuation byte
    if (++chars == kTitleLength) {  // the last character that fits: room for "…" if more follows
      std::size_t next = i + 1;
      while (next < line.size() && (static_cast<unsigned char>(line[next]) & 0xC0U) == 0x80U) ++next;
      if (next == line.size()) break;
      return std::string(line.substr(0, i)) + "\u2026";
    }
  }
  return std::string(line);
}

}  // namespace

std::vector<ThreadSummary> Chatbot::threads(std::size_t limit, bool titles) const {
  return guard_saver([&] {
    sg::ThreadListOptions options;
    options.limit = limit;
    std::vector<ThreadSummary> out;
    for (auto& t : saver_->list_threads(options)) {
      ThreadSummary line{t.thread_id, t.last_ts, {}, 0};
      if (!titles) {
        out.push_back(std::move(line));
        continue;
      }
      // The latest checkpoint's raw values: only the first human message is decoded.
      if (const auto head = saver_->get_tuple({t.thread_id, "", std::nullopt})) {
        const auto& values = head->checkpoint.channel_values;
        if (const auto it = values.find("messages"); it != values.end() && it->second.is_array()) {
          line.message_count = it->second.size();
          for (const auto& j : it->second) {
            const auto m = j.get<sg::Message>();
            if (m.type != sg::MessageType::human) continue;
            line.title = title_of(m.text());
            break;
          }
        }
      }
      out.push_back(std::move(line));
    }
    return out;
  });
}

bool Chatbot::undo(const std::string& thread_id) {
  const auto mutex = thread_mutex(thread_id);
  std::lock_guard turn_lock(*mutex);
  return guard_saver([&] {
    const auto held = saver_->hold(thread_id, config_.thread_wait);  // the walk and the copy as one
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
    for (const auto& t : saver_->list({thread_id, "", std::nullopt}, options)) {
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
        if (parent) restore(thread_id, *parent);
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
    const auto held = saver_->hold(thread_id, config_.thread_wait);
    if (!saver_->latest_checkpoint_id({thread_id, "", std::nullopt})) return false;
    clear_locked(thread_id);
    return true;
  });
}

void Chatbot::clear_locked(const std::string& thread_id) {
  sg::Update<ChatState> wipe{sg::set<&ChatState::messages>(sg::RemoveMessage(sg::REMOVE_ALL_MESSAGES)),
                             sg::set<&ChatState::summary>(std::string()),
                             sg::set<&ChatState::turns>(sg::Overwrite<std::int64_t>{0})};  // `add` would keep the count
  app_.update_state(run_config(thread_id), std::move(wipe), std::string("model"));
}

bool Chatbot::erase(const std::string& thread_id) {
  const auto mutex = thread_mutex(thread_id);
  std::lock_guard turn_lock(*mutex);
  return guard_saver([&] {
    const auto held = saver_->hold(thread_id, config_.thread_wait);
    if (!saver_->latest_checkpoint_id({thread_id, "", std::nullopt})) return false;
    saver_->delete_thread(thread_id);
    return true;
  });
}

}  // namespace sg::chatbot
