// Request target parsing (url.hpp).
#include "agent_server/url.hpp"

#include <cstdint>

namespace sg::server {
namespace {

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::optional<std::string> percent_decode(std::string_view segment) {
  std::string out;
  out.reserve(segment.size());
  for (std::size_t i = 0; i < segment.size(); ++i) {
    if (segment[i] != '%') {
      out += segment[i];
      continue;
    }
    if (i + 2 >= segment.size()) return std::nullopt;
    const int hi = hex(segment[i + 1]);
    const int lo = hex(segment[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

std::string_view path_of(std::string_view target) { return target.substr(0, target.find_first_of("?#")); }

std::string_view query_of(std::string_view target) {
  const std::size_t q = target.find('?');
  if (q == std::string_view::npos) return {};
  std::string_view query = target.substr(q + 1);
  return query.substr(0, query.find('#'));
}

std::optional<std::vector<std::string>> path_segments(std::string_view target) {
  std::vector<std::string> out;
  const std::string_view path = path_of(target);
  for (std::size_t begin = 0; begin <= path.size();) {
    const std::size_t end = std::min(path.find('/', begin), path.size());
    if (end > begin) {
      auto decoded = percent_decode(path.substr(begin, end - begin));
      if (!decoded) return std::nullopt;
      out.push_back(std::move(*decoded));
    }
    begin = end + 1;
  }
  return out;
}

std::map<std::string, std::string> query_params(std::string_view target) {
  std::map<std::string, std::string> out;
  const std::string_view query = query_of(target);
  auto decode = [](std::string_view s) {
    std::string plus(s);
    for (char& c : plus)
      if (c == '+') c = ' ';
    auto d = percent_decode(plus);
    return d ? *d : plus;
  };
  for (std::size_t begin = 0; begin < query.size();) {
    const std::size_t end = std::min(query.find('&', begin), query.size());
    const std::string_view pair = query.substr(begin, end - begin);
    if (!pair.empty()) {
      const std::size_t eq = pair.find('=');
      if (eq == std::string_view::npos) out[decode(pair)] = "";
      else out[decode(pair.substr(0, eq))] = decode(pair.substr(eq + 1));
    }
    begin = end + 1;
  }
  return out;
}

std::size_t query_size(const std::map<std::string, std::string>& query, const std::string& name,
                       std::size_t fallback) {
  auto it = query.find(name);
  if (it == query.end() || it->second.empty()) return fallback;
  std::size_t value = 0;
  for (char c : it->second) {
    if (c < '0' || c > '9' || value > (SIZE_MAX - 9) / 10) return fallback;
    value = value * 10 + static_cast<std::size_t>(c - '0');
  }
  return value;
}

bool query_flag(const std::map<std::string, std::string>& query, const std::string& name) {
  auto it = query.find(name);
  return it != query.end() && (it->second.empty() || it->second == "1" || it->second == "true");
}

}  // namespace sg::server
