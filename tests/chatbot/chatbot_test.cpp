// The chatbot service (examples/chatbot/chatbot.hpp) on real SQLite files with the offline fake
// model or scripted fakes: memory per thread, language, trimming as in the tutorial, summary
// memory, restart, undo/clear, failures and cancellation leaving the thread as it was.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <stategraph/checkpoint/memory_saver.hpp>
#include <stategraph/checkpoint/sqlite_saver.hpp>
#include <stategraph/nodes/fake_chat_model.hpp>
#include <stategraph/nodes/prompt_template.hpp>
#include <stategraph/nodes/token_counter.hpp>
#include <stategraph/nodes/trim_messages.hpp>

#include "chatbot.hpp"
#include "chatbot_error.hpp"
#include "error_id.hpp"
#include "offline_chat_model.hpp"
#include "temp_dir.hpp"
#include "test_models.hpp"

using sg::chatbot::Chatbot;
using sg::chatbot::ChatbotConfig;
using sg::chatbot::ChatbotError;
using sg::chatbot::MemoryStrategy;
using sg::chatbot::OfflineChatModel;

using sgtest::error_id;

namespace {

ChatbotConfig offline_config(const std::string& db, MemoryStrategy memory = MemoryStrategy::buffer, int max_tokens = 4000) {
  ChatbotConfig c;
  c.model = std::make_shared<OfflineChatModel>();
  c.saver = std::make_shared<sg::SqliteSaver>(db);
  c.graph.memory = memory;
  c.graph.max_tokens = max_tokens;
  return c;
}

/// The tutorial's trimming setup (LangChain "Build a Chatbot", Managing Conversation History): a
/// budget of 65 tokens and the system prompt "you're a good assistant" (11 tokens).
ChatbotConfig tutorial_budget_config(const std::string& db, MemoryStrategy memory,
                                     std::shared_ptr<const sg::ChatModel> model) {
  ChatbotConfig c = offline_config(db, memory, 65);
  c.model = std::move(model);
  c.graph.system_prompt = "you're a good assistant";
  return c;
}

std::vector<std::string> texts(const sg::Messages& messages) {
  std::vector<std::string> out;
  for (const auto& m : messages) out.push_back(m.text());
  return out;
}

/// Two Chatbots on one SQLite file, as two servers on one store: B's turn on `thread` waits in
/// the model (holding the thread) while A starts a turn there that fails; then B's turn
/// completes. Returns the thread's messages afterwards (A's error id first).
std::vector<std::string> race_failed_turn(const std::string& thread, bool seed) {
  sgtest::TempDir dir;
  sgtest::Gate gate;
  auto slow = std::make_shared<sg::ScriptedFakeChatModel>([&gate](const sg::Messages& messages) {
    if (messages.back().text() != "seed") gate.arrive_and_wait();
    return sg::AIMessage("ack " + messages.back().text());
  });
  auto failing = std::make_shared<sg::ScriptedFakeChatModel>(std::vector<sg::Message>{sg::AIMessage("never")});
  failing->fail_on_call(1);
  ChatbotConfig b_config = offline_config(dir.file("chat.db"));
  b_config.model = slow;
  ChatbotConfig a_config = offline_config(dir.file("chat.db"));
  a_config.model = failing;
  Chatbot b(b_config);
  Chatbot a(a_config);
  if (seed) b.send(thread, "seed");
  auto acknowledged = std::async(std::launch::async, [&] { return b.send(thread, "from b"); });
  REQUIRE(gate.wait_for_arrivals(1));  // B's turn holds the thread
  auto failed = std::async(std::launch::async, [&] { return error_id([&] { a.send(thread, "from a"); }); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // A's turn starts and waits for the thread
  gate.open();
  CHECK(acknowledged.get().reply.text() == "ack from b");
  std::vector<std::string> out{failed.get()};
  const auto view = b.thread(thread);
  REQUIRE(view);
  for (const auto& m : view->messages) out.push_back(m.text());
  return out;
}

}  // namespace

TEST_CASE("chatbot: remembers a name on its thread and not on another") {
  sgtest::TempDir dir;
  Chatbot bot(offline_config(dir.file("chat.db")));
  CHECK(bot.send("bob", "Hi! I'm Bob").reply.text() == "Hi Bob! How can I help you today?");
  const auto second = bot.send("bob", "What's my name?");
  CHECK(second.reply.text() == "Your name is Bob.");
  CHECK(second.turn_count == 2);
  CHECK(bot.send("alice", "What's my name?").reply.text().find("I don't know your name") == 0);
  const auto view = bot.thread("bob");
  REQUIRE(view);
  CHECK(texts(view->messages) ==
        std::vector<std::string>{"Hi! I'm Bob", "Hi Bob! How can I help you today?", "What's my name?", "Your name is Bob."});
  CHECK(view->turn_count == 2);
  CHECK_FALSE(bot.thread("nobody"));
}

TEST_CASE("chatbot: streams the reply's tokens as they are produced") {
  sgtest::TempDir dir;
  Chatbot bot(offline_config(dir.file("chat.db")));
  std::vector<std::string> pieces;
  const auto result = bot.send("t", "Hi! I'm Bob", [&](std::string_view p) { pieces.emplace_back(p); });
  CHECK(pieces.size() > 3);  // one per word
  std::string joined;
  for (const auto& p : pieces) joined += p;
  CHECK(joined == result.reply.text());
}

TEST_CASE("chatbot: the language is kept in the thread's state") {
  sgtest::TempDir dir;
  Chatbot bot(offline_config(dir.file("chat.db")));
  CHECK(bot.send("es", "Hi! I'm Bob", {}, {}, std::string("Spanish")).reply.text() ==
        "[in Spanish] Hi Bob! How can I help you today?");
  // No language given: the thread's stays.
  CHECK(bot.send("es", "What's my name?").reply.text() == "[in Spanish] Your name is Bob.");
  CHECK(bot.thread("es")->language == "Spanish");
  CHECK(bot.send("en", "What's my name?").reply.text().rfind("[in", 0) == std::string::npos);
  CHECK(bot.thread("en")->language == "English");
}

TEST_CASE("chatbot: trim forgets the name as in the tutorial, buffer remembers it") {
  // The tutorial's conversation (LangChain "Build a Chatbot", Managing Conversation History):
  // with a budget of 65 tokens the model no longer sees "hi! I'm bob".
  const std::map<std::string, std::string> script = {{"hi! I'm bob", "hi!"}, {"I like vanilla ice cream", "nice"},
                                                     {"whats 2 + 2", "4"},    {"thanks", "no problem!"},
                                                     {"having fun?", "yes!"}};
  auto model = std::make_shared<sg::ScriptedFakeChatModel>([&script](const sg::Messages& messages) {
    const auto found = script.find(messages.back().text());
    return found != script.end() ? sg::AIMessage(found->second) : OfflineChatModel::reply_to(messages);
  });
  for (const auto memory : {MemoryStrategy::trim, MemoryStrategy::buffer}) {
    CAPTURE(sg::chatbot::to_string(memory));
    sgtest::TempDir dir;
    const ChatbotConfig c = tutorial_budget_config(dir.file("chat.db"), memory, model);
    Chatbot bot(c);
    for (const auto& line : {"hi! I'm bob", "I like vanilla ice cream", "whats 2 + 2", "thanks", "having fun?"})
      bot.send("t", line);
    const auto state = bot.thread("t");
    REQUIRE(state);
    const auto reply = bot.send("t", "what's my name?").reply.text();
    if (memory == MemoryStrategy::trim) {
      CHECK(reply.find("I don't know your name") == 0);
      // What the model saw for that question, as in the tutorial: the system message (11
      // tokens) and the newest messages within 65 tokens in all, starting on a human message.
      sg::chatbot::ChatState s;
      s.messages = state->messages;
      s.messages.push_back(sg::HumanMessage("what's my name?"));
      CHECK(texts(sg::chatbot::model_input(s, c.graph)) ==
            std::vector<std::string>{"you're a good assistant", "whats 2 + 2", "4", "thanks", "no problem!",
                                     "having fun?", "yes!", "what's my name?"});
    } else {
      CHECK(reply == "Your name is Bob.");
    }
  }
}

TEST_CASE("chatbot: summary memory folds old turns into the summary and keeps the name") {
  sgtest::TempDir dir;
  ChatbotConfig c = offline_config(dir.file("chat.db"), MemoryStrategy::summary, 60);
  c.graph.summary_keep_messages = 2;
  Chatbot bot(c);
  bot.send("s", "Hi! I'm Bob");
  for (int i = 0; i < 6; ++i) bot.send("s", "what is " + std::to_string(i) + " + 1?");
  const auto view = bot.thread("s");
  REQUIRE(view);
  CHECK(view->summary.find("The user's name is Bob.") == 0);
  CHECK(view->messages.size() <= 6);  // folded messages were removed (RemoveMessage)
  CHECK(view->turn_count == 7);
  CHECK(bot.send("s", "What's my name?").reply.text() == "Your name is Bob.");
  CHECK(bot.thread("s")->messages.front().text() != "Hi! I'm Bob");
}

TEST_CASE("chatbot: a restarted chatbot continues the thread from the SQLite file") {
  sgtest::TempDir dir;
  {
    Chatbot bot(offline_config(dir.file("chat.db")));
    bot.send("bob", "Hi! I'm Bob");
  }
  Chatbot again(offline_config(dir.file("chat.db")));
  const auto reply = again.send("bob", "What's my name?");
  CHECK(reply.reply.text() == "Your name is Bob.");
  CHECK(reply.turn_count == 2);
}

TEST_CASE("chatbot: undo continues from before the last turn and keeps it in the history") {
  sgtest::TempDir dir;
  ChatbotConfig c = offline_config(dir.file("chat.db"));
  Chatbot bot(c);
  bot.send("u", "Hi! I'm Bob");
  bot.send("u", "Actually I'm Alice");
  CHECK(bot.send("u", "What's my name?").reply.text() == "Your name is Alice.");
  const auto checkpoints_before = c.saver->list({"u", "", std::nullopt}).size();
  REQUIRE(bot.undo("u"));  // the question
  REQUIRE(bot.undo("u"));  // "Actually I'm Alice"
  auto view = bot.thread("u");
  CHECK(texts(view->messages) == std::vector<std::string>{"Hi! I'm Bob", "Hi Bob! How can I help you today?"});
  CHECK(view->turn_count == 1);
  CHECK(bot.send("u", "What's my name?").reply.text() == "Your name is Bob.");
  // Nothing was deleted: the undone turns are an abandoned branch of the history.
  CHECK(c.saver->list({"u", "", std::nullopt}).size() > checkpoints_before);
  // Undoing the first turn empties the thread; there is nothing before it.
  REQUIRE(bot.undo("u"));
  REQUIRE(bot.undo("u"));
  CHECK(bot.thread("u")->messages.empty());
  CHECK_FALSE(bot.undo("nobody"));
}

TEST_CASE("chatbot: clear empties the conversation and undo brings it back") {
  sgtest::TempDir dir;
  Chatbot bot(offline_config(dir.file("chat.db")));
  bot.send("c", "Hi! I'm Bob");
  REQUIRE(bot.clear("c"));
  CHECK(bot.thread("c")->messages.empty());
  CHECK(bot.send("c", "What's my name?").reply.text().find("I don't know") == 0);
  REQUIRE(bot.undo("c"));  // the question
  REQUIRE(bot.undo("c"));  // the clear
  CHECK(bot.send("c", "What's my name?").reply.text() == "Your name is Bob.");
  CHECK_FALSE(bot.clear("nobody"));
}

TEST_CASE("chatbot: a failing model leaves the thread as it was before the turn") {
  sgtest::TempDir dir;
  auto model = std::make_shared<sg::ScriptedFakeChatModel>(
      std::vector<sg::Message>{sg::AIMessage("one"), sg::AIMessage("two")});
  model->fail_on_call(2);
  ChatbotConfig c = offline_config(dir.file("chat.db"));
  c.model = model;
  Chatbot bot(c);
  bot.send("f", "first");
  CHECK(error_id([&] { bot.send("f", "second"); }) == "sg.chatbot.803");
  CHECK(texts(bot.thread("f")->messages) == std::vector<std::string>{"first", "one"});
  CHECK(bot.send("f", "second again").reply.text() == "two");
  CHECK(texts(bot.thread("f")->messages) == std::vector<std::string>{"first", "one", "second again", "two"});
  // A first turn that fails leaves no thread at all.
  model->fail_on_call(4);
  CHECK(error_id([&] { bot.send("g", "hello"); }) == "sg.chatbot.803");
  CHECK_FALSE(bot.thread("g"));
}

TEST_CASE("chatbot: a failed turn keeps the turn another chatbot on the file completed meanwhile") {
  // A turn holds the thread's lock from before it reads the thread to the end of its rollback, so
  // A's turn runs after B's, fails, and rolls back to B's turn, not to what it would have read
  // before waiting.
  CHECK(race_failed_turn("kept", true) ==
        std::vector<std::string>{"sg.chatbot.803", "seed", "ack seed", "from b", "ack from b"});
  // On a new thread A's failed turn is no longer the thread's first: nothing is deleted.
  CHECK(race_failed_turn("fresh", false) == std::vector<std::string>{"sg.chatbot.803", "from b", "ack from b"});
}

TEST_CASE("chatbot: a failed turn's checkpoints carry its id, and its rollback copies its input's parent") {
  sgtest::TempDir dir;
  auto model = std::make_shared<sg::ScriptedFakeChatModel>(std::vector<sg::Message>{sg::AIMessage("one")});
  model->fail_on_call(2);
  ChatbotConfig c = offline_config(dir.file("chat.db"));
  c.model = model;
  Chatbot bot(c);
  const auto first = bot.send("t", "first");
  CHECK(error_id([&] { bot.send("t", "second"); }) == "sg.chatbot.803");
  sg::ListOptions options;
  options.values = false;
  const auto history = c.saver->list({"t", "", std::nullopt}, options);  // newest first
  REQUIRE(history.size() >= 4);
  // The head: a fork copying the first turn's last checkpoint, written by no turn.
  CHECK(history[0].metadata["source"] == "fork");
  CHECK(history[0].metadata["copy_of"] == first.checkpoint_id);
  CHECK_FALSE(history[0].metadata.contains("chatbot_turn"));
  // Below it the failed turn (its input at least), then the first turn: each checkpoint of a
  // turn names it, and the two turns have different ids.
  std::map<std::string, int> turns;
  for (std::size_t i = 1; i < history.size(); ++i) {
    REQUIRE(history[i].metadata.contains("chatbot_turn"));
    ++turns[history[i].metadata["chatbot_turn"].get<std::string>()];
  }
  CHECK(turns.size() == 2);
  CHECK(texts(bot.thread("t")->messages) == std::vector<std::string>{"first", "one"});
}

TEST_CASE("chatbot: a cancelled turn leaves the thread as it was") {
  sgtest::TempDir dir;
  Chatbot bot(offline_config(dir.file("chat.db")));
  bot.send("x", "Hi! I'm Bob");
  sg::CancellationToken cancel;
  int pieces = 0;
  CHECK(error_id([&] {
          bot.send("x", "Actually I'm Alice", [&](std::string_view) {
            if (++pieces == 2) cancel.cancel();
          }, cancel);
        }) == "sg.chatbot.804");
  CHECK(bot.thread("x")->messages.size() == 2);
  // A reader that throws (a disconnected client) stops the turn the same way.
  CHECK(error_id([&] {
          bot.send("x", "Actually I'm Alice", [&](std::string_view) { throw std::runtime_error("client gone"); });
        }) == "sg.chatbot.804");
  CHECK(bot.send("x", "What's my name?").reply.text() == "Your name is Bob.");
}

TEST_CASE("chatbot: an empty message is refused with sg.chatbot.801") {
  sgtest::TempDir dir;
  Chatbot bot(offline_config(dir.file("chat.db")));
  CHECK(error_id([&] { bot.send("e", "  \n"); }) == "sg.chatbot.801");
  CHECK_FALSE(bot.thread("e"));
}

TEST_CASE("chatbot: a message over the prompt budget is refused with sg.chatbot.817 before anything is stored") {
  // The tutorial's budget: 65 tokens with a system prompt of 11 leaves 54 for the message, i.e.
  // 200 characters (ceil((200 + len("user")) / 4) + 3 = 54): trim would drop a longer one.
  auto model = std::make_shared<sg::ScriptedFakeChatModel>(
      [](const sg::Messages& messages) { return sg::AIMessage("saw " + std::to_string(messages.back().text().size())); });
  const std::string longest(200, 'x');
  const std::string too_long(201, 'x');
  for (const auto memory : {MemoryStrategy::trim, MemoryStrategy::summary, MemoryStrategy::buffer}) {
    CAPTURE(sg::chatbot::to_string(memory));
    sgtest::TempDir dir;
    Chatbot bot(tutorial_budget_config(dir.file("chat.db"), memory, model));
    const std::size_t calls = model->calls();
    if (memory == MemoryStrategy::buffer) {  // no budget: everything is sent
      CHECK(bot.send("t", too_long).reply.text() == "saw 201");
      continue;
    }
    CHECK(error_id([&] { bot.send("t", too_long); }) == "sg.chatbot.817");
    CHECK(model->calls() == calls);
    CHECK_FALSE(bot.thread("t"));  // nothing stored
    CHECK(bot.send("t", longest).reply.text() == "saw 200");  // the model saw the whole message
    // On a thread with turns, too: refused, and the thread is as it was.
    CHECK(error_id([&] { bot.send("t", too_long); }) == "sg.chatbot.817");
    CHECK(bot.thread("t")->messages.size() == 2);
  }
  // The language fills {language} in the system prompt, so it counts.
  sgtest::TempDir dir;
  ChatbotConfig c = tutorial_budget_config(dir.file("chat.db"), MemoryStrategy::trim, model);
  c.graph.system_prompt += " in {language}";  // English: ceil(40 / 4) + 3 = 13 tokens
  Chatbot bot(c);
  const std::string fits_in_english(192, 'x');  // ceil(196 / 4) + 3 = 52 = 65 - 13
  CHECK(bot.send("en", fits_in_english).reply.text() == "saw 192");
  CHECK(bot.send("es", fits_in_english, {}, {}, std::string("Spanish")).reply.text() == "saw 192");  // as long
  CHECK(error_id([&] { bot.send("pt", fits_in_english, {}, {}, std::string("Portuguese")); }) == "sg.chatbot.817");
  CHECK_FALSE(bot.thread("pt"));
}

TEST_CASE("chatbot: concurrent turns on one thread are serialised and both land") {
  sgtest::TempDir dir;
  Chatbot bot(offline_config(dir.file("chat.db")));
  std::vector<std::thread> workers;
  for (int i = 0; i < 4; ++i) workers.emplace_back([&bot, i] { bot.send("busy", "message " + std::to_string(i)); });
  for (auto& w : workers) w.join();
  const auto view = bot.thread("busy");
  REQUIRE(view);
  CHECK(view->messages.size() == 8);
  CHECK(view->turn_count == 4);
  for (std::size_t i = 0; i < view->messages.size(); i += 2) {  // each question followed by its answer
    CHECK(view->messages[i].type == sg::MessageType::human);
    CHECK(view->messages[i + 1].text().find(view->messages[i].text()) != std::string::npos);
  }
}

TEST_CASE("chatbot: threads lists every conversation, newest first, and erase deletes one") {
  sgtest::TempDir dir;
  Chatbot bot(offline_config(dir.file("chat.db")));
  bot.send("one", "hello");
  bot.send("two", "hello");
  const auto list = bot.threads();
  REQUIRE(list.size() == 2);
  CHECK(list[0].thread_id == "two");
  CHECK(list[1].thread_id == "one");
  CHECK(bot.erase("one"));
  CHECK_FALSE(bot.erase("one"));
  CHECK_FALSE(bot.thread("one"));
  CHECK(bot.threads().size() == 1);
}

TEST_CASE("model_input with memory trim is the tutorial's trim over the whole conversation") {
  // model_input formats only the newest messages that can fit; the prompt must be the same as
  // trimming the whole formatted conversation, for every budget and conversation length.
  sg::chatbot::ChatbotGraphOptions options;
  options.memory = MemoryStrategy::trim;
  options.system_prompt = "you're a good assistant; answer in {language}";
  sg::chatbot::ChatState state;
  state.language = "Spanish";
  for (int n = 0; n < 24; ++n) {
    const std::string text(static_cast<std::size_t>(1 + (n * 37) % 90), 'w');
    state.messages.push_back(n % 3 == 2 ? sg::AIMessage(text) : sg::HumanMessage(text));
    for (int budget = 0; budget <= 420; budget += 7) {
      options.max_tokens = budget;
      const sg::Messages whole = sg::ChatPromptTemplate({{"system", options.system_prompt}, sg::MessagesPlaceholder("messages")})
                                     .format_messages({{"language", state.language}}, {{"messages", state.messages}});
      sg::TrimOptions trim;
      trim.max_tokens = budget;
      trim.token_counter = sg::count_tokens_approximately;
      trim.strategy = sg::TrimStrategy::last;
      trim.include_system = true;
      trim.start_on = {sg::MessageType::human};
      CAPTURE(n);
      CAPTURE(budget);
      CHECK(texts(sg::chatbot::model_input(state, options)) == texts(sg::trim_messages(whole, trim)));
    }
  }
}
