// `sg-bench server`: see server.hpp. Each client is a coroutine on one io_context (one thread):
// it creates its thread, then sends a run, reads and checks the answer, and sends the next.
#include "server.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <thread>
#include <utility>
#include <variant>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/verb.hpp>
#include <nlohmann/json.hpp>

#include "bench.hpp"
#include "http_load.hpp"

extern char** environ;  // NOLINT(readability-redundant-declaration): POSIX, for posix_spawn

namespace sg_bench {
namespace {

namespace net = boost::asio;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

/// One `sg-agent-server --host 127.0.0.1 --port 0 ARGS...` process, its output in `log_path`; serving
/// once constructed. Stopped with SIGTERM (SIGKILL after 10 s).
class AgentServerProcess {
 public:
  /// @throws std::runtime_error (with the log) when it cannot start, exits, or does not print its
  ///         "serving on http://HOST:PORT/" line within 30 s.
  AgentServerProcess(const std::string& binary, const std::vector<std::string>& args, std::filesystem::path log_path)
      : log_(std::move(log_path)) {
    std::vector<std::string> argv_strings{binary, "--host", "127.0.0.1", "--port", "0"};
    argv_strings.insert(argv_strings.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_strings) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
    const int rc = ::posix_spawn(&pid_, binary.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) throw std::runtime_error("cannot start " + binary + ": " + std::strerror(rc));
    const auto until = Clock::now() + std::chrono::seconds(30);
    for (;;) {
      const std::string text = log();
      constexpr std::string_view banner = "serving on http://";
      if (const auto at = text.find(banner); at != std::string::npos) {
        const auto end = text.find('/', at + banner.size());
        if (end != std::string::npos) {
          url_ = text.substr(at + banner.size() - 7, end - (at + banner.size() - 7));  // "http://HOST:PORT"
          return;
        }
      }
      if (reap(std::chrono::milliseconds(0)))
        throw std::runtime_error(binary + " exited (status " + std::to_string(status_) + ") before serving:\n" + text);
      if (Clock::now() > until) {
        stop();
        throw std::runtime_error(binary + " did not serve within 30 s:\n" + text);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  ~AgentServerProcess() { stop(); }
  AgentServerProcess(const AgentServerProcess&) = delete;
  AgentServerProcess& operator=(const AgentServerProcess&) = delete;

  /// SIGTERM, then waits for the exit (SIGKILL after 10 s). Returns the exit status (-1 after a
  /// signal). Idempotent.
  int stop() {
    if (pid_ < 0) return status_;
    ::kill(pid_, SIGTERM);
    if (!reap(std::chrono::seconds(10))) {
      ::kill(pid_, SIGKILL);
      reap(std::chrono::seconds(10));
      status_ = -1;
    }
    return status_;
  }
  [[nodiscard]] const std::string& url() const noexcept { return url_; }
  [[nodiscard]] pid_t pid() const noexcept { return pid_; }
  [[nodiscard]] std::string log() const { return read_text(log_); }

 private:
  /// Waits up to `limit` for the exit; true (pid_ = -1, status_ set) once it exited.
  bool reap(std::chrono::milliseconds limit) {
    const auto until = Clock::now() + limit;
    for (;;) {
      int raw = 0;
      const pid_t r = ::waitpid(pid_, &raw, WNOHANG);
      if (r == pid_ || r < 0) {
        status_ = r == pid_ && WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
        pid_ = -1;
        return true;
      }
      if (Clock::now() > until) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }

  std::filesystem::path log_;
  pid_t pid_ = -1;
  int status_ = -1;
  std::string url_;
};

/// What the clients share: where they go, what they measured, what went wrong.
struct Load {
  const ServerOptions* options = nullptr;
  std::vector<tcp::endpoint> servers;
  int warming = 0;  // clients still in their warm-up
  std::function<void()> on_warmed;
  std::vector<double> latencies_ms;
  std::vector<double> first_token_ms;
  long errors = 0;
  std::vector<std::string> failures;  // the first few

  void fail(std::string what) {
    ++errors;
    if (failures.size() < 10) failures.push_back(std::move(what));
  }
  void warmed() {
    if (--warming == 0) on_warmed();
  }
};

/// A thread id in UUID form, unique to the client within the run.
std::string thread_id_of(int client, std::uint64_t salt) {
  char out[40];
  std::snprintf(out, sizeof out, "%08x-0000-4000-8000-%012llx", static_cast<unsigned>(salt & 0xffffffffU),
                static_cast<unsigned long long>(client));
  return out;
}

/// The SSE events of a whole stream body: (event, data) pairs.
std::vector<std::pair<std::string, std::string>> sse_events(std::string_view body) {
  std::vector<std::pair<std::string, std::string>> out;
  std::string event;
  std::string data;
  bool any = false;
  std::size_t begin = 0;
  while (begin <= body.size()) {
    auto end = body.find('\n', begin);
    if (end == std::string_view::npos) end = body.size();
    std::string_view line = body.substr(begin, end - begin);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) {
      if (any) out.emplace_back(std::move(event), std::move(data));
      event.clear();
      data.clear();
      any = false;
    } else if (line.rfind("event:", 0) == 0) {
      event = std::string(line.substr(line.size() > 6 && line[6] == ' ' ? 7 : 6));
      any = true;
    } else if (line.rfind("data:", 0) == 0) {
      if (!data.empty()) data += '\n';
      data += line.substr(line.size() > 5 && line[5] == ' ' ? 6 : 5);
      any = true;
    }
    if (end == body.size()) break;
    begin = end + 1;
  }
  if (any) out.emplace_back(std::move(event), std::move(data));
  return out;
}

/// Checks a chain run's answer (the thread's values after it). `runs_before`: the runs that
/// thread had (each adds 4 to count: the input's 1 and one per node); nullopt after a failed
/// run, whose effect is unknown. Returns the runs the thread now has, or an error.
std::variant<int, std::string> check_chain(const HttpResponse& res, std::optional<int> runs_before, int input_count,
                                           bool stateless) {
  if (res.result() != http::status::ok) return "HTTP " + std::to_string(res.result_int()) + " " + res.body();
  const auto v = nlohmann::json::parse(res.body(), nullptr, false);
  if (!v.is_object() || !v.contains("count") || !v["count"].is_number_integer() || !v.contains("steps") ||
      !v["steps"].is_array())
    return "not chain values: " + res.body();
  const int count = v["count"].get<int>();
  const auto& steps = v["steps"];
  const bool last_abc = steps.size() >= 3 && steps[steps.size() - 3] == "a" && steps[steps.size() - 2] == "b" &&
                        steps[steps.size() - 1] == "c";
  if (stateless) {
    if (count != input_count + 3 || steps != nlohmann::json{"a", "b", "c"}) return "stateless run gave " + res.body();
    return 1;
  }
  const int runs = count / 4;
  const bool consistent = count % 4 == 0 && steps.size() == static_cast<std::size_t>(3 * runs) && last_abc;
  if (!consistent || (runs_before && runs != *runs_before + 1))
    return "after " + (runs_before ? std::to_string(*runs_before) : std::string("?")) + " runs the thread holds " +
           res.body();
  return runs;
}

/// Checks an agent run's stream: a metadata event first, no error event, and the AI chunks'
/// text equal to `reply`.
std::optional<std::string> check_agent(const HttpResponse& res, const std::string& reply) {
  if (res.result() != http::status::ok) return "HTTP " + std::to_string(res.result_int()) + " " + res.body();
  const auto events = sse_events(res.body());
  if (events.empty() || events.front().first != "metadata") return "the stream does not start with metadata: " + res.body();
  std::string text;
  for (const auto& [event, data] : events) {
    if (event == "error") return "error event: " + data;
    if (event != "messages") continue;
    const auto tuple = nlohmann::json::parse(data, nullptr, false);
    if (!tuple.is_array() || tuple.size() != 2 || !tuple[0].is_object()) return "bad messages event: " + data;
    const auto& chunk = tuple[0];
    const std::string type = chunk.value("type", "");
    if (type != "AIMessageChunk" && type != "ai") continue;
    if (chunk.contains("content") && chunk["content"].is_string()) text += chunk["content"].get<std::string>();
  }
  if (text != reply) return "streamed \"" + text + "\", expected \"" + reply + "\"";
  return std::nullopt;
}

// The request bodies, built outside the coroutine (g++ 12 rejects braced JSON initializers in one).
std::string thread_body(const std::string& thread_id) { return nlohmann::json{{"thread_id", thread_id}}.dump(); }
std::string chain_body(int input_count, const std::string& durability) {
  nlohmann::json body{{"assistant_id", "chain"}, {"input", {{"count", input_count}}}};
  if (!durability.empty()) body["durability"] = durability;
  return body.dump();
}
std::string agent_body(const std::string& text, const std::string& durability) {
  nlohmann::json body{{"assistant_id", "agent"},
                      {"input", {{"messages", {{{"role", "user"}, {"content", text}}}}}},
                      {"stream_mode", {"messages-tuple"}}};
  if (!durability.empty()) body["durability"] = durability;
  return body.dump();
}

net::awaitable<void> client(Load& load, int index, std::uint64_t salt) {
  const ServerOptions& o = *load.options;
  const auto executor = co_await net::this_coro::executor;
  const auto n = static_cast<int>(load.servers.size());
  std::vector<std::unique_ptr<HttpConnection>> connections(load.servers.size());
  auto connection = [&](int server) -> HttpConnection& {
    auto& c = connections[static_cast<std::size_t>(server)];
    if (!c) c = std::make_unique<HttpConnection>(executor, load.servers[static_cast<std::size_t>(server)]);
    return *c;
  };
  const int home = index % n;
  const std::string thread_id = thread_id_of(index, salt);
  const std::string name = "client " + std::to_string(index) + " (thread " + thread_id + ")";
  bool thread_ok = o.stateless;
  if (!o.stateless) {
    try {
      const auto res = co_await connection(home).request(http::verb::post, "/threads", thread_body(thread_id));
      if (res.result() == http::status::ok) thread_ok = true;
      else load.fail(name + " creating its thread: HTTP " + std::to_string(res.result_int()) + " " + res.body());
    } catch (const std::exception& e) {
      load.fail(name + " creating its thread: " + e.what());
    }
  }
  std::optional<int> runs_on_thread = 0;
  for (int r = 0; r < o.warmup + o.runs; ++r) {
    if (r == o.warmup) load.warmed();
    const bool measured = r >= o.warmup;
    if (!thread_ok) {  // not sent (each would be a 404): every measured run counts as failed
      if (measured) load.fail(name + " run " + std::to_string(r + 1) + ": no thread");
      continue;
    }
    const int server = o.spread ? (index + r) % n : home;
    const std::string where = name + " run " + std::to_string(r + 1) + " on server " + std::to_string(server) + ": ";
    try {
      if (o.graph == "chain") {
        const int input = o.stateless ? r : 1;
        const std::string target = o.stateless ? "/runs/wait" : "/threads/" + thread_id + "/runs/wait";
        const auto sent = Clock::now();
        const auto res = co_await connection(server).request(http::verb::post, target, chain_body(input, o.durability));
        const double ms = std::chrono::duration<double, std::milli>(Clock::now() - sent).count();
        auto checked = check_chain(res, runs_on_thread, input, o.stateless);
        if (const auto* error = std::get_if<std::string>(&checked)) {
          load.fail(where + *error);
          runs_on_thread.reset();
        } else {
          runs_on_thread = std::get<int>(checked);
          if (measured) load.latencies_ms.push_back(ms);
        }
      } else {
        const std::string text = "client " + std::to_string(index) + " turn " + std::to_string(r + 1) + ": hello there";
        const auto sent = Clock::now();
        std::optional<double> first_token;
        std::size_t scanned = 0;
        auto progress = [&](std::string_view so_far) {
          if (first_token) return;
          // The first "messages" event: the model's first token (the agent's chunks are its only ones).
          const auto from = scanned > 16 ? scanned - 16 : 0;
          if (so_far.find("event: messages", from) != std::string_view::npos)
            first_token = std::chrono::duration<double, std::milli>(Clock::now() - sent).count();
          scanned = so_far.size();
        };
        const auto res = co_await connection(server).request(http::verb::post, "/threads/" + thread_id + "/runs/stream",
                                                             agent_body(text, o.durability), progress);
        const double ms = std::chrono::duration<double, std::milli>(Clock::now() - sent).count();
        if (auto error = check_agent(res, "You said: " + text)) {
          load.fail(where + *error);
        } else if (measured) {
          load.latencies_ms.push_back(ms);
          if (first_token) load.first_token_ms.push_back(*first_token);
        }
      }
    } catch (const std::exception& e) {
      load.fail(where + e.what());
      runs_on_thread.reset();
    }
  }
}

std::string agent_server_binary(const std::string& given) {
#ifdef SG_AGENT_SERVER_BIN
  return server_binary(given, SG_AGENT_SERVER_BIN, "sg-agent-server", "--server-bin");
#else
  return server_binary(given, nullptr, "sg-agent-server", "--server-bin");
#endif
}

nlohmann::json rounded(const std::vector<double>& v) {
  nlohmann::json out = nlohmann::json::array();
  for (double x : v) out.push_back(round2(x));
  return out;
}

}  // namespace

void run_server(const ServerOptions& o) {
  if (o.stateless && o.graph != "chain") throw std::runtime_error("sg-bench server: --stateless is for --graph chain");
  if (o.store == "memory" && o.servers > 1)
    throw std::runtime_error("sg-bench server: --store memory cannot be shared by several servers");
  const std::string binary = agent_server_binary(o.binary);
  const TempDir temp("sg-bench-server", o.keep);
  const std::filesystem::path& dir = temp.path();
  std::optional<PostgresDatabase> database;
  std::string store = "memory";
  if (o.store == "postgres") {
    database.emplace(postgres_uri(o.postgres), "sg_bench_server", o.keep);
    store = database->uri();
  } else if (o.store == "sqlite") {
    store = "sqlite:" + (dir / "agent.db").string();
  }
  std::vector<std::string> args{"--store", store, "--run-workers", std::to_string(o.run_workers)};
  args.insert(args.end(), o.server_args.begin(), o.server_args.end());
  // One after another: the first creates the store's schema.
  std::vector<std::unique_ptr<AgentServerProcess>> servers;
  for (int i = 0; i < o.servers; ++i)
    servers.push_back(
        std::make_unique<AgentServerProcess>(binary, args, dir / ("server-" + std::to_string(i) + ".log")));

  Load load;
  load.options = &o;
  for (const auto& s : servers) load.servers.push_back(endpoint_of(s->url()));
  load.warming = o.clients;
  load.latencies_ms.reserve(static_cast<std::size_t>(o.clients) * static_cast<std::size_t>(o.runs));
  std::vector<std::string> pids;
  for (const auto& s : servers) pids.push_back(std::to_string(s->pid()));
  auto servers_cpu = [&pids] {
    double sum = 0;
    for (const auto& pid : pids) sum += cpu_seconds(pid);
    return sum;
  };
  Clock::time_point start;
  double server_cpu0 = 0;
  double client_cpu0 = 0;
  long errors_in_warmup = 0;
  std::vector<double> load_start;
  MachineCpu machine_start;
  // The clock and the CPU counters start once every client has finished its warm-up.
  load.on_warmed = [&] {
    start = Clock::now();
    server_cpu0 = servers_cpu();
    client_cpu0 = cpu_seconds("self");
    errors_in_warmup = load.errors;
    load_start = load_average();
    machine_start = machine_cpu();
  };
  const auto salt = static_cast<std::uint64_t>(std::random_device{}());
  net::io_context ioc(1);
  for (int i = 0; i < o.clients; ++i)
    net::co_spawn(ioc, client(load, i, salt), [&load](const std::exception_ptr& e) {
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& x) {
        load.fail(std::string("client: ") + x.what());
      }
    });
  ioc.run();
  const double wall_s = std::chrono::duration<double>(Clock::now() - start).count();
  const double server_cpu = servers_cpu() - server_cpu0;
  const double client_cpu = cpu_seconds("self") - client_cpu0;
  const auto load_end = load_average();
  const auto [idle_pct, steal_pct] = idle_and_steal_pct(machine_start, machine_cpu());
  nlohmann::json rss = nlohmann::json::array();
  for (const auto& s : servers) {
    const auto mib = peak_rss_mib(s->pid());
    rss.push_back(mib ? nlohmann::json(std::round(*mib * 10) / 10) : nlohmann::json());
  }
  std::vector<std::string> logs;
  for (std::size_t i = 0; i < servers.size(); ++i) {
    logs.push_back(servers[i]->log());
    if (const int status = servers[i]->stop(); status != 0)
      load.fail("server " + std::to_string(i) + " exited with status " + std::to_string(status));
  }

  auto& lat = load.latencies_ms;
  auto& ttft = load.first_token_ms;
  std::sort(lat.begin(), lat.end());
  std::sort(ttft.begin(), ttft.end());
  const double runs = static_cast<double>(lat.size());
  auto figure = [](const std::vector<double>& v, double q) {
    return v.empty() ? nlohmann::json() : nlohmann::json(round2(quantile(v, q)));
  };
  std::cout << nlohmann::json{{"bench", "server"},
                              {"graph", o.graph},
                              {"stateless", o.stateless},
                              {"durability", o.durability.empty() ? nlohmann::json() : nlohmann::json(o.durability)},
                              {"spread", o.spread},
                              {"servers", o.servers},
                              {"clients", o.clients},
                              {"run_workers", o.run_workers},
                              {"store", o.store},
                              {"store_fs", o.store == "sqlite" ? nlohmann::json(file_system_of(dir)) : nlohmann::json()},
                              {"runs", lat.size()},
                              {"errors", load.errors},
                              {"warmup_errors", errors_in_warmup},
                              {"runs_per_s", runs > 0 ? std::round(runs / wall_s) : 0.0},
                              {"p50_ms", figure(lat, 0.50)},
                              {"p90_ms", figure(lat, 0.90)},
                              {"p99_ms", figure(lat, 0.99)},
                              {"max_ms", lat.empty() ? nlohmann::json() : nlohmann::json(round2(lat.back()))},
                              {"first_token_p50_ms", figure(ttft, 0.50)},
                              {"first_token_p99_ms", figure(ttft, 0.99)},
                              {"wall_s", round2(wall_s)},
                              {"server_cpu_s", round2(server_cpu)},
                              {"server_cpu_ms_per_run", runs > 0 ? nlohmann::json(round2(1000 * server_cpu / runs)) : nlohmann::json()},
                              {"client_cpu_s", round2(client_cpu)},
                              {"server_peak_rss_mib", rss},
                              {"load_average_start", rounded(load_start)},
                              {"load_average_end", rounded(load_end)},
                              {"machine_idle_pct", idle_pct},
                              {"machine_steal_pct", steal_pct}}
                   .dump()
            << std::endl;
  if (load.errors != 0) {
    std::cerr << "sg-bench server: " << load.errors << " error(s); the first:\n";
    for (const auto& f : load.failures) std::cerr << "  " << f << "\n";
    for (std::size_t i = 0; i < logs.size(); ++i) {
      const auto& log = logs[i];
      std::cerr << "server " << i << " log (last 2,000 bytes):\n"
                << (log.size() > 2000 ? log.substr(log.size() - 2000) : log) << "\n";
    }
  }
  if (o.keep) std::cerr << "sg-bench: kept " << dir.string() << " (server logs" << (o.store == "sqlite" ? ", agent.db" : "") << ")\n";
  if (load.errors != 0) throw std::runtime_error("server: " + std::to_string(load.errors) + " run(s) failed");
}

}  // namespace sg_bench
