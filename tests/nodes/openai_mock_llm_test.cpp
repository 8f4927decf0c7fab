// sg::OpenAIChatModel against a server this project did not write: @dwmkerr/mock-llm from the npm
// registry, installed and started by the CTest fixture sg_mock_llm
// (tests/nodes/mock_llm/mock-llm-fixture.sh, rules in tests/nodes/mock_llm/mock-llm.yaml). The
// server is found through SG_TEST_MOCK_LLM_URL: a base URL, or a file holding one (what the
// fixture writes). Without it these tests fail; they are never skipped.
#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>

#include <stategraph/nodes/nodes.hpp>
#include <stategraph/nodes/openai_chat_model.hpp>

using namespace std::chrono_literals;

namespace {

std::string mock_llm_url() {
  const char* v = std::getenv("SG_TEST_MOCK_LLM_URL");
  if (v == nullptr || *v == '\0')
    FAIL("SG_TEST_MOCK_LLM_URL is not set: run these tests through ctest (the fixture sg_mock_llm starts "
         "@dwmkerr/mock-llm), or start the server yourself and set SG_TEST_MOCK_LLM_URL to its /v1 base URL");
  std::string url = v;
  if (url.rfind("http", 0) != 0) {
    std::ifstream in(url);
    if (!(in >> url))
      FAIL("cannot read the mock-llm URL from " << v << " (did the test 'nodes: mock-llm start' fail? see its output)");
  }
  return url;
}

sg::OpenAIChatModel mock_model(const std::string& api_key_env = "SG_TEST_MOCK_LLM_KEY") {
  sg::OpenAIChatModelOptions o;
  o.base_url = mock_llm_url();
  o.model = "gpt-4";
  o.api_key_env = api_key_env;
  o.timeout = 20s;
  o.max_retries = 1;
  o.retry_initial_delay = 50ms;
  return sg::OpenAIChatModel(o);
}

}  // namespace

TEST_CASE("mock-llm: invoke gets the canned reply and the echo reply") {
  const auto model = mock_model();
  const sg::Message canned = model.invoke({sg::SystemMessage("be nice"), sg::HumanMessage("hello there")});
  CHECK(canned.type == sg::MessageType::ai);
  CHECK(canned.content == "Hi there! How can I help you today?");
  CHECK(canned.response_metadata["finish_reason"] == "stop");
  CHECK(canned.response_metadata["model_name"] == "gpt-4");  // the server's template echoes the request's model
  REQUIRE(canned.usage.has_value());
  CHECK(canned.usage->total_tokens == 18);

  const sg::Message echo = model.invoke({sg::HumanMessage("Echo this back, please.")});
  CHECK(echo.content == "Echo this back, please.");
  CHECK(echo.response_metadata["id"].get<std::string>().rfind("chatcmpl-", 0) == 0);
}

TEST_CASE("mock-llm: stream delivers the canned reply in several chunks up to [DONE]") {
  const auto model = mock_model();
  std::vector<std::string> pieces;
  const sg::Message m = model.stream({sg::HumanMessage("say hello")}, [&](const sg::MessageChunk& c) {
    if (!c.content.empty()) pieces.push_back(c.content);
  });
  CHECK(m.content == "Hi there! How can I help you today?");
  CHECK(pieces.size() >= 4);  // 8 characters per chunk (mock-llm.yaml)
  std::string joined;
  for (const auto& p : pieces) joined += p;
  CHECK(joined == m.content);
  CHECK(m.response_metadata["finish_reason"] == "stop");
}

TEST_CASE("mock-llm: its OpenAI-style 401 surfaces, as an HTTP error and inside a stream - the Bearer key arrives") {
  ::setenv("SG_TEST_MOCK_LLM_KEY", "sk-mock-key-42", 1);
  const auto model = mock_model();
  try {
    (void)model.invoke({sg::HumanMessage("trigger error-401")});
    FAIL("no exception");
  } catch (const sg::ModelStatusError& e) {
    CHECK(e.status() == 401);
    CHECK_FALSE(e.retryable());
    CHECK(std::string(e.what()).find("Incorrect API key provided. (type invalid_request_error, code invalid_api_key)") !=
          std::string::npos);
  }
  // mock-llm streams errors as a 200 whose only event is the error object (as OpenAI does mid-stream).
  CHECK_THROWS_WITH_AS(model.stream({sg::HumanMessage("trigger error-401")}, nullptr),
                       doctest::Contains("Incorrect API key provided."), sg::ModelError);

  // The rule "show-auth" replies with the Authorization header the server received.
  const sg::Message auth = model.invoke({sg::HumanMessage("show-auth")});
  CHECK(auth.content == "Bearer sk-mock-key-42");
  ::unsetenv("SG_TEST_MOCK_LLM_KEY");
}
