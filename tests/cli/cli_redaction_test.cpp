// sg-checkpoints never prints a password given in --db: not in the saver's connection error, not
// where CLI11 echoes an argument it did not expect (sg::redact_password on every error line).
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "cli_runner.hpp"

TEST_CASE("cli a password in --db never shows: user info, password= parameter, echoed arguments") {
  const std::vector<std::vector<std::string>> runs{
      {"--db", "postgres://u:hunter2@127.0.0.1:1/x", "threads"},
      {"--db", "postgresql://u@127.0.0.1:1/x?sslmode=disable&password=hunter2", "threads"},
      {"--db", "host=127.0.0.1 port=1 password=hunter2", "threads"},  // libpq key/value: not an address
      {"--db", "postgres://u:hunter2@127.0.0.1:1/x", "threads", "postgres://u:hunter2@h/y"},  // unexpected
  };
  for (const auto& args : runs) {
    CAPTURE(args.at(1));
    const auto r = sgtest::run_cli(args);
    CHECK(r.code == 2);
    CHECK(r.err.rfind("sg-checkpoints: [sg.", 0) == 0);
    CHECK(r.err.find("hunter2") == std::string::npos);
    CHECK(r.out.find("hunter2") == std::string::npos);
    CHECK(r.err.find("***") != std::string::npos);
  }
}
