// Abandoned turns (issue 13 item 3): a `sg-chatbot serve` process killed with SIGKILL in the
// middle of a turn leaves the thread's head inside that turn (its human message, no reply). The
// next turn on the thread — here on another server process on the same store — rolls it back
// first: the history then holds every acknowledged turn, once, in order, human and AI
// alternating, and none of the killed turns. On one SQLite file and on one Postgres database.
#include <doctest/doctest.h>

#include <iostream>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "http_client.hpp"
#include "server_process.hpp"
#include "servers_common.hpp"
#include "temp_dir.hpp"

using sgtest::HttpClient;
using sgtest::HttpResult;

namespace {

constexpr int kRounds = 12;

std::vector<std::string> offline(const std::string& checkpoints, int delay_ms) {
  return {"--checkpoints", checkpoints, "--offline", "--fake-delay-ms", std::to_string(delay_ms), "--memory", "buffer"};
}

void killed_mid_turn(const std::string& store, const std::string& checkpoints, const sgtest::TempDir& dir) {
  // A streams slowly (40 ms a word) and is killed at its first word; B answers the next turns.
  const auto a_args = offline(checkpoints, 40);
  std::optional<sgtest::ServerProcess> a;
  a.emplace(SG_CHATBOT_BIN, a_args, dir.file("a0.log"));
  sgtest::ServerProcess b(SG_CHATBOT_BIN, offline(checkpoints, 0), dir.file("b.log"));
  const std::string thread = "abandoned-" + std::to_string(std::random_device{}() % 100000);

  std::vector<std::string> expected;  // the texts of the acknowledged turns, in order
  const HttpResult seed = HttpClient(b.url()).post("/chat", {{"session_id", thread}, {"message", "seed"}});
  REQUIRE(seed.status == 200);
  expected = {"seed", seed.json()["response"].get<std::string>()};

  int dangling = 0;   // rounds whose kill left the human message of the killed turn at the head
  int recovered = 0;  // rounds whose next turn found the history right again
  for (int i = 0; i < kRounds; ++i) {
    CAPTURE(i);
    const std::string killed = "killed " + std::to_string(i);
    bool word = false;
    HttpClient(a->url()).stream("/chat/stream", {{"session_id", thread}, {"message", killed}}, [&](std::string_view data) {
      word = word || data.find("data: ") != std::string_view::npos;
      if (word) a->kill();  // SIGKILL mid-stream: no rollback can run
      return !word;
    });
    REQUIRE_MESSAGE(word, a->log());
    const auto after_kill = sgtest::history(b.url(), thread);
    if (!after_kill.empty() && after_kill.back() == sgtest::HistoryMessage{"human", killed}) ++dangling;

    const std::string message = "whats " + std::to_string(i) + " + 1";
    const HttpResult r = HttpClient(b.url()).post("/chat", {{"session_id", thread}, {"message", message}});
    REQUIRE_MESSAGE(r.status == 200, r.body << r.error);
    expected.insert(expected.end(), {message, r.json()["response"].get<std::string>()});

    const auto got = sgtest::history(b.url(), thread);
    std::vector<std::string> texts;
    bool alternating = true;
    for (std::size_t k = 0; k < got.size(); ++k) {
      texts.push_back(got[k].content);
      alternating = alternating && got[k].role == (k % 2 == 0 ? "human" : "ai");
    }
    CHECK_MESSAGE(texts == expected, "history: " << sgtest::joined(texts) << "\nexpected: " << sgtest::joined(expected));
    CHECK(alternating);
    if (texts == expected && alternating) ++recovered;
    a.emplace(SG_CHATBOT_BIN, a_args, dir.file("a" + std::to_string(i + 1) + ".log"));  // the next crash's victim
  }
  std::cout << "chatbot servers: " << store << ", SIGKILL mid-turn: " << kRounds << " servers killed, " << dangling
            << " left a human message with no reply at the head, " << recovered
            << " histories right after the next turn (on the other server)" << std::endl;
  // The kills happened where they matter: after the turn's input was stored.
  CHECK(dangling >= kRounds / 2);
  CHECK(recovered == kRounds);
  CHECK(b.stop() == 0);
}

}  // namespace

TEST_CASE("chatbot servers: SQLite - a turn killed mid-stream is rolled back by the next turn on another server") {
  sgtest::TempDir dir;
  killed_mid_turn("SQLite", "sqlite:" + dir.file("chat.db"), dir);
}

TEST_CASE("chatbot servers: Postgres - a turn killed mid-stream is rolled back by the next turn on another server") {
  sgtest::TempDir dir;
  sgtest::PostgresDatabase database;
  killed_mid_turn("Postgres", database.uri(), dir);
}
