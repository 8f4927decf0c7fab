// What sg-bench's server benchmarks share (http_load.hpp).
#include "http_load.hpp"

#include <sys/statfs.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iostream>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <utility>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <pqxx/pqxx>

namespace sg_bench {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

HttpConnection::HttpConnection(net::any_io_executor executor, tcp::endpoint server, std::chrono::seconds timeout)
    : server_(std::move(server)),
      host_(server_.address().to_string() + ":" + std::to_string(server_.port())),
      timeout_(timeout),
      stream_(std::move(executor)) {}

net::awaitable<HttpResponse> HttpConnection::request(http::verb method, std::string target, std::string body,
                                                     const std::function<void(std::string_view)>& progress) {
  try {
    co_await connect();
    http::request<http::string_body> req{method, target, 11};
    req.set(http::field::host, host_);
    if (!body.empty()) {
      req.set(http::field::content_type, "application/json");
      req.body() = std::move(body);
    }
    req.prepare_payload();
    stream_.expires_after(timeout_);
    co_await http::async_write(stream_, req, net::use_awaitable);
    http::response_parser<http::string_body> parser;
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());
    if (!progress) {
      co_await http::async_read(stream_, buffer_, parser, net::use_awaitable);
    } else {
      co_await http::async_read_header(stream_, buffer_, parser, net::use_awaitable);
      while (!parser.is_done()) {
        stream_.expires_after(timeout_);
        co_await http::async_read_some(stream_, buffer_, parser, net::use_awaitable);
        progress(parser.get().body());
      }
    }
    HttpResponse res = parser.release();
    if (!res.keep_alive()) close();
    co_return res;
  } catch (...) {
    close();
    throw;
  }
}

net::awaitable<void> HttpConnection::connect() {
  if (connected_) co_return;
  buffer_.clear();
  stream_.expires_after(timeout_);
  co_await stream_.async_connect(server_, net::use_awaitable);
  stream_.socket().set_option(tcp::no_delay(true));
  connected_ = true;
}

void HttpConnection::close() noexcept {
  beast::error_code ignored;
  stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
  stream_.close();
  connected_ = false;
}

tcp::endpoint endpoint_of(const std::string& url) {
  const auto authority = url.find("://");
  const auto host_begin = authority == std::string::npos ? 0 : authority + 3;
  const auto colon = url.find(':', host_begin);
  if (colon == std::string::npos) throw std::runtime_error("no port in " + url);
  const auto port = std::stoi(url.substr(colon + 1));
  return {net::ip::make_address(url.substr(host_begin, colon - host_begin)), static_cast<unsigned short>(port)};
}

double cpu_seconds(const std::string& pid) {
  const std::string stat = read_text("/proc/" + pid + "/stat");
  if (stat.rfind(')') == std::string::npos) return 0;  // gone
  // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
  std::istringstream rest(stat.substr(stat.rfind(')') + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i)
    if (i >= 14) ticks += std::stod(field);
  return ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

std::optional<double> peak_rss_mib(pid_t pid) {
  std::istringstream status(read_text("/proc/" + std::to_string(pid) + "/status"));
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;  // "VmHWM:   12345 kB"
  return std::nullopt;
}

std::vector<double> load_average() {
  std::istringstream in(read_text("/proc/loadavg"));
  std::vector<double> out(3, 0.0);
  for (auto& x : out) in >> x;
  return out;
}

MachineCpu machine_cpu() {
  std::istringstream in(read_text("/proc/stat"));
  std::string label;
  in >> label;  // "cpu"
  // user nice system idle iowait irq softirq steal guest guest_nice (guest time is in user)
  double v[8] = {};
  for (double& x : v) in >> x;
  MachineCpu out;
  for (double x : v) out.total += x;
  out.idle = v[3] + v[4];
  out.steal = v[7];
  return out;
}

std::pair<double, double> idle_and_steal_pct(const MachineCpu& a, const MachineCpu& b) {
  const double total = b.total - a.total;
  if (total <= 0) return {0.0, 0.0};
  auto pct = [&](double x) { return std::round(1000.0 * x / total) / 10.0; };
  return {pct(b.idle - a.idle), pct(b.steal - a.steal)};
}

std::string file_system_of(const std::filesystem::path& path) {
  struct statfs fs {};
  if (::statfs(path.c_str(), &fs) != 0) return "unknown";
  if (fs.f_type == 0x01021994) return "tmpfs";
  if (fs.f_type == 0xEF53) return "ext4";
  std::ostringstream hex;
  hex << "0x" << std::hex << fs.f_type;
  return hex.str();
}

TempDir::TempDir(const std::string& prefix, bool keep) : keep_(keep) {
  std::string pattern = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("cannot make a directory " + pattern);
  path_ = pattern;
}

TempDir::~TempDir() {
  if (keep_) return;
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

PostgresDatabase::PostgresDatabase(std::string cluster_uri, const std::string& prefix, bool keep)
    : cluster_(std::move(cluster_uri)), name_(prefix + "_" + std::to_string(::getpid())), keep_(keep) {
  pqxx::connection admin(cluster_);
  pqxx::nontransaction(admin).exec("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
  pqxx::nontransaction(admin).exec("CREATE DATABASE " + name_);
  // The cluster URI with its path (the database) replaced.
  const auto authority = cluster_.find("://");
  const auto path = cluster_.find('/', authority == std::string::npos ? 0 : authority + 3);
  const auto query = cluster_.find('?', path);
  uri_ = cluster_.substr(0, path) + "/" + name_ + (query == std::string::npos ? "" : cluster_.substr(query));
}

PostgresDatabase::~PostgresDatabase() {
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

double quantile(const std::vector<double>& v, double q) {
  const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size())));
  return v[std::min(v.size() - 1, rank == 0 ? 0 : rank - 1)];
}

double round2(double x) { return std::round(x * 100) / 100; }

std::string server_binary(const std::string& given, const char* built, const std::string& name, const std::string& flag) {
  if (!given.empty()) return given;
  if (built != nullptr) return built;
  const auto here = std::filesystem::read_symlink("/proc/self/exe").parent_path() / name;
  if (std::filesystem::exists(here)) return here.string();
  throw std::runtime_error("sg-bench: " + flag + " PATH of " + name + " is required");
}

}  // namespace sg_bench
