// Store addresses (store_uri.hpp, open_store.hpp) and password redaction (redact_password.hpp):
// the one grammar sg-checkpoints --db and sg-chatbot --checkpoints accept, and the one function
// that hides a password in every message.

#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <string>

#include "stategraph/checkpoint/error.hpp"
#include "stategraph/checkpoint/memory_saver.hpp"
#include "stategraph/checkpoint/open_store.hpp"
#include "stategraph/checkpoint/redact_password.hpp"
#include "stategraph/checkpoint/sqlite_saver.hpp"
#include "stategraph/checkpoint/store_uri.hpp"

namespace {

std::string rejected_id(std::string_view text) {
  try {
    (void)sg::parse_store_uri(text);
  } catch (const sg::SaverError& e) {
    return e.id();
  }
  return "accepted";
}

}  // namespace

TEST_CASE("store uri: memory, sqlite:PATH, sqlite://PATH, postgres:// and postgresql:// parse") {
  using Kind = sg::StoreUri::Kind;
  CHECK(sg::parse_store_uri("memory").kind == Kind::memory);
  CHECK(sg::parse_store_uri("memory").target.empty());

  auto u = sg::parse_store_uri("sqlite:chat.db");
  CHECK(u.kind == Kind::sqlite);
  CHECK(u.target == "chat.db");
  CHECK(sg::parse_store_uri("sqlite://chat.db").target == "chat.db");
  CHECK(sg::parse_store_uri("sqlite:///var/lib/chat.db").target == "/var/lib/chat.db");
  CHECK(sg::parse_store_uri("sqlite:/var/lib/chat.db").target == "/var/lib/chat.db");

  u = sg::parse_store_uri("postgres://u:pw@h:5432/db?sslmode=disable");
  CHECK(u.kind == Kind::postgres);
  CHECK(u.target == "postgres://u:pw@h:5432/db?sslmode=disable");  // as given: libpq reads it
  CHECK(sg::parse_store_uri("postgresql://h/db").kind == Kind::postgres);
}

TEST_CASE("store uri: anything else is sg.saver.410 and the message hides the password") {
  for (const char* bad : {"", "sqlite:", "sqlite://", "chat.db", "mysql://x", "Memory", "memory:", "redis://x",
                          "postgres:/h/db", "host=h dbname=d"}) {
    CAPTURE(bad);
    CHECK(rejected_id(bad) == "sg.saver.410");
  }
  try {
    (void)sg::parse_store_uri("mysql://root:hunter2@db/x");
    FAIL("accepted");
  } catch (const sg::SaverError& e) {
    const std::string what = e.what();
    CHECK(what.find("hunter2") == std::string::npos);
    CHECK(what.find("memory, sqlite:PATH") != std::string::npos);
  }
}

TEST_CASE("store uri: display is the address with its password redacted") {
  CHECK(sg::parse_store_uri("memory").display() == "memory");
  CHECK(sg::parse_store_uri("sqlite://chat.db").display() == "sqlite:chat.db");
  CHECK(sg::parse_store_uri("postgresql://app:s3cret@db:5432/prod").display() == "postgresql://app:***@db:5432/prod");
  CHECK(sg::parse_store_uri("postgres://app@db/prod").display() == "postgres://app@db/prod");
}

TEST_CASE("redact_password: URI user info, password query parameters, key=value strings") {
  // URIs
  CHECK(sg::redact_password("postgresql://u:secret@h/db") == "postgresql://u:***@h/db");
  CHECK(sg::redact_password("postgres://u:@h/db") == "postgres://u:***@h/db");
  CHECK(sg::redact_password("postgres://u@h/db") == "postgres://u@h/db");
  CHECK(sg::redact_password("postgres://h:5432/db") == "postgres://h:5432/db");  // a port, no password
  CHECK(sg::redact_password("postgres://u:p%40ss@h/db") == "postgres://u:***@h/db");
  CHECK(sg::redact_password("postgresql://h/db?user=u&password=secret&sslmode=require") ==
        "postgresql://h/db?user=u&password=***&sslmode=require");
  CHECK(sg::redact_password("postgresql://u:a@h/db?sslpassword=k") == "postgresql://u:***@h/db?sslpassword=***");
  // An '@' after the first '/' is not user info (libpq reads it as part of the path).
  CHECK(sg::redact_password("postgresql://h/db@x") == "postgresql://h/db@x");
  // key=value
  CHECK(sg::redact_password("host=h password=secret dbname=d") == "host=h password=*** dbname=d");
  CHECK(sg::redact_password("password = 'it\\'s secret' host=h") == "password = *** host=h");
  CHECK(sg::redact_password("host=h user=password") == "host=h user=password");  // a value, not a key
  // Not a Postgres address: unchanged.
  CHECK(sg::redact_password("sqlite:a=b.db") == "sqlite:a=b.db");
  CHECK(sg::redact_password("memory") == "memory");
  CHECK(sg::redact_password("mysql://root:pw@db/x") == "mysql://root:***@db/x");  // any scheme
  // No password anywhere in the output of any of these.
  for (const char* s : {"postgresql://u:pw1@h/db", "postgres://h/db?password=pw1", "password=pw1",
                        "host=h password='pw1'"}) {
    CAPTURE(s);
    CHECK(sg::redact_password(s).find("pw1") == std::string::npos);
  }
}

TEST_CASE("redact_password: model base URLs: user info and key query parameters") {
  CHECK(sg::redact_password("https://user:sk-123@api.example.com/v1") == "https://user:***@api.example.com/v1");
  // An http(s) user name alone is a key too (postgres:// keeps its user name, above).
  CHECK(sg::redact_password("https://sk-123@api.example.com/v1") == "https://***@api.example.com/v1");
  CHECK(sg::redact_password("HTTP://sk-123@h/v1") == "HTTP://***@h/v1");
  CHECK(sg::redact_password("http://127.0.0.1:11434/v1") == "http://127.0.0.1:11434/v1");
  CHECK(sg::redact_password("https://h/v1?api_key=k1&api-version=2024") == "https://h/v1?api_key=***&api-version=2024");
  CHECK(sg::redact_password("https://h/v1?key=k1&Token=k2&x=1#frag") == "https://h/v1?key=***&Token=***&x=1#frag");
  CHECK(sg::redact_password("https://h/v1?access_token=k1/chat/completions") == "https://h/v1?access_token=***");
  CHECK(sg::redact_password("https://h/v1?monkey=1&keys=2") == "https://h/v1?monkey=1&keys=2");  // other names
}

TEST_CASE("redact_password: addresses inside a message, idempotent") {
  CHECK(sg::redact_password("cannot connect to postgres://u:pw@h:1/x: connection refused") ==
        "cannot connect to postgres://u:***@h:1/x: connection refused");
  CHECK(sg::redact_password("POST \"http://u:k@h/v1?token=t\" failed; retry with password=p2 later") ==
        "POST \"http://u:***@h/v1?token=***\" failed; retry with password=*** later");
  CHECK(sg::redact_password("--db \"host=h password=p3\" is not a store address") ==
        "--db \"host=h password=*** is not a store address");
  CHECK(sg::redact_password("two: https://a:x@h and https://b:y@g/v1") == "two: https://a:***@h and https://b:***@g/v1");
  // Words that only contain a secret name are not keys.
  CHECK(sg::redact_password("passwords=3 mykey=v key_id=7 a-token=x") == "passwords=3 mykey=v key_id=7 a-token=x");
  CHECK(sg::redact_password("no secrets: see http://example.com/a@b, mail bob@example.com") ==
        "no secrets: see http://example.com/a@b, mail bob@example.com");
  for (const char* s : {"postgres://u:pw@h/db?sslpassword=k", "https://k@h/v1?api_key=a", "password = 'a b' x",
                        "text http://u:p@h/x?token=t&y=1 more"}) {
    CAPTURE(s);
    const std::string once = sg::redact_password(s);
    CHECK(sg::redact_password(once) == once);
  }
}

TEST_CASE("open_store: memory and sqlite addresses open their savers, read_only is honoured") {
  CHECK(dynamic_cast<sg::InMemorySaver*>(sg::open_store("memory").get()) != nullptr);

  const auto dir = std::filesystem::temp_directory_path() /
                   ("sg-store-uri-" + std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "s.db").string();
  {
    auto saver = sg::open_store("sqlite://" + path);
    CHECK(dynamic_cast<sg::SqliteSaver*>(saver.get()) != nullptr);
  }
  CHECK(std::filesystem::exists(path));
  {
    auto saver = sg::open_store("sqlite:" + path, /*read_only=*/true);
    sg::CheckpointConfig config;
    config.thread_id = "t";
    CHECK_FALSE(saver->get_tuple(config).has_value());
    try {
      saver->delete_thread("t");
      FAIL("a read-only store accepted a write");
    } catch (const sg::SaverError& e) {
      CHECK(e.id() == "sg.saver.409");
    }
  }
  CHECK_THROWS_AS((void)sg::open_store("sqlite:"), sg::SaverError);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}
