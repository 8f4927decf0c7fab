#include "stategraph/checkpoint/store_uri.hpp"

#include "stategraph/checkpoint/error.hpp"
#include "stategraph/checkpoint/redact_password.hpp"

namespace sg {

namespace {
bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }
}  // namespace

std::string StoreUri::display() const {
  switch (kind) {
    case Kind::memory:
      return "memory";
    case Kind::sqlite:
      return "sqlite:" + target;
    case Kind::postgres:
      break;
  }
  return redact_password(target);
}

StoreUri parse_store_uri(std::string_view text) {
  StoreUri uri;
  if (text == "memory") return uri;
  if (starts_with(text, "postgres://") || starts_with(text, "postgresql://")) {
    uri.kind = StoreUri::Kind::postgres;
    uri.target = std::string(text);
    return uri;
  }
  if (starts_with(text, "sqlite:")) {
    std::string_view path = text.substr(7);
    if (starts_with(path, "//")) path.remove_prefix(2);
    if (!path.empty()) {
      uri.kind = StoreUri::Kind::sqlite;
      uri.target = std::string(path);
      return uri;
    }
  }
  throw SaverError(ErrorId::saver_bad_store_uri, "\"" + redact_password(text) +
                                       "\" is not a store address: use memory, sqlite:PATH (a SQLite file) or "
                                       "postgres://USER@HOST:PORT/DB (a libpq URI)");
}

}  // namespace sg
