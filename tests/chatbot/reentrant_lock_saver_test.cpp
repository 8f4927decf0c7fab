// sg::chatbot::ReentrantLockSaver (examples/chatbot/reentrant_lock_saver.hpp): while a thread is
// held, the engine's lock_thread on it through the same saver is granted at once; any other
// saver on the store (another process, here another SqliteSaver on the file) still waits.
#include <doctest/doctest.h>

#include <chrono>
#include <memory>
#include <string>

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

}  // namespace

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
