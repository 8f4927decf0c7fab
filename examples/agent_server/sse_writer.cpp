#include "sse_writer.hpp"

namespace sg::server {

std::string sse_event(std::string_view data, std::string_view event) {
  std::string out;
  out.reserve(data.size() + event.size() + 16);
  if (!event.empty()) {
    out += "event: ";
    out += event;
    out += '\n';
  }
  std::size_t begin = 0;
  for (;;) {
    const std::size_t end = data.find_first_of("\r\n", begin);
    out += "data: ";
    out += data.substr(begin, end == std::string_view::npos ? std::string_view::npos : end - begin);
    out += '\n';
    if (end == std::string_view::npos) break;
    begin = end + 1;
    if (data[end] == '\r' && begin < data.size() && data[begin] == '\n') ++begin;
  }
  out += '\n';
  return out;
}

}  // namespace sg::server
