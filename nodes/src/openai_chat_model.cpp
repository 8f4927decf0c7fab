// sg::OpenAIChatModel over libcurl's multi interface: one transfer at a time per thread, polled
// every 50 ms so that cancellation and time limits act promptly. Wire format: openai_wire.cpp;
// SSE: sse_parser.cpp.
#include "stategraph/nodes/openai_chat_model.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <random>
#include <thread>

#include "openai_wire.hpp"
#include "sse_parser.hpp"
#include "stategraph/checkpoint/redact_password.hpp"
#include "stategraph/errors.hpp"

namespace sg {

namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;
namespace nd = nodes_detail;

constexpr milliseconds poll_interval{50};
constexpr std::size_t max_reply_bytes = std::size_t{64} << 20U;  // a non-streaming reply
constexpr std::size_t max_error_bytes = std::size_t{64} << 10U;  // what is kept of an error body
constexpr milliseconds max_server_retry_delay{std::chrono::seconds(60)};

[[noreturn]] void bad_option(const std::string& what) {
  throw ModelError(ErrorId::nodes_invalid_model_options, "OpenAIChatModel: " + what);
}

bool has_line_break(std::string_view s) { return s.find_first_of("\r\n") != std::string_view::npos; }

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

void curl_global() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

/// An easy handle and the multi handle that drives it (and keeps its connections alive).
struct CurlHandles {
  CURL* easy = nullptr;
  CURLM* multi = nullptr;
  CurlHandles() {
    curl_global();
    easy = curl_easy_init();
    multi = curl_multi_init();
    if (easy == nullptr || multi == nullptr) {
      if (multi != nullptr) curl_multi_cleanup(multi);
      if (easy != nullptr) curl_easy_cleanup(easy);
      throw ModelError(ErrorId::nodes_connection_failed, "libcurl could not be initialised (out of memory?)", true);
    }
  }
  ~CurlHandles() {
    if (multi != nullptr) curl_multi_cleanup(multi);
    if (easy != nullptr) curl_easy_cleanup(easy);
    multi = nullptr;
    easy = nullptr;
  }
  CurlHandles(const CurlHandles&) = delete;
  CurlHandles& operator=(const CurlHandles&) = delete;
};

/// The calling thread's handles, reused across its calls; a call made while they are in use on
/// this thread (a model called from inside a chunk callback) gets handles of its own.
class HandleLease {
 public:
  HandleLease() {
    thread_local std::unique_ptr<CurlHandles> cached;
    thread_local bool busy = false;
    if (busy) {
      own_ = std::make_unique<CurlHandles>();
      handles_ = own_.get();
    } else {
      if (!cached) cached = std::make_unique<CurlHandles>();
      handles_ = cached.get();
      busy_ = &busy;
      busy = true;
    }
    curl_easy_reset(handles_->easy);
  }
  ~HandleLease() {
    if (busy_ != nullptr) *busy_ = false;
  }
  HandleLease(const HandleLease&) = delete;
  HandleLease& operator=(const HandleLease&) = delete;
  CurlHandles& operator*() const noexcept { return *handles_; }

 private:
  std::unique_ptr<CurlHandles> own_;
  CurlHandles* handles_ = nullptr;
  bool* busy_ = nullptr;
};

struct SlistDeleter {
  void operator()(curl_slist* l) const noexcept { curl_slist_free_all(l); }
};
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

void append(Slist& list, const std::string& line) {
  curl_slist* next = curl_slist_append(list.get(), line.c_str());
  if (next == nullptr) throw std::bad_alloc();
  (void)list.release();
  list.reset(next);
}

/// Why an attempt failed, when it may be worth another one.
struct Failure {
  ErrorId id;
  std::string message;
  bool retryable = false;
  int status = 0;                          // HTTP status for sg.nodes.630
  std::optional<milliseconds> retry_after;  // what the server asked for
};

double jitter() {
  thread_local std::mt19937 gen{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(gen);
}

}  // namespace

ModelStatusError::ModelStatusError(int status, std::string_view message)
    : ModelError(ErrorId::nodes_http_status, message, status == 429 || status >= 500), status_(status) {}

namespace nodes_detail {

/// The state of an OpenAIChatModel (its pimpl): immutable after construction.
struct OpenAIClient {
  OpenAIChatModelOptions options;
  std::string endpoint;
  std::string shown_endpoint;  // endpoint with its credentials redacted (sg::redact_password), for messages
  std::string api_key;

  OpenAIClient() = default;
  OpenAIClient(const OpenAIClient&) = delete;
  OpenAIClient& operator=(const OpenAIClient&) = delete;
  ~OpenAIClient() {
    // Do not leave the key in freed memory.
    volatile char* p = api_key.data();
    for (std::size_t i = 0; i < api_key.size(); ++i) p[i] = 0;
  }

  /// `text` without the API key and without credentials of any URL in it (a server may echo them).
  [[nodiscard]] std::string redact(std::string text) const {
    return sg::redact_password(nd::redact(std::move(text), api_key));
  }

  /// The text that starts every error message of a call.
  [[nodiscard]] std::string where() const { return "chat model \"" + options.model + "\": POST " + shown_endpoint; }

  /// One call with retries; on_chunk null = not streaming.
  Message call(const Messages& messages, const std::vector<ToolSpec>& tools, const ChatOptions& options,
               const ChunkCallback* on_chunk) const;
};

}  // namespace nodes_detail

struct OpenAIChatModel::Impl : nodes_detail::OpenAIClient {};

namespace {

using Impl = nodes_detail::OpenAIClient;

/// One HTTP attempt: request state, the response as it arrives, and what was delivered.
struct Attempt {
  const Impl& impl;
  const ChatOptions& options;
  const ChunkCallback* on_chunk;  // null for invoke
  bool streaming = false;

  long status = 0;
  std::string content_type;
  std::string retry_after;
  std::string retry_after_ms;
  std::string request_id;
  std::string body;
  bool sse_mode = false;
  bool mode_decided = false;

  nd::SseParser sse;
  std::vector<nd::SseEvent> events;
  ChunkAggregator aggregate;
  bool done = false;
  std::size_t delivered = 0;

  std::exception_ptr error;  // thrown inside a libcurl callback, rethrown after the transfer
  bool cancelled = false;

  Attempt(const Impl& i, const ChatOptions& o, const ChunkCallback* cb)
      : impl(i), options(o), on_chunk(cb), streaming(cb != nullptr) {}

  bool is_cancelled() const { return options.cancelled && options.cancelled(); }

  void on_header(std::string_view line) {
    line = trim(line);
    if (line.substr(0, 5) == "HTTP/") {  // a new response (after 100 Continue, a proxy's 200, ...)
      const auto sp = line.find(' ');
      status = sp == std::string_view::npos ? 0 : std::strtol(std::string(line.substr(sp + 1, 3)).c_str(), nullptr, 10);
      content_type.clear();
      retry_after.clear();
      retry_after_ms.clear();
      request_id.clear();
      return;
    }
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) return;
    const std::string name = lower(trim(line.substr(0, colon)));
    const std::string value(trim(line.substr(colon + 1)));
    if (name == "content-type") content_type = lower(value);
    else if (name == "retry-after") retry_after = value;
    else if (name == "retry-after-ms") retry_after_ms = value;
    else if (name == "x-request-id") request_id = value;
  }

  void on_body(std::string_view bytes) {
    if (!mode_decided) {
      mode_decided = true;
      sse_mode = streaming && status >= 200 && status < 300 && content_type.find("json") == std::string::npos;
    }
    if (sse_mode) {
      events.clear();
      try {
        sse.feed(bytes, events);
      } catch (const std::length_error& e) {
        throw ModelError(ErrorId::nodes_malformed_reply, impl.where() + ": malformed stream: " + e.what());
      }
      for (const auto& e : events) on_event(e);
      return;
    }
    const std::size_t cap = status >= 200 && status < 300 ? max_reply_bytes : max_error_bytes;
    if (body.size() + bytes.size() > cap) {
      if (status >= 200 && status < 300)
        throw ModelError(ErrorId::nodes_malformed_reply, impl.where() + ": the reply is larger than " + std::to_string(cap >> 20U) + " MiB");
      body.append(bytes.substr(0, cap - body.size()));
      return;
    }
    body.append(bytes);
  }

  void on_event(const nd::SseEvent& e) {
    if (done) return;  // nothing counts after [DONE]
    if (e.data == "[DONE]") {
      done = true;
      return;
    }
    const json j = json::parse(e.data, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded())
      throw ModelError(ErrorId::nodes_malformed_reply, impl.redact(impl.where() + ": malformed stream chunk " +
                                                   std::to_string(delivered + 1) + " (not JSON): " +
                                                   nd::text_excerpt(e.data, 200)));
    if (e.type == "error")
      throw ModelError(ErrorId::nodes_http_status, impl.redact(impl.where() + ": the server reported an error in the stream: " +
                                                   nd::openai_error_message(e.data)));
    std::optional<MessageChunk> chunk;
    try {
      chunk = nd::openai_parse_chunk(j);
    } catch (const ModelError& err) {
      throw ModelError(*err.error_id(), impl.redact(impl.where() + ": " + std::string(err.message())), err.retryable());
    }
    if (!chunk) return;
    aggregate.add(*chunk);
    ++delivered;
    (*on_chunk)(*chunk);
  }
};

extern "C" size_t sg_openai_header_cb(char* data, size_t size, size_t count, void* user) {
  auto& a = *static_cast<Attempt*>(user);
  try {
    a.on_header(std::string_view(data, size * count));
  } catch (...) {
    a.error = std::current_exception();
    return 0;
  }
  return size * count;
}

extern "C" size_t sg_openai_write_cb(char* data, size_t size, size_t count, void* user) {
  auto& a = *static_cast<Attempt*>(user);
  if (a.error) return 0;
  try {
    a.on_body(std::string_view(data, size * count));
  } catch (...) {
    a.error = std::current_exception();
    return 0;  // aborts the transfer (CURLE_WRITE_ERROR)
  }
  return size * count;
}

extern "C" int sg_openai_progress_cb(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto& a = *static_cast<Attempt*>(user);
  try {
    if (a.is_cancelled()) a.cancelled = true;
  } catch (...) {
    a.error = std::current_exception();
    return 1;
  }
  return a.cancelled ? 1 : 0;
}

std::string ms_text(milliseconds d) { return std::to_string(d.count()) + " ms"; }

[[noreturn]] void throw_cancelled(const Impl& impl) {
  throw Cancelled("the call to chat model \"" + impl.options.model + "\" was cancelled");
}

/// Runs one HTTP attempt. On success returns the reply; throws what callbacks and parsing threw
/// (never retried); returns a Failure for what another attempt may fix.
std::optional<Failure> run_attempt(Attempt& a, const std::string& request, Clock::time_point deadline,
                                   milliseconds total, Message& reply) {
  const Impl& impl = a.impl;
  const auto remaining = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
  if (remaining <= milliseconds(0))
    return Failure{ErrorId::nodes_call_timeout, impl.where() + ": no complete reply within the time limit of " + ms_text(total)};

  HandleLease lease;
  CurlHandles& h = *lease;
  CURL* easy = h.easy;
  Slist headers;
  append(headers, "Content-Type: application/json");
  append(headers, a.streaming ? "Accept: text/event-stream" : "Accept: application/json");
  append(headers, "Expect:");  // no 100-continue round trip
  if (!impl.api_key.empty()) append(headers, "Authorization: Bearer " + impl.api_key);
  for (const auto& [name, value] : impl.options.headers) append(headers, name + ": " + value);

  char errbuf[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(easy, CURLOPT_URL, impl.endpoint.c_str());
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(easy, CURLOPT_POST, 1L);
  curl_easy_setopt(easy, CURLOPT_POSTFIELDS, request.data());
  curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.size()));
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(easy, CURLOPT_USERAGENT, "stategraph-openai/0.1");
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(std::max<std::int64_t>(1, std::min(impl.options.connect_timeout, remaining).count())));
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(std::max<std::int64_t>(1, remaining.count())));
  if (!a.streaming) curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "");
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &sg_openai_header_cb);
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, &a);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &sg_openai_write_cb);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &a);
  curl_easy_setopt(easy, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(easy, CURLOPT_XFERINFOFUNCTION, &sg_openai_progress_cb);
  curl_easy_setopt(easy, CURLOPT_XFERINFODATA, &a);

  struct Attached {
    CurlHandles& h;
    explicit Attached(CurlHandles& handles) : h(handles) {
      if (curl_multi_add_handle(h.multi, h.easy) != CURLM_OK) throw std::bad_alloc();
    }
    ~Attached() { curl_multi_remove_handle(h.multi, h.easy); }
    Attached(const Attached&) = delete;
    Attached& operator=(const Attached&) = delete;
  };
  CURLcode rc = CURLE_OK;
  {
    Attached attached(h);
    int running = 1;
    for (;;) {
      const CURLMcode mc = curl_multi_perform(h.multi, &running);
      if (mc != CURLM_OK)
        return Failure{ErrorId::nodes_connection_failed, impl.where() + ": libcurl failed: " + curl_multi_strerror(mc), true};
      if (running == 0 || a.error || a.cancelled) break;
      if (a.is_cancelled()) {
        a.cancelled = true;
        break;
      }
      curl_multi_poll(h.multi, nullptr, 0, static_cast<int>(poll_interval.count()), nullptr);
    }
    int queued = 0;
    while (CURLMsg* msg = curl_multi_info_read(h.multi, &queued))
      if (msg->msg == CURLMSG_DONE && msg->easy_handle == easy) rc = msg->data.result;
  }  // detached: an unfinished transfer is aborted and its connection closed

  if (a.error) std::rethrow_exception(a.error);
  if (a.cancelled || rc == CURLE_ABORTED_BY_CALLBACK) throw_cancelled(impl);

  const std::string request_id = a.request_id.empty() ? "" : " (request id " + a.request_id + ")";
  const std::string curl_text = errbuf[0] != '\0' ? std::string(errbuf) : std::string(curl_easy_strerror(rc));
  const bool http_error = a.status >= 300 || (a.status > 0 && a.status < 200);
  if (http_error) {
    Failure f;
    f.id = ErrorId::nodes_http_status;
    f.status = static_cast<int>(a.status);
    f.retryable = a.status == 429 || a.status >= 500;
    f.message = impl.where() + ": HTTP " + std::to_string(a.status) + ": " + nd::openai_error_message(a.body) + request_id;
    if (a.status >= 300 && a.status < 400) f.message += " (redirects are not followed; check base_url)";
    f.retry_after = nd::parse_retry_after(a.retry_after_ms, a.retry_after, std::chrono::system_clock::now());
    return f;
  }
  if (rc == CURLE_OPERATION_TIMEDOUT) {
    if (Clock::now() + milliseconds(20) >= deadline || a.status != 0)
      return Failure{ErrorId::nodes_call_timeout, impl.where() + ": no complete reply within the time limit of " + ms_text(total) +
                                         (a.delivered > 0 ? " (" + std::to_string(a.delivered) + " chunks delivered)" : "")};
    return Failure{ErrorId::nodes_connection_failed, impl.where() + ": could not connect within " + ms_text(impl.options.connect_timeout) +
                                       ": " + curl_text, true};
  }
  if (a.streaming && a.sse_mode) {
    if (rc == CURLE_OK) {
      a.events.clear();
      a.sse.finish(a.events);  // a last event without its blank line
      for (const auto& e : a.events) a.on_event(e);
    }
    if (!a.done)
      return Failure{ErrorId::nodes_stream_truncated, impl.where() + ": the stream ended before \"data: [DONE]\" after " +
                                         std::to_string(a.delivered) + " chunks" +
                                         (rc == CURLE_OK ? std::string(" (the server closed the stream)") : ": " + curl_text) +
                                         request_id, true};
    reply = a.aggregate.message();
    return std::nullopt;
  }
  if (rc != CURLE_OK)
    return Failure{ErrorId::nodes_connection_failed, impl.where() + ": " + (a.status == 0 ? "no HTTP answer: " : "the reply broke off: ") +
                                       curl_text, true};

  // A whole JSON reply (also when streaming was asked for but the server sent JSON).
  const json body = json::parse(a.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded())
    throw ModelError(ErrorId::nodes_malformed_reply, impl.redact(impl.where() + ": the reply is not JSON: " +
                                                 nd::openai_error_message(a.body) + request_id));
  try {
    reply = nd::openai_parse_completion(body);
  } catch (const ModelError& err) {
    throw ModelError(*err.error_id(), impl.redact(impl.where() + ": " + std::string(err.message()) + request_id), err.retryable());
  }
  if (a.streaming && a.on_chunk != nullptr)
    for (const auto& chunk : split_into_chunks(reply)) {
      ++a.delivered;
      (*a.on_chunk)(chunk);
    }
  return std::nullopt;
}

}  // namespace

Message nodes_detail::OpenAIClient::call(const Messages& messages, const std::vector<ToolSpec>& tools,
                                    const ChatOptions& call_options, const ChunkCallback* on_chunk) const {
  nd::OpenAIRequestParams params{options.model, options.temperature, options.max_tokens, on_chunk != nullptr,
                                 options.stream_usage};
  const std::string request = nd::openai_request_body(params, messages, tools, call_options).dump();
  const milliseconds total = call_options.timeout > milliseconds(0) ? call_options.timeout : options.timeout;
  const auto deadline = Clock::now() + total;
  for (int attempt = 0;; ++attempt) {
    Attempt a(*this, call_options, on_chunk);
    Message reply;
    std::optional<Failure> failure = run_attempt(a, request, deadline, total, reply);
    if (!failure) return reply;

    std::optional<milliseconds> delay;
    if (failure->retryable && failure->id != ErrorId::nodes_call_timeout && a.delivered == 0 && attempt < options.max_retries) {
      delay = failure->retry_after && *failure->retry_after <= max_server_retry_delay
                  ? *failure->retry_after
                  : nd::retry_backoff(attempt, options.retry_initial_delay, options.retry_backoff_factor,
                                      options.retry_max_delay, jitter());
      if (Clock::now() + *delay >= deadline) {
        failure->message += " (no time left for a retry in " + ms_text(*delay) + ")";
        delay.reset();
      }
    }
    if (!delay) {
      if (attempt > 0) failure->message += " (gave up after " + std::to_string(attempt + 1) + " attempts)";
      const std::string message = redact(failure->message);
      if (failure->status != 0) throw ModelStatusError(failure->status, message);
      throw ModelError(failure->id, message, failure->retryable);
    }
    const auto wake = Clock::now() + *delay;
    while (Clock::now() < wake) {
      if (call_options.cancelled && call_options.cancelled()) throw_cancelled(*this);
      std::this_thread::sleep_for(std::min<Clock::duration>(poll_interval, wake - Clock::now()));
    }
    if (call_options.cancelled && call_options.cancelled()) throw_cancelled(*this);
  }
}

OpenAIChatModel::OpenAIChatModel(OpenAIChatModelOptions options) {
  auto impl = std::make_shared<Impl>();
  if (options.base_url.empty()) {
    const char* env = std::getenv("OPENAI_BASE_URL");
    options.base_url = env != nullptr && *env != '\0' ? env : "https://api.openai.com/v1";
  }
  while (!options.base_url.empty() && options.base_url.back() == '/') options.base_url.pop_back();
  const std::string scheme = lower(options.base_url.substr(0, 8));
  if (scheme.rfind("http://", 0) != 0 && scheme.rfind("https://", 0) != 0)
    bad_option("base_url \"" + sg::redact_password(options.base_url) + "\" must start with http:// or https://");
  if (has_line_break(options.base_url) || options.base_url.find(' ') != std::string::npos)
    bad_option("base_url must not contain spaces or line breaks");
  if (options.model.empty()) bad_option("no model given (OpenAIChatModelOptions::model, e.g. \"gpt-4o-mini\")");
  if (options.connect_timeout <= milliseconds(0)) bad_option("connect_timeout must be positive");
  if (options.timeout <= milliseconds(0)) bad_option("timeout must be positive");
  if (options.max_retries < 0) bad_option("max_retries must not be negative");
  if (options.retry_initial_delay < milliseconds(0) || options.retry_max_delay < milliseconds(0))
    bad_option("retry delays must not be negative");
  if (!(options.retry_backoff_factor >= 1.0)) bad_option("retry_backoff_factor must be at least 1");
  if (options.max_tokens && *options.max_tokens <= 0) bad_option("max_tokens must be positive");
  for (const auto& [name, value] : options.headers) {
    if (name.empty() || has_line_break(name) || name.find(':') != std::string::npos || has_line_break(value))
      bad_option("header \"" + name + "\": names must be non-empty without ':', and neither may contain CR or LF");
  }
  if (!options.api_key_env.empty()) {
    if (const char* key = std::getenv(options.api_key_env.c_str()); key != nullptr) impl->api_key = key;
    if (has_line_break(impl->api_key)) bad_option("the API key in $" + options.api_key_env + " contains a line break");
  }
  impl->endpoint = options.base_url + "/chat/completions";
  impl->shown_endpoint = sg::redact_password(impl->endpoint);
  impl->options = std::move(options);
  impl_ = std::move(impl);
}

OpenAIChatModel::OpenAIChatModel(const OpenAIChatModel&) = default;
OpenAIChatModel& OpenAIChatModel::operator=(const OpenAIChatModel&) = default;
OpenAIChatModel::OpenAIChatModel(OpenAIChatModel&&) noexcept = default;
OpenAIChatModel& OpenAIChatModel::operator=(OpenAIChatModel&&) noexcept = default;
OpenAIChatModel::~OpenAIChatModel() = default;

const OpenAIChatModelOptions& OpenAIChatModel::options() const noexcept { return impl_->options; }
const std::string& OpenAIChatModel::endpoint() const noexcept { return impl_->endpoint; }
bool OpenAIChatModel::has_api_key() const noexcept { return !impl_->api_key.empty(); }

Message OpenAIChatModel::do_invoke(const Messages& messages, const ChatOptions& options) const {
  return impl_->call(messages, bound_tools(), options, nullptr);
}

Message OpenAIChatModel::do_stream(const Messages& messages, const ChatOptions& options,
                                   const ChunkCallback& on_chunk) const {
  static const ChunkCallback ignore = [](const MessageChunk&) {};
  return impl_->call(messages, bound_tools(), options, on_chunk ? &on_chunk : &ignore);
}

std::unique_ptr<ChatModel> OpenAIChatModel::clone() const { return std::make_unique<OpenAIChatModel>(*this); }

std::string OpenAIChatModel::do_name() const { return impl_->options.model; }

}  // namespace sg
