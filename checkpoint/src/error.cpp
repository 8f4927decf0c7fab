#include "stategraph/checkpoint/error.hpp"

#include <utility>

namespace sg {

namespace {

std::string format_what(const std::string& id, std::string_view message) {
  std::string what;
  what.reserve(id.size() + message.size() + 3);
  what.append("[").append(id).append("] ").append(message);
  return what;
}

}  // namespace

std::string error_tag(ErrorId id) {
  std::string tag = "[";
  tag.append(error_code(id)).append("] ");
  return tag;
}

Error::Error(ErrorId id, std::string_view message, bool retryable)
    : Error(std::string(error_code(id)), message, retryable) {}

Error::Error(std::string id, std::string_view message, bool retryable)
    : std::runtime_error(format_what(id, message)), id_(std::move(id)), retryable_(retryable) {}

std::string_view Error::message() const noexcept {
  // what() is "[" + id + "] " + message.
  return std::string_view(what()).substr(id_.size() + 3);
}

SaverError::SaverError(ErrorId id, std::string_view message, std::string backend_code, bool retryable)
    : Error(id, message, retryable), backend_code_(std::move(backend_code)) {}

SaverUnavailable::SaverUnavailable(std::string_view message, std::string backend_code)
    : SaverError(ErrorId::saver_unavailable, message, std::move(backend_code), true) {}

SaverCorrupt::SaverCorrupt(std::string_view message, std::string backend_code)
    : SaverError(ErrorId::saver_corrupt, message, std::move(backend_code), false) {}

SaverCorrupt::SaverCorrupt(ErrorId id, std::string_view message, std::string backend_code)
    : SaverError(id, message, std::move(backend_code), false) {}

}  // namespace sg
