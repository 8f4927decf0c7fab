#pragma once
// What sg-bench's server benchmarks (`serve`: sg-chatbot; `server`: sg-agent-server) share: a
// keep-alive HTTP/1.1 client connection for Asio C++20 coroutines (Boost.Beast), the server's and
// the client's CPU and memory from /proc, the file system under a path, a Postgres database of
// the bench's own, and the latency figures.
//
// Thread-safety: HttpConnection belongs to one coroutine at a time (its io_context's thread);
// the free functions are thread-safe; PostgresDatabase has one owner.

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>  // before boost/asio/awaitable.hpp, which uses std::exchange without it
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/verb.hpp>

namespace sg_bench {

using HttpResponse = boost::beast::http::response<boost::beast::http::string_body>;

/// One keep-alive HTTP/1.1 connection to `server`, opened by the first request (and again after
/// a failed one). Every operation has a timeout (`timeout`, default 60 s). Errors are thrown as
/// boost::system::system_error; the connection is then closed, so the next request reconnects.
class HttpConnection {
 public:
  HttpConnection(boost::asio::any_io_executor executor, boost::asio::ip::tcp::endpoint server,
                 std::chrono::seconds timeout = std::chrono::seconds(60));

  /// Sends one request (a JSON body when `body` is not empty) and reads the whole answer. With
  /// `progress`, the body is read piece by piece and `progress(body so far)` is called after each
  /// piece (an SSE stream: the first token's time); the answer's body is then the whole body.
  boost::asio::awaitable<HttpResponse> request(boost::beast::http::verb method, std::string target, std::string body,
                                               const std::function<void(std::string_view)>& progress = {});

  /// Connects now unless connected (request() does it too).
  boost::asio::awaitable<void> connect();

  /// Closes the connection (the next request reconnects).
  void close() noexcept;

 private:
  boost::asio::ip::tcp::endpoint server_;
  std::string host_;  // the Host header
  std::chrono::seconds timeout_;
  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  bool connected_ = false;
};

/// The endpoint and the port of a server's "http://HOST:PORT/" URL (HOST an IPv4 address).
boost::asio::ip::tcp::endpoint endpoint_of(const std::string& url);

/// User plus system CPU seconds of process `pid` ("self" for this one), from /proc/PID/stat; 0
/// when the process is gone.
double cpu_seconds(const std::string& pid);

/// Peak resident set size (VmHWM) of process `pid` in MiB, from /proc/PID/status; nullopt when
/// it cannot be read.
std::optional<double> peak_rss_mib(pid_t pid);

/// The 1-, 5- and 15-minute load averages, from /proc/loadavg.
std::vector<double> load_average();

/// The machine's CPU time so far, all cores, in clock ticks (the "cpu" line of /proc/stat).
struct MachineCpu {
  double total = 0;  ///< every state
  double idle = 0;   ///< idle + iowait
  double steal = 0;  ///< taken by the hypervisor for other guests (a virtual machine's host)
};
MachineCpu machine_cpu();
/// Of the CPU time between `a` and `b`: the idle and the stolen share in percent, rounded to
/// 0.1 ({idle, steal}; zeros when no time passed).
std::pair<double, double> idle_and_steal_pct(const MachineCpu& a, const MachineCpu& b);

/// "tmpfs", "ext4" or the hex magic of the file system holding `path`.
std::string file_system_of(const std::filesystem::path& path);

/// A fresh directory `PREFIX-XXXXXX` under $TMPDIR (default /tmp), removed with what it holds
/// when this goes — also when the bench fails — unless `keep`.
class TempDir {
 public:
  /// @throws std::runtime_error when it cannot be made.
  TempDir(const std::string& prefix, bool keep);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }

 private:
  std::filesystem::path path_;
  bool keep_;
};

/// A database of its own (`PREFIX_PID`) in the Postgres cluster at `cluster_uri`, created
/// afresh (dropped first if a run of the same pid left it) and dropped at the end unless `keep`.
class PostgresDatabase {
 public:
  /// @throws pqxx exceptions when the cluster cannot be reached or the database not created.
  PostgresDatabase(std::string cluster_uri, const std::string& prefix, bool keep);
  ~PostgresDatabase();
  PostgresDatabase(const PostgresDatabase&) = delete;
  PostgresDatabase& operator=(const PostgresDatabase&) = delete;
  /// The database's URI: the cluster's with its path replaced.
  [[nodiscard]] const std::string& uri() const noexcept { return uri_; }

 private:
  std::string cluster_;
  std::string name_;
  std::string uri_;
  bool keep_;
};

/// The `q` quantile (0..1) of sorted, non-empty `v`, nearest rank.
/// The server binary a bench starts: `given` (its command-line flag) when set, else `built` (the
/// path CMake compiled in, or nullptr), else `name` next to sg-bench.
/// @throws std::runtime_error naming `flag` when none is found.
std::string server_binary(const std::string& given, const char* built, const std::string& name, const std::string& flag);

double quantile(const std::vector<double>& v, double q);

/// `x` rounded to 2 decimals.
double round2(double x);

}  // namespace sg_bench
