#include "http_client.hpp"

#include <algorithm>
#include <cctype>
#include <memory>
#include <stdexcept>

#include <curl/curl.h>

namespace sgtest {
namespace {

struct Transfer {
  HttpResult result;
  const std::function<bool(std::string_view)>* on_data = nullptr;
};

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::size_t n = size * count;
  t->result.body.append(data, n);
  if (t->on_data != nullptr && !(*t->on_data)(std::string_view(data, n))) return 0;  // abort: closes the connection
  return n;
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::size_t n = size * count;
  const std::string line(data, n);
  const auto colon = line.find(':');
  if (colon != std::string::npos) {
    std::string name = line.substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    std::string value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ')) value.erase(value.begin());
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) value.pop_back();
    t->result.headers[name] = value;
  }
  return n;
}

HttpResult perform(const std::string& url, const std::string& method, const std::string* body, const Headers& headers,
                   const std::function<bool(std::string_view)>* on_data, bool http10) {
  static const bool initialised = [] { return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK; }();
  if (!initialised) throw std::runtime_error("curl_global_init failed");
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
  curl_slist* list = nullptr;
  for (const auto& h : headers) list = curl_slist_append(list, h.c_str());
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> header_list(list, &curl_slist_free_all);
  Transfer t;
  t.on_data = on_data;
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_CUSTOMREQUEST, method.c_str());
  if (body != nullptr) {
    curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, body->data());
    curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body->size()));
  }
  curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, header_list.get());
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, &on_body);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(curl.get(), CURLOPT_HEADERFUNCTION, &on_header);
  curl_easy_setopt(curl.get(), CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT, 60L);
  curl_easy_setopt(curl.get(), CURLOPT_CONNECTTIMEOUT, 10L);
  curl_easy_setopt(curl.get(), CURLOPT_FORBID_REUSE, 1L);
  if (http10) curl_easy_setopt(curl.get(), CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_0));
  const CURLcode rc = curl_easy_perform(curl.get());
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &t.result.status);
  if (rc != CURLE_OK) t.result.error = curl_easy_strerror(rc);
  return t.result;
}

}  // namespace

std::string HttpResult::error_id() const {
  const auto j = json();
  if (!j.is_object() || !j.contains("error") || !j["error"].is_object() || !j["error"].contains("id")) return {};
  return j["error"]["id"].get<std::string>();
}

HttpResult HttpClient::request(const std::string& method, const std::string& path, const std::string& body,
                               const Headers& headers) const {
  return perform(base_ + path, method, method == "GET" || method == "DELETE" ? nullptr : &body, headers, nullptr, http10);
}

HttpResult HttpClient::post(const std::string& path, const nlohmann::json& body, const Headers& headers) const {
  Headers all = headers;
  all.emplace_back("Content-Type: application/json");
  return request("POST", path, body.dump(), all);
}

HttpResult HttpClient::stream(const std::string& path, const nlohmann::json& body,
                              const std::function<bool(std::string_view)>& on_data, const Headers& headers) const {
  Headers all = headers;
  all.emplace_back("Content-Type: application/json");
  all.emplace_back("Accept: text/event-stream");
  const std::string text = body.dump();
  return perform(base_ + path, "POST", &text, all, &on_data, http10);
}

std::vector<SseEvent> parse_sse(std::string_view body) {
  std::vector<SseEvent> events;
  SseEvent current;
  bool has_data = false;
  std::size_t pos = 0;
  while (pos < body.size()) {
    std::size_t end = body.find('\n', pos);
    if (end == std::string_view::npos) break;  // an unfinished line
    std::string_view line = body.substr(pos, end - pos);
    pos = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) {
      if (has_data) events.push_back(current);
      current = {};
      has_data = false;
      continue;
    }
    const auto colon = line.find(':');
    const std::string_view field = line.substr(0, colon);
    std::string_view value = colon == std::string_view::npos ? std::string_view() : line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    if (field == "event") current.event = std::string(value);
    if (field == "data") {
      if (has_data) current.data += '\n';
      current.data += value;
      has_data = true;
    }
  }
  return events;
}

}  // namespace sgtest
