// Two real `sg-chatbot serve` processes on one store (issue 13 item 1), on one SQLite file and on
// one Postgres database: in each of 100 rounds a turn that fails on server A (its client
// disconnects mid-stream, or its model answers 400, or it is the first turn of a new thread)
// races a turn that succeeds on server B on the same thread. Afterwards every turn B
// acknowledged is in the thread's history, once, in order, and no failed turn of A is.
//
// Server A's model is a scripted OpenAI endpoint in this process (sg_test::TestServer: a 400, or
// a slow stream its client hangs up on); server B runs the offline fake model with a delay per
// word, so that its turns last long enough for A's to arrive while they run. The rounds start
// the two requests with a random offset; how many actually overlapped is counted and printed.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <future>
#include <iostream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "http_client.hpp"
#include "server_process.hpp"
#include "servers_common.hpp"
#include "temp_dir.hpp"
#include "test_server.hpp"      // tests/nodes: the scripted OpenAI endpoint

using nlohmann::json;
using sgtest::HttpClient;
using sgtest::HttpResult;

namespace {

constexpr int kRounds = 100;

enum class Failure { disconnect, model_error, new_thread };

const char* name(Failure f) {
  switch (f) {
    case Failure::disconnect: return "client disconnect";
    case Failure::model_error: return "model error";
    case Failure::new_thread: return "new thread";
  }
  return "?";
}

json chunk(const json& delta, const json& finish_reason = nullptr) {
  return {{"id", "chatcmpl-test"},
          {"object", "chat.completion.chunk"},
          {"created", 1700000000},
          {"model", "scripted"},
          {"choices", {{{"index", 0}, {"delta", delta}, {"finish_reason", finish_reason}}}}};
}

/// A reply streamed slowly (200 words, 2 ms apart): its client hangs up long before the end.
sg_test::CannedResponse slow_stream() {
  std::vector<std::string> parts{sg_test::sse_event(chunk({{"role", "assistant"}, {"content", ""}}))};
  for (int i = 0; i < 200; ++i) parts.push_back(sg_test::sse_event(chunk({{"content", "word "}})));
  parts.push_back(sg_test::sse_event(chunk(json::object(), "stop")));
  parts.emplace_back("data: [DONE]\n\n");
  return sg_test::CannedResponse::sse(parts, std::chrono::milliseconds(2));
}

sg_test::CannedResponse bad_request() {
  return sg_test::CannedResponse::json(
      {{"error", {{"message", "scripted failure"}, {"type", "invalid_request_error"}, {"param", nullptr}, {"code", nullptr}}}},
      400);
}

/// Server A (its model: `model`) and server B (offline, 3 ms per word), both on `checkpoints`.
struct Servers {
  Servers(const std::string& checkpoints, const sgtest::TempDir& dir)
      : a(SG_CHATBOT_BIN,
          {"--checkpoints", checkpoints, "--base-url", model.base_url(), "--model", "scripted", "--api-key-env",
           "SG_TEST_NO_KEY", "--memory", "buffer", "--threads", "2"},
          dir.file("a.log")),
        b(SG_CHATBOT_BIN,
          {"--checkpoints", checkpoints, "--offline", "--fake-delay-ms", "3", "--memory", "buffer", "--threads", "2"},
          dir.file("b.log")) {}
  sg_test::TestServer model;  // started first: A's --base-url names it
  sgtest::ServerProcess a;
  sgtest::ServerProcess b;
};

/// A turn B acknowledged: its thread, message and reply.
struct Acknowledged {
  std::string thread;
  std::string message;
  std::string reply;
};

struct Tally {
  int overlapped = 0;  // rounds whose two requests were in flight at the same time
  int a_failed = 0;    // A's turns that failed as scripted
  std::vector<Acknowledged> acknowledged;
};

using Clock = std::chrono::steady_clock;

/// One round on `thread`: B's turn `i` against A's failing turn, A starting `offset_ms` after B
/// (before it when negative).
void race_round(Servers& s, Failure failure, const std::string& thread, int i, int offset_ms, Tally& tally) {
  const bool hang_up = failure == Failure::disconnect || (failure == Failure::new_thread && i % 2 == 1);
  s.model.push(hang_up ? slow_stream() : bad_request());
  const std::string b_message = "b" + std::to_string(i) + ": whats " + std::to_string(i) + " + 1";
  const std::string b_reply = std::to_string(i) + " + 1 = " + std::to_string(i + 1) + ".";
  const json a_body = {{"session_id", thread}, {"message", "a" + std::to_string(i) + " must fail"}};

  Clock::time_point b_sent, b_done, a_sent, a_done;
  auto b_turn = std::async(std::launch::async, [&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(std::max(0, -offset_ms)));
    b_sent = Clock::now();
    HttpResult r = HttpClient(s.b.url()).post("/chat", {{"session_id", thread}, {"message", b_message}});
    b_done = Clock::now();
    return r;
  });
  // A's outcome: "hung up" after the first streamed word, else the error id it answered with.
  auto a_turn = std::async(std::launch::async, [&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(std::max(0, offset_ms)));
    a_sent = Clock::now();
    std::string outcome;
    if (hang_up) {
      bool word = false;
      const HttpResult r = HttpClient(s.a.url()).stream("/chat/stream", a_body, [&](std::string_view data) {
        word = word || data.find("data: word") != std::string_view::npos;
        return !word;  // hang up at the first word: the server's next writes fail
      });
      outcome = word ? "hung up" : std::to_string(r.status) + " " + r.body + r.error;
    } else {
      const HttpResult r = HttpClient(s.a.url()).post("/chat", a_body);
      outcome = r.error_id().empty() ? std::to_string(r.status) + " " + r.body + r.error : r.error_id();
    }
    a_done = Clock::now();
    return outcome;
  });
  const HttpResult b = b_turn.get();
  const std::string a = a_turn.get();
  if (a_sent < b_done && b_sent < a_done) ++tally.overlapped;
  CAPTURE(i);
  CHECK_MESSAGE(b.status == 200, "B: " << b.status << " " << b.body << b.error);
  if (b.status == 200) {
    CHECK(b.json()["response"] == b_reply);
    tally.acknowledged.push_back({thread, b_message, b_reply});
  }
  const std::string expected = hang_up ? "hung up" : "sg.chatbot.803";
  CHECK(a == expected);
  if (a == expected) ++tally.a_failed;
}

/// 100 rounds of `failure` on `checkpoints`; then every thread holds exactly the seed (when it
/// has one) and B's acknowledged turns, in order.
void race(const std::string& store, const std::string& checkpoints, const sgtest::TempDir& dir, Failure failure) {
  Servers s(checkpoints, dir);
  std::mt19937 random(std::random_device{}());
  std::uniform_int_distribution<int> offset(-10, 20);
  const std::string prefix = "race-" + std::to_string(random() % 100000) + "-";
  Tally tally;
  std::vector<std::string> threads;
  std::vector<std::string> seed;  // the kept thread's first turn
  if (failure != Failure::new_thread) {
    threads.push_back(prefix + "kept");
    const HttpResult r = HttpClient(s.b.url()).post("/chat", {{"session_id", threads[0]}, {"message", "seed"}});
    REQUIRE(r.status == 200);
    seed = {"seed", r.json()["response"].get<std::string>()};
  }
  const auto started = Clock::now();
  for (int i = 0; i < kRounds; ++i) {
    if (failure == Failure::new_thread) threads.push_back(prefix + "new-" + std::to_string(i));
    race_round(s, failure, threads.back(), i, offset(random), tally);
  }
  // SIGTERM: A cancels what still runs and finishes its rollbacks before it exits.
  CHECK_MESSAGE(s.a.stop() == 0, s.a.log());
  const double seconds = std::chrono::duration<double>(Clock::now() - started).count();

  int lost = 0;
  for (const auto& thread : threads) {
    std::vector<std::string> expected = seed;
    for (const auto& t : tally.acknowledged)
      if (t.thread == thread) expected.insert(expected.end(), {t.message, t.reply});
    const auto got = sgtest::history_texts(s.b.url(), thread);
    CAPTURE(thread);
    CHECK_MESSAGE(got == expected, "history: " << sgtest::joined(got) << "\nexpected: " << sgtest::joined(expected));
    for (const auto& t : tally.acknowledged)
      if (t.thread == thread && std::find(got.begin(), got.end(), t.message) == got.end()) ++lost;
  }
  std::cout << "chatbot servers: " << store << ", " << name(failure) << ": " << kRounds << " rounds in " << seconds
            << " s, " << tally.overlapped << " with both requests in flight at once, " << tally.acknowledged.size()
            << " turns acknowledged by B, " << lost << " lost, " << tally.a_failed << " failed turns of A" << std::endl;
  CHECK(lost == 0);
  CHECK(tally.acknowledged.size() == static_cast<std::size_t>(kRounds));
  CHECK(tally.a_failed == kRounds);
  // The rounds raced: without overlap they would prove nothing.
  CHECK(tally.overlapped >= kRounds / 4);
  CHECK(s.b.stop() == 0);
}

void race_on_sqlite(Failure failure) {
  sgtest::TempDir dir;
  race("SQLite", "sqlite:" + dir.file("chat.db"), dir, failure);
}

void race_on_postgres(Failure failure) {
  sgtest::TempDir dir;
  sgtest::PostgresDatabase database;
  race("Postgres", database.uri(), dir, failure);
}

}  // namespace

TEST_CASE("chatbot servers: SQLite - a turn failing on server A never erases server B's (client disconnect)") {
  race_on_sqlite(Failure::disconnect);
}
TEST_CASE("chatbot servers: SQLite - a turn failing on server A never erases server B's (model error)") {
  race_on_sqlite(Failure::model_error);
}
TEST_CASE("chatbot servers: SQLite - a turn failing on server A never erases server B's (new thread)") {
  race_on_sqlite(Failure::new_thread);
}
TEST_CASE("chatbot servers: Postgres - a turn failing on server A never erases server B's (client disconnect)") {
  race_on_postgres(Failure::disconnect);
}
TEST_CASE("chatbot servers: Postgres - a turn failing on server A never erases server B's (model error)") {
  race_on_postgres(Failure::model_error);
}
TEST_CASE("chatbot servers: Postgres - a turn failing on server A never erases server B's (new thread)") {
  race_on_postgres(Failure::new_thread);
}
