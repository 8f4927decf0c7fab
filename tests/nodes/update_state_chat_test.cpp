// update_state on a chat thread (MessagesState, add_messages): what sg-chatbot's /clear (remove
// every message, as the model node) and /undo (copy the checkpoint of the previous turn) rely on.
#include <doctest/doctest.h>

#include <stategraph/nodes/nodes.hpp>
#include <stategraph/stategraph.hpp>

namespace {

using S = sg::MessagesState;

sg::CompiledGraph<S> chat(std::shared_ptr<sg::BaseCheckpointSaver> saver) {
  sg::StateGraph<S> g;
  g.add_node("model", [](const S& s) {
    return sg::Update<S>{sg::set<&S::messages>(sg::AIMessage("reply to " + s.messages.back().text()))};
  });
  g.add_edge(sg::START, "model").add_edge("model", sg::END);
  return g.compile({.checkpointer = std::move(saver)});
}

std::vector<std::string> texts(const sg::Messages& ms) {
  std::vector<std::string> out;
  for (const auto& m : ms) out.push_back(m.text());
  return out;
}

sg::RunConfig thread(const std::string& id) {
  sg::RunConfig c;
  c.thread_id = id;
  return c;
}

}  // namespace

TEST_CASE("chat /clear: RemoveMessage(REMOVE_ALL_MESSAGES) as the model empties the thread, the next turn starts over") {
  auto app = chat(std::make_shared<sg::InMemorySaver>());
  const auto cfg = thread("clear");
  app.invoke({sg::set<&S::messages>(sg::HumanMessage("hi"))}, cfg);
  app.invoke({sg::set<&S::messages>(sg::HumanMessage("again"))}, cfg);
  REQUIRE(app.get_state(cfg)->values.messages.size() == 4);

  app.update_state(cfg, {sg::set<&S::messages>(sg::RemoveMessage(sg::REMOVE_ALL_MESSAGES))}, "model");
  auto state = app.get_state(cfg);
  CHECK(state->values.messages.empty());
  CHECK(state->next.empty());
  CHECK(state->metadata["source"] == "update");

  auto out = app.invoke({sg::set<&S::messages>(sg::HumanMessage("fresh start"))}, cfg);
  CHECK(texts(out.values.messages) == std::vector<std::string>{"fresh start", "reply to fresh start"});
  // The cleared history is still there to go back to.
  CHECK(app.get_state_history(cfg).size() == 3 + 3 + 1 + 3);
}

TEST_CASE("chat /clear by ids: RemoveMessage of every message id") {
  auto app = chat(std::make_shared<sg::InMemorySaver>());
  const auto cfg = thread("clear-ids");
  auto out = app.invoke({sg::set<&S::messages>(sg::HumanMessage("hi"))}, cfg);
  sg::Messages removals;
  for (const auto& m : out.values.messages) removals.push_back(sg::RemoveMessage(m.id));
  app.update_state(cfg, {sg::set<&S::messages>(removals)}, "model");
  CHECK(app.get_state(cfg)->values.messages.empty());
  // A removal of an id that is not there is rejected by the reducer and saves nothing.
  const auto before = app.get_state_history(cfg).size();
  CHECK_THROWS_AS(app.update_state(cfg, {sg::set<&S::messages>(sg::RemoveMessage("nope"))}, "model"),
                  sg::InvalidUpdate);
  CHECK(app.get_state_history(cfg).size() == before);
}

TEST_CASE("chat /undo: copying the previous turn's last checkpoint drops the last turn, the thread goes on from there") {
  auto app = chat(std::make_shared<sg::InMemorySaver>());
  const auto cfg = thread("undo");
  app.invoke({sg::set<&S::messages>(sg::HumanMessage("one"))}, cfg);
  const auto after_one = *app.get_state(cfg);
  app.invoke({sg::set<&S::messages>(sg::HumanMessage("two"))}, cfg);

  sg::RunConfig back = cfg;
  back.checkpoint_id = after_one.config.checkpoint_id;
  app.update_state(back, std::nullopt, sg::AS_COPY);
  auto state = *app.get_state(cfg);
  CHECK(texts(state.values.messages) == std::vector<std::string>{"one", "reply to one"});
  CHECK(state.values.messages == after_one.values.messages);  // ids kept
  CHECK(state.metadata["source"] == "fork");

  auto out = app.invoke({sg::set<&S::messages>(sg::HumanMessage("two again"))}, cfg);
  CHECK(texts(out.values.messages) ==
        std::vector<std::string>{"one", "reply to one", "two again", "reply to two again"});
  // Undo twice in a row: back to the copy's own previous turn.
  const auto history = app.get_state_history(cfg);
  sg::RunConfig again = cfg;
  again.checkpoint_id = state.config.checkpoint_id;
  app.update_state(again, std::nullopt, sg::AS_COPY);
  CHECK(app.get_state(cfg)->values.messages == after_one.values.messages);
  CHECK(app.get_state_history(cfg).size() == history.size() + 1);
}
