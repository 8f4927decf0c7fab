// `sg-chatbot serve`'s command line, on the real binary: --help lists every flag serve takes,
// --token must be a bearer token, binding beyond loopback without one warns.
#include <doctest/doctest.h>

#include <string>

#include "chatbot_script.hpp"
#include "server_process.hpp"
#include "temp_dir.hpp"

namespace {

/// Runs `sg-chatbot ARGS` with nothing on stdin.
sgtest::Run run(const sgtest::TempDir& dir, const std::string& args) { return sgtest::chatbot(dir, args, ""); }

}  // namespace

TEST_CASE("sg-chatbot serve --help lists serve's own flags and the model and store flags it takes") {
  sgtest::TempDir dir;
  const auto r = run(dir, "serve --help");
  CHECK(r.exit_code == 0);
  for (const char* flag : {"--host", "--port", "--token", "--max-body", "--threads", "--checkpoints", "--model",
                           "--base-url", "--api-key-env", "--system", "--max-tokens", "--memory", "--offline",
                           "--fake-delay-ms"}) {
    CAPTURE(flag);
    CHECK(r.out.find(flag) != std::string::npos);
  }
  // The REPL's own flags are not serve's.
  CHECK(r.out.find("--thread ") == std::string::npos);
  CHECK(r.out.find("--language") == std::string::npos);
  // Each flag listed is taken after `serve` (before it too).
  sgtest::ServerProcess server(SG_CHATBOT_BIN, {"--checkpoints", "memory", "--offline", "--memory", "buffer",
                                                "--max-tokens", "100", "--fake-delay-ms", "1", "--system", "S"},
                               dir.file("server.log"));
  CHECK(server.stop() == 0);
}

TEST_CASE("sg-chatbot serve --token must be a bearer token: empty or with spaces is refused with 805") {
  sgtest::TempDir dir;
  for (const char* token : {"''", "' '", "'a b'"}) {
    CAPTURE(token);
    const auto r = run(dir, std::string("serve --checkpoints memory --offline --port 0 --token ") + token);
    CHECK(r.exit_code == 2);
    CHECK(r.err.find("[sg.chatbot.805] --token") != std::string::npos);
    CHECK(r.err.find("serving on") == std::string::npos);
  }
}

TEST_CASE("sg-chatbot serve warns on stderr when it binds beyond loopback without a token") {
  sgtest::TempDir dir;
  const std::string warning = "warning: serving on 0.0.0.0 (beyond loopback) without --token";
  {
    sgtest::ServerProcess open(SG_CHATBOT_BIN, {"--checkpoints", "memory", "--offline"}, dir.file("open.log"),
                               "0.0.0.0");
    CHECK(open.log().find(warning) != std::string::npos);
  }
  {
    sgtest::ServerProcess with_token(SG_CHATBOT_BIN, {"--checkpoints", "memory", "--offline", "--token", "t0k"},
                                     dir.file("token.log"), "0.0.0.0");
    CHECK(with_token.log().find("warning") == std::string::npos);
  }
  for (const char* host : {"127.0.0.1", "127.0.0.2"}) {
    CAPTURE(host);
    sgtest::ServerProcess loopback(SG_CHATBOT_BIN, {"--checkpoints", "memory", "--offline"},
                                   dir.file("loopback.log"), host);
    CHECK(loopback.log().find("warning") == std::string::npos);
  }
}
