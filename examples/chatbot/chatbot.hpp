#pragma once
/// @file
/// sg::chatbot::Chatbot — the chatbot as a service: one compiled chatbot graph over one model and
/// one checkpoint saver, and the operations the REPL and the HTTP server offer on threads
/// (send a message, read a thread, list, undo, clear, delete).
///
/// Every conversation is a LangGraph thread: its messages, language, summary and turn count are
/// the state of the latest checkpoint of `thread_id`, so a thread continues after a restart and
/// its history can be inspected (sg-checkpoints), replayed or forked.
///
/// A turn holds the saver's lock of its thread (BaseCheckpointSaver::lock_thread) from before
/// it reads the thread until its rollback, if any, is done (ReentrantLockSaver), and every
/// checkpoint it writes carries its id in the metadata key "chatbot_turn". Failed and cancelled
/// turns leave the thread as it was: the turn's checkpoints stay in the history as an abandoned
/// branch, and a "fork" checkpoint copying the parent of the turn's own input checkpoint becomes
/// the head (LangGraph's update_state with as_node "__copy__"). A rollback only ever undoes the
/// failing turn's own checkpoints: it happens only while the thread's head is one of them (else
/// another writer's work is on top, and stays), and a thread is deleted (the failed turn was its
/// first) only when every checkpoint it holds is the failed turn's.
///
/// A turn that could not roll back — its process was killed, its store went away mid-turn —
/// leaves the head inside it (a human message with no reply). The next turn on the thread, on
/// any process, finds it under the lock (a head of a turn with tasks left to run: since the
/// lock is free, its run is gone) and rolls it back the same way before it starts.
///
/// Thread-safety: every member is thread-safe. Turns on different threads run in parallel; turns
/// (and undo/clear/erase) on one thread are serialised, in this process by a per-thread mutex
/// and across processes (several servers on one store) by the saver's thread lock, so none is
/// lost. Reads (thread, threads) take no lock and never wait for a turn.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <stategraph/checkpoint/saver.hpp>
#include <stategraph/compiled_graph.hpp>
#include <stategraph/nodes/chat_model.hpp>
#include <stategraph/run_config.hpp>

#include "chat_state.hpp"
#include "chatbot_graph.hpp"
#include "reentrant_lock_saver.hpp"

namespace sg::chatbot {

struct ChatbotConfig {
  std::shared_ptr<const sg::ChatModel> model;         ///< required
  std::shared_ptr<sg::BaseCheckpointSaver> saver;     ///< required
  ChatbotGraphOptions graph;
  /// How long a turn waits for another turn on the same thread (e.g. in another process).
  std::chrono::milliseconds thread_wait{std::chrono::minutes(5)};
  /// The saver takes one writer at a time (a SQLite file): this process's writes queue on a
  /// mutex instead of in the store (ReentrantLockSaver, one_writer). Off: writes go at once.
  bool one_writer = false;
};

/// The result of one turn.
struct TurnResult {
  sg::Message reply;          ///< the model's ai message, as saved
  std::int64_t turn_count = 0;  ///< completed turns of the thread, this one included
  std::string checkpoint_id;  ///< the thread's head after the turn
  /// An abandoned turn (its process died mid-turn, or its rollback failed) was at the thread's
  /// head and was rolled back before this turn ran.
  bool recovered = false;
};

/// What a thread holds now (the state of its latest checkpoint).
struct ThreadView {
  std::string thread_id;
  sg::Messages messages;
  std::string language;
  std::string summary;
  std::int64_t turn_count = 0;
  std::string checkpoint_id;
  std::string updated_at;  ///< ISO-8601 UTC time of the latest checkpoint
};

/// A line of the thread list.
struct ThreadSummary {
  std::string thread_id;
  std::string updated_at;  ///< ISO-8601 UTC time of the latest checkpoint
  /// The first line of the thread's first human message, at most kTitleLength characters (code
  /// points; "…" ends a shortened one); "" when the thread has no human message (e.g. cleared),
  /// or when Chatbot::threads was not asked for titles.
  std::string title;
  std::size_t message_count = 0;  ///< messages in the thread's state now (0 without titles)
};

/// The longest ThreadSummary::title, in characters.
inline constexpr std::size_t kTitleLength = 40;

/// Receives each streamed piece of the reply's text, on the thread that called send().
/// It may throw to stop the turn (the turn then fails as cancelled).
using TokenCallback = std::function<void(std::string_view)>;

class Chatbot {
 public:
  /// @throws ChatbotError [sg.chatbot.805] when model or saver is missing.
  explicit Chatbot(ChatbotConfig config);

  /// One turn: appends `text` as a human message to `thread_id` (created when new), runs the
  /// graph and returns the reply; `on_token` gets its text as it streams. `language`, when set,
  /// is stored in the thread's state and stays until changed. A turn that a dead process left
  /// unfinished at the thread's head is rolled back first (TurnResult::recovered).
  /// @throws ChatbotError 801 (empty text), 817 (text over the prompt budget, check_prompt_budget;
  ///         nothing stored), 803 (the model failed; the thread is as before),
  ///         804 (cancelled through `cancel`; the thread is as before), 806 (thread busy past
  ///         ChatbotConfig::thread_wait), 810 (the saver failed).
  TurnResult send(const std::string& thread_id, const std::string& text, const TokenCallback& on_token = {},
                  const sg::CancellationToken& cancel = {}, const std::optional<std::string>& language = std::nullopt);

  /// The thread's current state, or nullopt when it has no checkpoint.
  /// @throws ChatbotError 810.
  [[nodiscard]] std::optional<ThreadView> thread(const std::string& thread_id) const;

  /// Every thread of the saver, most recently updated first (at most `limit`): one list_threads.
  /// With `titles`, also each thread's title and message count: one get_tuple (the latest
  /// checkpoint's values) per thread more (its values are decoded; the messages up to the first
  /// human one). Measured on a SQLite file of 100 threads: about 20 ms for the list at 20
  /// messages a thread, 70 ms at 100 — for the REPL's /threads, not for a busy server.
  /// @throws ChatbotError 810.
  [[nodiscard]] std::vector<ThreadSummary> threads(std::size_t limit = 1000, bool titles = false) const;

  /// Continues the thread from the checkpoint before its last turn (a "fork" checkpoint copying
  /// it becomes the head; the undone turn stays in the history). Returns false when the thread
  /// has no turn to undo.
  /// @throws ChatbotError 806, 810.
  bool undo(const std::string& thread_id);

  /// Empties the conversation (messages and summary; RemoveMessage of all messages) with a new
  /// checkpoint, so /undo brings it back. Returns false when the thread does not exist.
  /// @throws ChatbotError 806, 810.
  bool clear(const std::string& thread_id);

  /// Deletes every checkpoint of the thread. Returns false when it did not exist.
  /// @throws ChatbotError 806, 810.
  bool erase(const std::string& thread_id);

  /// The graph as a Mermaid flowchart.
  [[nodiscard]] std::string mermaid() const { return app_.draw_mermaid(); }
  [[nodiscard]] const sg::ChatModel& model() const noexcept { return *config_.model; }
  [[nodiscard]] const ChatbotConfig& config() const noexcept { return config_; }

 private:
  std::shared_ptr<std::mutex> thread_mutex(const std::string& thread_id);
  [[nodiscard]] sg::RunConfig run_config(const std::string& thread_id) const;
  /// Makes a "fork" copy of `checkpoint_id` the thread's head (the thread held).
  void restore(const std::string& thread_id, const std::string& checkpoint_id);
  /// Undoes the failed turn `turn` (the thread held); see the file comment.
  void roll_back(const std::string& thread_id, const std::string& turn);
  void clear_locked(const std::string& thread_id);
  /// With the thread held: when its head is inside a turn that did not finish (a checkpoint of
  /// a turn with tasks left to run), that turn's run is gone — it was never acknowledged — and
  /// it is rolled back. Returns whether it was. Costs one latest_checkpoint_id; when the head is
  /// not the one this process last saw a turn finish at, also one values-free list and one
  /// get_state.
  bool recover_abandoned(const std::string& thread_id);
  /// The head this process last saw a turn on `thread_id` finish at ("" when none).
  std::string finished_head(const std::string& thread_id);
  void remember_finished(const std::string& thread_id, const std::string& checkpoint_id);

  ChatbotConfig config_;
  std::shared_ptr<ReentrantLockSaver> saver_;  // config_.saver, with locks held across a turn
  sg::CompiledGraph<ChatState> app_;
  std::mutex mutexes_guard_;
  std::map<std::string, std::weak_ptr<std::mutex>, std::less<>> mutexes_;
  std::map<std::string, std::string, std::less<>> finished_heads_;  // thread → checkpoint id (guarded as mutexes_)
};

}  // namespace sg::chatbot
