// The umbrella header <stategraph/nodes/nodes.hpp> declares everything the README says it does,
// the OpenAI-compatible client included (this file includes nothing else of the chat layer).
#include <doctest/doctest.h>

#include <memory>
#include <type_traits>

#include <stategraph/nodes/nodes.hpp>

TEST_CASE("nodes.hpp declares OpenAIChatModel and its options") {
  static_assert(std::is_base_of_v<sg::ChatModel, sg::OpenAIChatModel>);
  sg::OpenAIChatModelOptions options{.base_url = "http://127.0.0.1:9/v1", .model = "m"};
  const auto model = std::make_shared<sg::OpenAIChatModel>(options);
  CHECK(model->name() == "m");
}
