// sg::chatbot::ReentrantLockSaver (examples/chatbot/reentrant_lock_saver.hpp): while a thread is
// held, the engine's lock_thread on it through the same saver is granted at once; any other
// saver on the store (another process, here another SqliteSaver on the file) still waits.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <stategraph/checkpoint/error.hpp>
#include <stategraph/checkpoint/sqlite_saver.hpp>

#include "reentrant_lock_saver.hpp"
#include "temp_dir.hpp"

using sg::chatbot::ReentrantLockSaver;

namespace {

constexpr std::chrono::milliseconds kShort{50};

/// The id of the sg::Error `f` throws, or "no error".
template <class F>
std::string id_of(F&& f) {
  try {
    f();
  } catch (const sg::Error& e) {
    return e.id();
  }
  return "no error";
}

/// A store whose thread locks can be lost on demand (as a Postgres lock is with its session),
/// and whose delete_thread takes 2 ms and counts the calls that ran at once; only lock_thread
/// and delete_thread are used.
class LosableLockStore final : public sg::BaseCheckpointSaver {
 public:
  std::shared_ptr<std::atomic<bool>> lost = std::make_shared<std::atomic<bool>>(false);
  std::atomic<int> deleting{0};       ///< delete_thread calls running now
  std::atomic<int> most_deleting{0};  ///< the most that ran at once

 private:
  class Lock final : public sg::ThreadLock {
   public:
    explicit Lock(std::shared_ptr<std::atomic<bool>> lost) : lost_(std::move(lost)) {}
    [[nodiscard]] bool is_held() const noexcept override { return !*lost_; }

   private:
    std::shared_ptr<std::atomic<bool>> lost_;
  };
  std::unique_ptr<sg::ThreadLock> do_lock_thread(std::string_view, std::chrono::milliseconds) override {
    return std::make_unique<Lock>(lost);
  }
  [[noreturn]] static void unused() { throw std::logic_error("LosableLockStore: only lock_thread is used"); }
  std::optional<sg::CheckpointTuple> do_get_tuple(const sg::CheckpointConfig&) override { unused(); }
  std::vector<sg::CheckpointTuple> do_list(const sg::CheckpointConfig&, const sg::ListOptions&) override { unused(); }
  void do_put(const sg::SaverPut&) override { unused(); }
  void do_put_writes(const sg::SaverWrites&) override { unused(); }
  void do_delete_thread(std::string_view) override {
    const int now = ++deleting;
    for (int most = most_deleting.load(); now > most && !most_deleting.compare_exchange_weak(most, now);) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    --deleting;
  }
  std::vector<sg::ThreadInfo> do_list_threads(const sg::ThreadListOptions&) override { unused(); }
  std::map<std::string, std::uint64_t> do_checkpoint_bytes(const sg::CheckpointConfig&) override { unused(); }
  sg::StorageStats do_storage_stats() override { unused(); }
  std::size_t do_prune(std::string_view, const sg::PruneOptions&) override { unused(); }
  void do_copy_thread(std::string_view, std::string_view) override { unused(); }
};

}  // namespace

TEST_CASE("chatbot lock saver: the engine's lock of a held thread is lost when the store's lock is") {
  auto store = std::make_shared<LosableLockStore>();
  ReentrantLockSaver saver(store);
  const auto held = saver.hold("t", kShort);
  const auto engines = saver.lock_thread("t", kShort);  // granted at once: the holder's own call
  CHECK(held->is_held());
  CHECK(engines->is_held());
  *store->lost = true;  // e.g. the Postgres session of the store's lock ended
  CHECK_FALSE(held->is_held());
  CHECK_FALSE(engines->is_held());  // so the engine fails the turn's next write (sg.saver.411)
}

TEST_CASE("chatbot lock saver: a held thread is granted to lock_thread through the saver, not to others") {
  sgtest::TempDir dir;
  auto store = std::make_shared<sg::SqliteSaver>(dir.file("chat.db"));
  ReentrantLockSaver saver(store);
  sg::SqliteSaver other(dir.file("chat.db"));
  {
    const auto held = saver.hold("t", kShort);
    CHECK(saver.lock_thread("t", kShort) != nullptr);  // at once, and releases nothing:
    CHECK(id_of([&] { (void)other.lock_thread("t", kShort); }) == "sg.saver.404");
    CHECK(id_of([&] { (void)saver.hold("t", kShort); }) == "sg.saver.404");  // hold() never nests
    CHECK(other.lock_thread("u", kShort) != nullptr);  // other threads are not held
    CHECK(id_of([&] {
            const auto u = other.lock_thread("u", kShort);
            (void)saver.lock_thread("u", kShort);
          }) == "sg.saver.404");
  }
  // Released: the others get it, and the saver's lock_thread waits again.
  const auto lock = other.lock_thread("t", kShort);
  CHECK(id_of([&] { (void)saver.lock_thread("t", kShort); }) == "sg.saver.404");
}

TEST_CASE("chatbot lock saver: calls reach the store") {
  sgtest::TempDir dir;
  auto store = std::make_shared<sg::SqliteSaver>(dir.file("chat.db"));
  ReentrantLockSaver saver(store);
  CHECK_FALSE(saver.latest_checkpoint_id({"t", "", std::nullopt}));
  CHECK(saver.list_threads().empty());
  CHECK(saver.in_process() == store->in_process());
  CHECK(id_of([] { ReentrantLockSaver none(nullptr); }) == "sg.chatbot.805");
}

TEST_CASE("chatbot lock saver: with one_writer, writing calls run one at a time") {
  auto store = std::make_shared<LosableLockStore>();
  ReentrantLockSaver saver(store, /*one_writer=*/true);
  std::vector<std::thread> writers;
  for (int i = 0; i < 4; ++i)
    writers.emplace_back([&saver, i] {
      for (int k = 0; k < 5; ++k) saver.delete_thread("t" + std::to_string(i));
    });
  for (auto& w : writers) w.join();
  CHECK(store->most_deleting.load() == 1);
}
