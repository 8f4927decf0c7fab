#pragma once
/// @file
/// Server-sent events as the HTTP servers here (sg-chatbot's, sg::AgentServer) write them (WHATWG HTML "Server-sent events",
/// text/event-stream), and the interface a streaming route writes its body through.
///
///   data: <token>\n\n              one event per streamed piece of text
///   event: error\ndata: {...}\n\n  a failure after the stream began
///   data: [DONE]\n\n               the end (seed 002; OpenAI's streams end the same way)
///
/// Thread-safety: sse_event is reentrant; a ResponseStream belongs to the one call that writes it.

#include <stdexcept>
#include <string>
#include <string_view>

namespace sg::server {

/// The event that ends every stream.
inline constexpr std::string_view kSseDone = "data: [DONE]\n\n";

/// One event: an "event: <name>" line when `event` is not empty, then a "data: <line>" line for
/// each line of `data` (split at "\r\n", "\r" and "\n", so a reader joining the data lines with
/// "\n" gets the text back, with "\r\n" and "\r" as "\n"), then a blank line. A reader strips one
/// space after "data:", so leading spaces of the text survive.
std::string sse_event(std::string_view data, std::string_view event = {});

/// Thrown by ResponseStream::write once the client is gone (the route cancels its work).
class ClientGone : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The body of a streamed response. The server implements it for one request; a route's call
/// writes through it from the worker thread it runs on.
class ResponseStream {
 public:
  virtual ~ResponseStream() = default;
  /// Sends `bytes` (the first call sends the response head first: 200, text/event-stream) and
  /// blocks until they are written.
  /// @throws sg::server::ClientGone when the client went away or stopped reading for the
  ///         server's I/O timeout; every later write throws too.
  virtual void write(std::string_view bytes) = 0;
  /// Whether write was called: the head is out, so an error can only go into the body now.
  [[nodiscard]] virtual bool started() const noexcept = 0;
};

}  // namespace sg::server
