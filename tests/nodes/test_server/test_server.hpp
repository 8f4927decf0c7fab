#pragma once
// sg_test::TestServer — a scripted OpenAI-style HTTP server on 127.0.0.1 for the tests of
// sg::OpenAIChatModel (Boost.Beast over Asio coroutines, on its own thread).
//
// Each test pushes the responses it wants, in order (a queue of CannedResponse); every request
// takes the next one (none left → 500 with an OpenAI error body) and is recorded (method, target,
// headers, body) for the test to check. A response can be delayed, streamed in parts (chunked
// transfer encoding, each part flushed on its own), cut off (connection closed mid-response),
// dropped (connection closed without an answer) or held after its first part until the test
// releases it.
//
// Thread-safety: all members may be called from any thread while the server runs.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace sg_test {

/// One request as the server received it.
struct RecordedRequest {
  std::string method;                          ///< "POST"
  std::string target;                          ///< "/v1/chat/completions"
  std::map<std::string, std::string> headers;  ///< names in lower case
  std::string body;
  /// The body as JSON (null when it does not parse).
  [[nodiscard]] nlohmann::json json() const;
  /// A header's value, "" when absent (`name` in lower case).
  [[nodiscard]] std::string header(const std::string& name) const;
};

/// What the server answers to one request.
struct CannedResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  /// The body, in parts. With `chunked`, each part is one chunk of a chunked response, written
  /// and flushed on its own; otherwise the parts are joined and sent with Content-Length.
  std::vector<std::string> parts;
  bool chunked = false;
  std::chrono::milliseconds delay_before{0};   ///< before the response head
  std::chrono::milliseconds delay_between{0};  ///< between two parts
  /// With `chunked`: close the connection after the parts, without the last chunk.
  bool truncate = false;
  /// Close the connection without answering.
  bool drop = false;
  /// When set: after the first part, wait until it becomes true (at most 10 s) before the rest.
  std::shared_ptr<std::atomic<bool>> hold;

  /// A JSON reply.
  static CannedResponse json(const nlohmann::json& body, int status = 200);
  /// Any body with any content type, sent in one piece.
  static CannedResponse text(int status, std::string content_type, std::string body);
  /// An SSE stream (text/event-stream, chunked), one part per element of `parts`.
  static CannedResponse sse(std::vector<std::string> parts, std::chrono::milliseconds delay_between = std::chrono::milliseconds(1));
};

/// "data: <json>\n\n" — one SSE event (`eol` replaces both line ends, e.g. "\r\n").
std::string sse_event(const nlohmann::json& data, const std::string& eol = "\n");

class TestServer {
 public:
  /// Binds 127.0.0.1 on a free port (port 0, read back) and starts serving on a new thread.
  TestServer();
  /// Stops the server: open connections are closed.
  ~TestServer();
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  [[nodiscard]] std::uint16_t port() const noexcept;
  /// "http://127.0.0.1:<port>/v1" — the base_url for sg::OpenAIChatModel.
  [[nodiscard]] std::string base_url() const;

  /// Queues the answer to a later request.
  void push(CannedResponse response);
  /// The requests received so far, in order.
  [[nodiscard]] std::vector<RecordedRequest> requests() const;
  [[nodiscard]] std::size_t request_count() const;
  /// Connections whose client went away before the response was complete (a cancelled stream).
  [[nodiscard]] std::size_t aborted_responses() const;
  /// Holds that ended by timeout instead of being released.
  [[nodiscard]] std::size_t hold_timeouts() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sg_test
