// `sg-bench serve`: see serve.hpp. The client is Boost.Beast over Asio C++20 coroutines on one
// thread: each session is a coroutine with its own connection, which sends a turn, reads the
// answer, checks it and sends the next.
#include "serve.hpp"

#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "bench.hpp"
#include "server_process.hpp"  // tests/chatbot: a real sg-chatbot serve process

namespace sg_bench {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

/// User plus system CPU seconds of process `pid` ("self" for this one), from /proc/PID/stat.
double cpu_seconds(const std::string& pid) {
  const std::string stat = read_file("/proc/" + pid + "/stat");
  // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
  std::istringstream rest(stat.substr(stat.rfind(')') + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i)
    if (i >= 14) ticks += std::stod(field);
  return ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

/// "tmpfs", "ext4" or the hex magic of the file system holding `path`.
std::string file_system_of(const std::filesystem::path& path) {
  struct statfs fs {};
  if (::statfs(path.c_str(), &fs) != 0) return "unknown";
  if (fs.f_type == 0x01021994) return "tmpfs";
  if (fs.f_type == 0xEF53) return "ext4";
  std::ostringstream hex;
  hex << "0x" << std::hex << fs.f_type;
  return hex.str();
}

/// A database of its own in the Postgres cluster at `cluster_uri`, dropped at the end.
class PostgresDatabase {
 public:
  explicit PostgresDatabase(std::string cluster_uri, bool keep)
      : cluster_(std::move(cluster_uri)), name_("sg_bench_serve_" + std::to_string(::getpid())), keep_(keep) {
    pqxx::connection admin(cluster_);
    pqxx::nontransaction(admin).exec("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
    pqxx::nontransaction(admin).exec("CREATE DATABASE " + name_);
    // The cluster URI with its path (the database) replaced.
    const auto authority = cluster_.find("://");
    const auto path = cluster_.find('/', authority == std::string::npos ? 0 : authority + 3);
    const auto query = cluster_.find('?', path);
    uri_ = cluster_.substr(0, path) + "/" + name_ + (query == std::string::npos ? "" : cluster_.substr(query));
  }
  ~PostgresDatabase() {
    if (keep_) {
      std::cerr << "sg-bench: kept the database " << uri_ << "\n";
      return;
    }
    try {
      pqxx::connection admin(cluster_);
      pqxx::nontransaction(admin).exec("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
    } catch (const std::exception& e) {
      std::cerr << "sg-bench: could not drop the database " << name_ << ": " << e.what() << "\n";
    }
  }
  PostgresDatabase(const PostgresDatabase&) = delete;
  PostgresDatabase& operator=(const PostgresDatabase&) = delete;
  [[nodiscard]] const std::string& uri() const noexcept { return uri_; }

 private:
  std::string cluster_;
  std::string name_;
  std::string uri_;
  bool keep_;
};

/// What the sessions share: where they go, what they measured, the first failure.
struct Load {
  tcp::endpoint server;
  std::string host;  // the Host header
  int warmup = 0;
  int turns = 0;
  int warming = 0;  // sessions still in their warm-up
  Clock::time_point start;
  std::vector<double> latencies_ms;
  std::string failure;
};

net::awaitable<void> session(Load& load, int index, std::function<void()> warmed) {
  tcp::socket socket(co_await net::this_coro::executor);
  co_await socket.async_connect(load.server, net::use_awaitable);
  socket.set_option(tcp::no_delay(true));
  beast::flat_buffer buffer;
  const std::string id = "bench-" + std::to_string(index);
  for (int t = 0; t < load.warmup + load.turns && load.failure.empty(); ++t) {
    if (t == load.warmup) warmed();
    http::request<http::string_body> req{http::verb::post, "/chat", 11};
    req.set(http::field::host, load.host);
    req.set(http::field::content_type, "application/json");
    req.body() = nlohmann::json{{"session_id", id}, {"message", "turn " + std::to_string(t + 1) + ": tell me something about graphs"}}.dump();
    req.prepare_payload();
    const auto sent = Clock::now();
    co_await http::async_write(socket, req, net::use_awaitable);
    http::response<http::string_body> res;
    co_await http::async_read(socket, buffer, res, net::use_awaitable);
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

/// The `q` quantile (0..1) of sorted `v`, nearest rank.
double quantile(const std::vector<double>& v, double q) {
  const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size())));
  return v[std::min(v.size() - 1, rank == 0 ? 0 : rank - 1)];
}

double round2(double x) { return std::round(x * 100) / 100; }

std::string chatbot_binary(const std::string& given) {
  if (!given.empty()) return given;
#ifdef SG_CHATBOT_BIN
  return SG_CHATBOT_BIN;
#else
  const auto here = std::filesystem::read_symlink("/proc/self/exe").parent_path() / "sg-chatbot";
  if (std::filesystem::exists(here)) return here.string();
  throw std::runtime_error("sg-bench serve: --binary PATH of sg-chatbot is required");
#endif
}

}  // namespace

void run_serve(const ServeOptions& o) {
  const std::string binary = chatbot_binary(o.binary);
  std::string pattern = (std::filesystem::temp_directory_path() / "sg-bench-serve-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  const std::filesystem::path dir = pattern;
  std::optional<PostgresDatabase> database;
  std::string store;
  if (o.store == "postgres") {
    database.emplace(postgres_uri(o.postgres), o.keep);
    store = database->uri();
  } else {
    store = "sqlite:" + (dir / "chat.db").string();
  }
  std::vector<std::string> args{"--offline", "--checkpoints", store, "--threads", std::to_string(o.server_threads)};
  args.insert(args.end(), o.server_args.begin(), o.server_args.end());
  sgtest::ServerProcess server(binary, args, (dir / "server.log").string());
  const auto port = static_cast<unsigned short>(std::stoi(server.url().substr(server.url().rfind(':') + 1)));

  Load load;
  load.server = tcp::endpoint(net::ip::make_address("127.0.0.1"), port);
  load.host = "127.0.0.1:" + std::to_string(port);
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
  else std::filesystem::remove_all(dir);
}

}  // namespace sg_bench
