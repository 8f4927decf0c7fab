#pragma once
// An incremental Server-Sent Events parser (internal to stategraph::nodes, not installed).
//
// Follows the WHATWG HTML standard, "9.2.6 Interpreting an event stream": lines end with CRLF,
// LF or CR (a CRLF split across two feeds is still one line end); a leading UTF-8 BOM is
// skipped; lines starting with ':' are comments; "field: value" loses one space after the colon;
// a line without a colon is a field with an empty value; "data" lines of one event are joined
// with '\n'; a blank line dispatches the event (none when no data line came); "event" sets the
// type of the next event only; "id" (without NUL) sets the last event id, which persists;
// "retry" with only ASCII digits sets the reconnection time; other fields are ignored.
//
// The parser owns no I/O: feed() it bytes as they arrive, in pieces of any size, and it returns
// the events those bytes completed. Splitting the same input differently gives the same events.
//
// Thread-safety: one parser is used by one thread at a time.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sg::nodes_detail {

/// One dispatched event.
struct SseEvent {
  std::string type = "message";  ///< the "event" field, "message" when the event had none
  std::string data;              ///< the data lines joined with '\n' (no trailing '\n')
  std::string last_event_id;     ///< the last "id" seen so far in the stream (may be empty)

  friend bool operator==(const SseEvent&, const SseEvent&) = default;
};

class SseParser {
 public:
  /// Default limit on the bytes of one event (its data and the line in progress): 16 MiB.
  static constexpr std::size_t default_max_event_bytes = std::size_t{16} << 20U;

  explicit SseParser(std::size_t max_event_bytes = default_max_event_bytes) noexcept
      : max_event_bytes_(max_event_bytes) {}

  /// Parses `bytes` (the next piece of the stream) and appends the events it completes to `out`.
  /// @return the number of events appended.
  /// @throws std::length_error when one event grows beyond the limit given to the constructor
  ///         (the parser is then unusable).
  std::size_t feed(std::string_view bytes, std::vector<SseEvent>& out);

  /// The end of the stream. The line in progress ends here, and an event whose closing blank
  /// line never came is dispatched too (the standard discards it; being lenient here serves
  /// servers that close right after their last "data:" line). Further feeds start afresh but
  /// keep the last event id.
  /// @return the number of events appended.
  std::size_t finish(std::vector<SseEvent>& out);

  /// True when bytes of an unfinished line or event are buffered.
  [[nodiscard]] bool pending() const noexcept { return !line_.empty() || !data_.empty() || !type_.empty(); }
  /// The last "id" field value seen (persists across events).
  [[nodiscard]] const std::string& last_event_id() const noexcept { return last_event_id_; }
  /// The last valid "retry" field value, in milliseconds.
  [[nodiscard]] std::optional<std::int64_t> retry_ms() const noexcept { return retry_ms_; }

 private:
  void process_line(std::string_view line, std::vector<SseEvent>& out, std::size_t& added);
  void dispatch(std::vector<SseEvent>& out, std::size_t& added);
  void check_size(std::size_t extra) const;

  std::size_t max_event_bytes_;
  std::string line_;       // the line in progress (without its end)
  std::string data_;       // the data buffer: every data line followed by '\n'
  std::string type_;       // the event type buffer
  std::string last_event_id_;
  std::optional<std::int64_t> retry_ms_;
  bool after_cr_ = false;  // the last byte was CR: an LF right after it ends no new line
  bool at_start_ = true;   // nothing but possibly a BOM prefix seen yet
};

}  // namespace sg::nodes_detail
