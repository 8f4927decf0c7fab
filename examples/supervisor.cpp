// Supervisor over two agent subgraphs, one of which asks a human before it acts.
//
//   START → supervisor ──→ math_agent (subgraph: agent ↔ tools)            ──→ supervisor → END
//                      └─→ mail_agent (subgraph: agent → approve ⟂ → tools → agent) ──┘
//
// Each agent is its own compiled graph over sg::MessagesState, added to the supervisor's graph
// as a node (StateGraph::add_node with a CompiledGraph). Each runs as a subgraph of the
// supervisor's run: the same thread, checkpoint namespace "<node>:<task id>", the supervisor's
// SQLite checkpointer and thread lock. The mail agent's "approve" node calls interrupt() with
// the draft: the whole run pauses, the program shows the question, and resuming the
// supervisor's thread with Command{.resume = "yes"} continues inside the subgraph — the agent
// that drafted the mail does not run again.
//
// The models are sg::ScriptedFakeChatModel — scripted fakes, not LLMs — whose scripts read the
// conversation.
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <stategraph/checkpoint/sqlite_saver.hpp>
#include <stategraph/nodes/nodes.hpp>
#include <stategraph/stategraph.hpp>

namespace {

using nlohmann::json;
using State = sg::MessagesState;

const sg::Tool add_tool{"add",
                        "Adds two integers.",
                        {{"type", "object"},
                         {"properties", {{"a", {{"type", "integer"}}}, {"b", {{"type", "integer"}}}}},
                         {"required", {"a", "b"}}},
                        [](const json& args) -> json { return args["a"].get<int>() + args["b"].get<int>(); }};

const sg::Tool send_email{"send_email",
                          "Sends an email.",
                          {{"type", "object"},
                           {"properties", {{"to", {{"type", "string"}}}, {"body", {{"type", "string"}}}}},
                           {"required", {"to", "body"}}},
                          [](const json& args) -> json { return "sent to " + args["to"].get<std::string>(); }};

std::string last_human(const sg::Messages& m) {
  for (auto it = m.rbegin(); it != m.rend(); ++it)
    if (it->type == sg::MessageType::human) return it->text();
  return {};
}

/// An agent's script: the first time it sees the question it calls its tool, then it reports
/// the tool's result (or that the call was declined).
sg::Message agent_reply(const sg::Messages& m, const std::string& tool, const json& args) {
  const sg::Message& last = m.back();
  if (last.type == sg::MessageType::tool) {
    if (last.status == sg::ToolStatus::error) return sg::AIMessage("Not done: " + last.text());
    return sg::AIMessage(tool + " says: " + last.text());
  }
  return sg::AIMessage("", {sg::ToolCall{"call_" + std::to_string(m.size()), tool, args}});
}

/// agent ↔ tools, with an optional approval step between them.
sg::CompiledGraph<State> agent_graph(const sg::ChatModel& model, const sg::Tool& tool, bool approval) {
  const sg::ToolNode tools({tool});
  sg::StateGraph<State> g;
  g.add_node("agent", [model = std::shared_ptr<const sg::ChatModel>(model.bind_tools(tools.specs()))](const State& s) {
    return sg::Update<State>{sg::set<&State::messages>(model->invoke(s.messages))};
  });
  g.add_node("tools", tools);
  g.add_edge(sg::START, "agent");
  g.add_edge("tools", "agent");
  if (!approval) {
    g.add_conditional_edges("agent", sg::tools_condition, {{"tools", "tools"}, {sg::END, sg::END}});
    return g.compile();
  }
  g.add_node(
      "approve",
      [](const State& s, sg::RunContext& ctx) {
        const sg::ToolCall& call = s.messages.back().tool_calls.at(0);
        const json answer = ctx.interrupt({{"question", "send this email?"}, {"args", call.args}});
        if (answer == "yes") return sg::Command<State>{.goto_ = {"tools"}};
        return sg::Command<State>{
            .update = {sg::set<&State::messages>(sg::ToolMessage("the user declined", call.id))}, .goto_ = {"agent"}};
      },
      {.destinations = {"tools", "agent"}});
  g.add_conditional_edges("agent", sg::tools_condition, {{"tools", "approve"}, {sg::END, sg::END}});
  return g.compile();
}

void print_new(const sg::Messages& messages, std::size_t& printed) {
  for (; printed < messages.size(); ++printed) sg::pretty_print(messages[printed]);
}

}  // namespace

int main() {
  std::cout << "(the models below are ScriptedFakeChatModel: scripted fakes, not LLMs)\n";
  sg::ScriptedFakeChatModel math_model([](const sg::Messages& m) { return agent_reply(m, "add", {{"a", 2}, {"b", 40}}); });
  sg::ScriptedFakeChatModel mail_model([](const sg::Messages& m) {
    return agent_reply(m, "send_email", {{"to", "bob@example.com"}, {"body", "The answer is 42."}});
  });
  auto math_agent = agent_graph(math_model, add_tool, false);
  auto mail_agent = agent_graph(mail_model, send_email, true);

  const auto db = std::filesystem::temp_directory_path() / ("supervisor-" + std::to_string(::getpid()) + ".db");
  auto saver = std::make_shared<sg::SqliteSaver>(db);

  sg::StateGraph<State> g;
  g.add_node("supervisor", [](const State&) { return sg::Update<State>{}; });
  g.add_node("math_agent", math_agent).add_node("mail_agent", mail_agent);
  g.add_edge(sg::START, "supervisor");
  g.add_conditional_edges(
      "supervisor",
      [](const State& s) -> std::string {
        if (s.messages.back().type != sg::MessageType::human) return sg::END;  // an agent answered
        return last_human(s.messages).find("email") != std::string::npos ? "mail_agent" : "math_agent";
      },
      sg::PathMap(std::vector<std::string>{"math_agent", "mail_agent", sg::END}));
  g.add_edge("math_agent", "supervisor").add_edge("mail_agent", "supervisor");
  auto app = g.compile({.checkpointer = saver});

  sg::RunConfig config;
  config.thread_id = "team";
  std::size_t printed = 0;
  for (const char* ask : {"What is 2 + 40?", "Please email Bob the answer."}) {
    std::optional<sg::RunResult<State>> out;  // a RunResult is not assignable: emplace the next one
    out.emplace(app.invoke({sg::set<&State::messages>(sg::HumanMessage(ask))}, config));
    print_new(out->values.messages, printed);
    while (out->interrupted()) {
      const sg::Interrupt i = out->interrupts.front();
      auto state = app.get_state(config);
      std::cout << "[paused in subgraph " << state->tasks.at(0).name << " at node " << i.node << "] "
                << i.value.dump() << "\n[human] yes\n";
      out.emplace(app.invoke(sg::Command<State>{.resume = "yes"}, config));
      print_new(out->values.messages, printed);
    }
  }

  std::cout << "namespaces of thread team:";
  const auto threads = saver->list_threads({});
  for (const auto& ns : threads.at(0).namespaces)
    std::cout << " " << (ns.empty() ? "(root)" : sg::format::namespace_path(ns));
  std::cout << "\nmail agent model calls: " << mail_model.calls() << "\n";
  std::cout << app.draw_mermaid({.xray = true});
  saver.reset();
  std::filesystem::remove(db);
  std::filesystem::remove(db.string() + "-wal");
  std::filesystem::remove(db.string() + "-shm");
}
