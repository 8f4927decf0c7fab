// Incremental SSE parsing: WHATWG HTML standard, 9.2.6 "Interpreting an event stream".
#include "sse_parser.hpp"

#include <algorithm>
#include <stdexcept>

namespace sg::nodes_detail {

namespace {

constexpr std::string_view bom = "\xEF\xBB\xBF";

bool all_digits(std::string_view s) noexcept {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

void SseParser::check_size(std::size_t extra) const {
  if (line_.size() + data_.size() + extra > max_event_bytes_)
    throw std::length_error("server-sent event larger than " + std::to_string(max_event_bytes_) + " bytes");
}

std::size_t SseParser::feed(std::string_view bytes, std::vector<SseEvent>& out) {
  std::size_t added = 0;
  std::size_t pos = 0;
  if (after_cr_ && !bytes.empty()) {
    after_cr_ = false;
    if (bytes.front() == '\n') pos = 1;  // the LF of a CRLF split across two feeds
  }
  while (pos < bytes.size()) {
    const std::size_t end = bytes.find_first_of("\r\n", pos);
    if (end == std::string_view::npos) {
      check_size(bytes.size() - pos);
      line_.append(bytes.substr(pos));
      break;
    }
    const std::string_view piece = bytes.substr(pos, end - pos);
    if (line_.empty()) {
      process_line(piece, out, added);
    } else {
      check_size(piece.size());
      line_.append(piece);
      const std::string line = std::move(line_);
      line_.clear();
      process_line(line, out, added);
    }
    pos = end + 1;
    if (bytes[end] == '\r') {
      if (pos == bytes.size()) after_cr_ = true;
      else if (bytes[pos] == '\n') ++pos;
    }
  }
  return added;
}

std::size_t SseParser::finish(std::vector<SseEvent>& out) {
  std::size_t added = 0;
  if (!line_.empty()) {
    const std::string line = std::move(line_);
    line_.clear();
    process_line(line, out, added);
  }
  dispatch(out, added);
  after_cr_ = false;
  at_start_ = true;
  return added;
}

void SseParser::process_line(std::string_view line, std::vector<SseEvent>& out, std::size_t& added) {
  if (at_start_) {
    at_start_ = false;
    if (line.substr(0, bom.size()) == bom) line.remove_prefix(bom.size());
  }
  if (line.empty()) {
    dispatch(out, added);
    return;
  }
  if (line.front() == ':') return;  // a comment (often a keep-alive)
  std::string_view field = line;
  std::string_view value;
  if (const auto colon = line.find(':'); colon != std::string_view::npos) {
    field = line.substr(0, colon);
    value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }
  if (field == "data") {
    check_size(value.size() + 1);
    data_.append(value);
    data_.push_back('\n');
  } else if (field == "event") {
    type_.assign(value);
  } else if (field == "id") {
    if (value.find('\0') == std::string_view::npos) last_event_id_.assign(value);
  } else if (field == "retry") {
    if (all_digits(value) && value.size() <= 15) retry_ms_ = std::stoll(std::string(value));
  }
  // any other field is ignored
}

void SseParser::dispatch(std::vector<SseEvent>& out, std::size_t& added) {
  if (data_.empty()) {
    type_.clear();
    return;
  }
  data_.pop_back();  // the '\n' after the last data line
  SseEvent e;
  if (!type_.empty()) e.type = std::move(type_);
  e.data = std::move(data_);
  e.last_event_id = last_event_id_;
  out.push_back(std::move(e));
  ++added;
  data_.clear();
  type_.clear();
}

}  // namespace sg::nodes_detail
