#pragma once
// A small libcurl HTTP client for the tests of sg-chatbot's HTTP server (real HTTP on
// 127.0.0.1), and a reader of SSE bodies.
//
// Thread-safety: one HttpClient per thread (each request uses its own curl handle).

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace sgtest {

struct HttpResult {
  long status = 0;                             ///< 0 when the transfer failed (see error)
  std::string body;
  std::map<std::string, std::string> headers;  ///< names in lower case (the last value of each)
  std::string error;                           ///< curl's message when the transfer failed
  [[nodiscard]] nlohmann::json json() const { return nlohmann::json::parse(body, nullptr, false); }
  [[nodiscard]] std::string header(const std::string& lower_case_name) const {
    const auto it = headers.find(lower_case_name);
    return it == headers.end() ? std::string() : it->second;
  }
  /// The error id of a `{"error": {"id": ...}}` body ("" when there is none).
  [[nodiscard]] std::string error_id() const;
};

using Headers = std::vector<std::string>;  ///< "Name: value" lines

class HttpClient {
 public:
  explicit HttpClient(std::string base_url) : base_(std::move(base_url)) {}

  /// Speak HTTP/1.0 instead of 1.1.
  bool http10 = false;

  HttpResult request(const std::string& method, const std::string& path, const std::string& body = {},
                     const Headers& headers = {}) const;
  HttpResult get(const std::string& path, const Headers& headers = {}) const { return request("GET", path, {}, headers); }
  HttpResult del(const std::string& path, const Headers& headers = {}) const { return request("DELETE", path, {}, headers); }
  HttpResult post(const std::string& path, const nlohmann::json& body, const Headers& headers = {}) const;

  /// POSTs and hands each piece of the body to `on_data` as it arrives; when it returns false the
  /// client closes the connection at once (the result then has status and a transfer error).
  HttpResult stream(const std::string& path, const nlohmann::json& body,
                    const std::function<bool(std::string_view)>& on_data, const Headers& headers = {}) const;

 private:
  std::string base_;
};

/// The events of an SSE body: the data of each (data lines joined with "\n"), with the event
/// name when there is one ("" otherwise).
struct SseEvent {
  std::string event;
  std::string data;
};
std::vector<SseEvent> parse_sse(std::string_view body);

}  // namespace sgtest
