// `sg-bench serve`: see serve.hpp. The client is Boost.Beast over Asio C++20 coroutines on one
// thread: each session is a coroutine with its own connection, which sends a turn, reads the
// answer, checks it and sends the next.
#include "serve.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <functional>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>  // before boost/asio/awaitable.hpp, which uses std::exchange without it
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/verb.hpp>
#include <nlohmann/json.hpp>

#include "bench.hpp"
#include "http_load.hpp"
#include "server_process.hpp"  // tests/chatbot: a real sg-chatbot serve process

namespace sg_bench {
namespace {

namespace net = boost::asio;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

/// What the sessions share: where they go, what they measured, the first failure.
struct Load {
  tcp::endpoint server;
  int warmup = 0;
  int turns = 0;
  int warming = 0;  // sessions still in their warm-up
  Clock::time_point start;
  std::vector<double> latencies_ms;
  std::string failure;
};

net::awaitable<void> session(Load& load, int index, std::function<void()> warmed) {
  HttpConnection connection(co_await net::this_coro::executor, load.server);
  co_await connection.connect();
  const std::string id = "bench-" + std::to_string(index);
  for (int t = 0; t < load.warmup + load.turns && load.failure.empty(); ++t) {
    if (t == load.warmup) warmed();
    std::string request =
        nlohmann::json{{"session_id", id}, {"message", "turn " + std::to_string(t + 1) + ": tell me something about graphs"}}.dump();
    const auto sent = Clock::now();
    const HttpResponse res = co_await connection.request(http::verb::post, "/chat", std::move(request));
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - sent).count();
    if (t >= load.warmup) load.latencies_ms.push_back(ms);
    const auto body = nlohmann::json::parse(res.body(), nullptr, false);
    if (res.result() != http::status::ok || !body.is_object() || body.value("turn_count", -1) != t + 1) {
      if (load.failure.empty())
        load.failure = "session " + id + " turn " + std::to_string(t + 1) + ": HTTP " +
                       std::to_string(res.result_int()) + " " + res.body();
      co_return;
    }
  }
}

std::string chatbot_binary(const std::string& given) {
#ifdef SG_CHATBOT_BIN
  return server_binary(given, SG_CHATBOT_BIN, "sg-chatbot", "--binary");
#else
  return server_binary(given, nullptr, "sg-chatbot", "--binary");
#endif
}

}  // namespace

void run_serve(const ServeOptions& o) {
  const std::string binary = chatbot_binary(o.binary);
  const TempDir temp("sg-bench-serve", o.keep);
  const std::filesystem::path& dir = temp.path();
  std::optional<PostgresDatabase> database;
  std::string store;
  if (o.store == "postgres") {
    database.emplace(postgres_uri(o.postgres), "sg_bench_serve", o.keep);
    store = database->uri();
  } else {
    store = "sqlite:" + (dir / "chat.db").string();
  }
  std::vector<std::string> args{"--offline", "--checkpoints", store, "--threads", std::to_string(o.server_threads)};
  args.insert(args.end(), o.server_args.begin(), o.server_args.end());
  sgtest::ServerProcess server(binary, args, (dir / "server.log").string());

  Load load;
  load.server = endpoint_of(server.url());
  load.warmup = o.warmup;
  load.turns = o.turns;
  load.warming = o.sessions;
  load.latencies_ms.reserve(static_cast<std::size_t>(o.sessions) * static_cast<std::size_t>(o.turns));
  const std::string server_pid = std::to_string(server.pid());
  double server_cpu0 = 0;
  double client_cpu0 = 0;
  // The clock and the CPU counters start once every session has finished its warm-up.
  auto warmed = [&] {
    if (--load.warming != 0) return;
    load.start = Clock::now();
    server_cpu0 = cpu_seconds(server_pid);
    client_cpu0 = cpu_seconds("self");
  };
  net::io_context ioc(1);
  for (int i = 0; i < o.sessions; ++i)
    net::co_spawn(ioc, session(load, i, warmed), [&load](const std::exception_ptr& e) {
      if (!e || !load.failure.empty()) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& x) {
        load.failure = std::string("client: ") + x.what();
      }
    });
  ioc.run();
  const double wall_s = std::chrono::duration<double>(Clock::now() - load.start).count();
  const double server_cpu = cpu_seconds(server_pid) - server_cpu0;
  const double client_cpu = cpu_seconds("self") - client_cpu0;
  if (!load.failure.empty()) throw std::runtime_error(load.failure + "\nserver log:\n" + server.log());
  server.stop();

  auto& lat = load.latencies_ms;
  std::sort(lat.begin(), lat.end());
  const double turns = static_cast<double>(lat.size());
  std::cout << nlohmann::json{{"bench", "serve"},
                              {"store", o.store},
                              {"tmpdir_fs", o.store == "sqlite" ? nlohmann::json(file_system_of(dir)) : nlohmann::json()},
                              {"sessions", o.sessions},
                              {"turns", lat.size()},
                              {"server_threads", o.server_threads},
                              {"turns_per_s", std::round(turns / wall_s)},
                              {"p50_ms", round2(quantile(lat, 0.50))},
                              {"p90_ms", round2(quantile(lat, 0.90))},
                              {"p99_ms", round2(quantile(lat, 0.99))},
                              {"max_ms", round2(lat.back())},
                              {"wall_s", round2(wall_s)},
                              {"server_cpu_s", round2(server_cpu)},
                              {"client_cpu_s", round2(client_cpu)},
                              {"server_cpu_ms_per_turn", round2(1000 * server_cpu / turns)}}
                   .dump()
            << std::endl;
  if (o.keep) std::cerr << "sg-bench: kept " << dir.string() << " (server.log" << (database ? "" : ", chat.db") << ")\n";
}

}  // namespace sg_bench
