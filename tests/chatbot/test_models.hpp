#pragma once
// Chat models for the HTTP server tests: one that streams until it is cancelled, and a gate that
// holds calls until the test opens it (to prove serialisation and parallelism without timing).
//
// Thread-safety: all members thread-safe.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <stategraph/errors.hpp>
#include <stategraph/nodes/chat_model.hpp>
#include <stategraph/nodes/errors.hpp>
#include <stategraph/nodes/fake_chat_model.hpp>

namespace sgtest {

/// Streams "word " chunks one after another (the first at once, then one every millisecond)
/// until the call is cancelled (the chunk callback throws sg::Cancelled, sg.run.305) or `max_chunks` were
/// sent, when it ends normally. Counts calls, chunks, and calls that ended by cancellation.
class EndlessModel final : public sg::ChatModel {
 public:
  struct State {
    std::atomic<int> calls{0};
    std::atomic<int> chunks{0};
    std::atomic<int> cancelled{0};
    int max_chunks = 20000;
  };
  EndlessModel() : state_(std::make_shared<State>()) {}
  [[nodiscard]] State& state() const { return *state_; }

 protected:
  sg::Message do_invoke(const sg::Messages&, const sg::ChatOptions&) const override { return sg::AIMessage("word"); }
  sg::Message do_stream(const sg::Messages&, const sg::ChatOptions&, const sg::ChunkCallback& on_chunk) const override {
    ++state_->calls;
    std::string text;
    try {
      for (int i = 0; i < state_->max_chunks; ++i) {
        if (i > 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
        sg::MessageChunk chunk;
        chunk.content = "word ";
        on_chunk(chunk);
        ++state_->chunks;
        text += chunk.content;
      }
    } catch (const sg::Cancelled&) {
      ++state_->cancelled;
      throw;
    }
    return sg::AIMessage(text);
  }
  [[nodiscard]] std::unique_ptr<sg::ChatModel> clone() const override { return std::make_unique<EndlessModel>(*this); }
  [[nodiscard]] std::string do_name() const override { return "endless-test-model"; }

 private:
  std::shared_ptr<State> state_;
};

/// Counts arrivals and holds callers until opened (or 20 s passed, which the tests then see as
/// a wrong reply). Used inside ScriptedFakeChatModel responders.
class Gate {
 public:
  /// Registers an arrival and waits until the gate is open. Returns false on the 20 s safety
  /// timeout.
  bool arrive_and_wait() {
    std::unique_lock lock(mutex_);
    ++arrived_;
    changed_.notify_all();
    return changed_.wait_for(lock, std::chrono::seconds(20), [&] { return open_; });
  }
  /// Registers an arrival and waits until `n` arrived in all (a rendezvous). Returns false on
  /// the 20 s safety timeout.
  bool rendezvous(int n) {
    std::unique_lock lock(mutex_);
    ++arrived_;
    changed_.notify_all();
    return changed_.wait_for(lock, std::chrono::seconds(20), [&] { return arrived_ >= n; });
  }
  /// Waits until `n` callers arrived (at most 20 s). Returns whether they did.
  bool wait_for_arrivals(int n) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, std::chrono::seconds(20), [&] { return arrived_ >= n; });
  }
  void open() {
    std::lock_guard lock(mutex_);
    open_ = true;
    changed_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  int arrived_ = 0;
  bool open_ = false;
};

}  // namespace sgtest
