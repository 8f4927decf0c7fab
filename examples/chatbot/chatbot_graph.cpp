#include "chatbot_graph.hpp"

#include <iterator>
#include <stdexcept>
#include <utility>
#include <vector>

#include <stategraph/nodes/prompt_template.hpp>
#include <stategraph/nodes/token_counter.hpp>
#include <stategraph/state_graph.hpp>
#include <stategraph/update.hpp>

#include "chatbot_error.hpp"

namespace sg::chatbot {

MemoryStrategy parse_memory_strategy(const std::string& name) {
  if (name == "buffer") return MemoryStrategy::buffer;
  if (name == "trim") return MemoryStrategy::trim;
  if (name == "summary") return MemoryStrategy::summary;
  throw std::invalid_argument("unknown memory strategy \"" + name + "\" (buffer, trim or summary)");
}

const char* to_string(MemoryStrategy strategy) noexcept {
  switch (strategy) {
    case MemoryStrategy::buffer: return "buffer";
    case MemoryStrategy::trim: return "trim";
    case MemoryStrategy::summary: return "summary";
  }
  return "?";
}

namespace {

sg::ChatPromptTemplate prompt_for(const ChatbotGraphOptions& options) {
  return sg::ChatPromptTemplate({{"system", options.system_prompt}, sg::MessagesPlaceholder("messages")});
}

/// Where the summary strategy cuts: the index of the first message kept verbatim, or 0 when
/// nothing should be folded (the history fits the budget, or there is too little to fold).
std::size_t fold_point(const sg::Messages& messages, const ChatbotGraphOptions& options) {
  if (messages.size() <= options.summary_keep_messages) return 0;
  if (sg::count_tokens_approximately(messages) <= options.max_tokens) return 0;
  std::size_t cut = messages.size() - options.summary_keep_messages;
  // Keep whole turns: the verbatim part starts with a human message.
  while (cut > 0 && messages[cut].type != sg::MessageType::human) --cut;
  return cut;
}

/// The tutorial's trimmer over the whole prompt — sg::trim_messages with strategy last,
/// include_system, start_on human and max_tokens: the system message and the newest messages
/// within the budget, starting on a human message — computed directly: tokens add up per message
/// (sg::count_tokens_approximately), so the kept messages are the longest run of the newest ones
/// whose tokens fit beside the system prompt's, less the non-human ones at its start. The same
/// prompt (tests/chatbot: "model_input with memory trim ...") without copying and counting the
/// whole conversation, which grows every turn, several times per turn.
sg::Messages trimmed_prompt(const ChatState& state, const ChatbotGraphOptions& options) {
  sg::Messages input = prompt_for(options).format_messages({{"language", state.language}}, {{"messages", sg::Messages{}}});
  int budget = options.max_tokens - sg::count_tokens_approximately(input);
  auto from = state.messages.end();
  for (; from != state.messages.begin(); --from) {
    const int tokens = sg::count_tokens_approximately(*std::prev(from));
    if (tokens > budget) break;
    budget -= tokens;
  }
  while (from != state.messages.end() && from->type != sg::MessageType::human) ++from;
  input.insert(input.end(), from, state.messages.end());
  return input;
}

}  // namespace

sg::Messages model_input(const ChatState& state, const ChatbotGraphOptions& options) {
  if (options.memory == MemoryStrategy::trim) return trimmed_prompt(state, options);
  sg::Messages input = prompt_for(options).format_messages({{"language", state.language}}, {{"messages", state.messages}});
  if (options.memory == MemoryStrategy::summary && !state.summary.empty()) {
    input.insert(input.begin() + 1, sg::SystemMessage("Summary of the earlier conversation: " + state.summary));
  }
  return input;
}

void check_prompt_budget(const std::string& text, const std::optional<std::string>& language,
                         const ChatbotGraphOptions& options) {
  if (options.memory == MemoryStrategy::buffer) return;  // no budget: every message is sent
  ChatState lone;
  lone.messages.push_back(sg::HumanMessage(text));
  if (language && !language->empty()) lone.language = *language;
  ChatbotGraphOptions whole = options;
  whole.memory = MemoryStrategy::buffer;
  const sg::Messages prompt = model_input(lone, whole);
  const int tokens = sg::count_tokens_approximately(prompt);
  if (tokens <= options.max_tokens) return;
  throw ChatbotError(ChatbotErrorId::message_too_long,
                     "the message is too long: with the system prompt it counts about " + std::to_string(tokens) +
                         " tokens (the message alone " + std::to_string(sg::count_tokens_approximately(prompt.back())) +
                         "), over the prompt budget of " + std::to_string(options.max_tokens) +
                         " (--max-tokens), so the model would never see it; shorten it or raise --max-tokens");
}

sg::CompiledGraph<ChatState> build_chatbot_graph(std::shared_ptr<const sg::ChatModel> model,
                                                 const ChatbotGraphOptions& options,
                                                 std::shared_ptr<sg::BaseCheckpointSaver> checkpointer) {
  sg::StateGraph<ChatState> graph;
  graph.add_node("model", [model, options](const ChatState& state, sg::RunContext& ctx) {
    sg::Message reply = sg::stream_chat(*model, model_input(state, options), ctx);
    return sg::Update<ChatState>{sg::set<&ChatState::messages>(std::move(reply)), sg::set<&ChatState::turns>(1)};
  });
  if (options.memory == MemoryStrategy::summary) {
    graph.add_node("summarize", [model, options](const ChatState& state) {
      const std::size_t cut = fold_point(state.messages, options);
      sg::Messages request;
      request.push_back(sg::SystemMessage(
          "You summarise conversations for an assistant that will continue them. Answer with the summary only."));
      if (!state.summary.empty()) request.push_back(sg::SystemMessage("The summary so far: " + state.summary));
      request.insert(request.end(), state.messages.begin(), state.messages.begin() + static_cast<std::ptrdiff_t>(cut));
      request.push_back(sg::HumanMessage(kSummaryInstruction));
      const sg::Message summary = model->invoke(request);
      std::vector<sg::Message> removals;
      removals.reserve(cut);
      for (std::size_t i = 0; i < cut; ++i) removals.push_back(sg::RemoveMessage(state.messages[i].id));
      return sg::Update<ChatState>{sg::set<&ChatState::summary>(summary.text()),
                                   sg::set<&ChatState::messages>(std::move(removals))};
    });
    graph.add_conditional_edges(
        sg::START,
        [options](const ChatState& state) -> std::string {
          return fold_point(state.messages, options) > 0 ? "summarize" : "model";
        },
        sg::PathMap(std::vector<std::string>{"summarize", "model"}));
    graph.add_edge("summarize", "model");
  } else {
    graph.add_edge(sg::START, "model");
  }
  graph.add_edge("model", sg::END);
  sg::CompileOptions compile;
  compile.checkpointer = std::move(checkpointer);
  compile.name = "sg-chatbot";
  return graph.compile(compile);
}

}  // namespace sg::chatbot
