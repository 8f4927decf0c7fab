#pragma once
/// @file
/// The graphs sg-agent-server serves (examples of graphs behind sg::AgentServer, and what its
/// client tests in tests/agent_server drive):
///  - "agent": sg::MessagesState; model ↔ tools (get_weather). The model is a
///    ScriptedFakeChatModel — a scripted fake, not an LLM, labelled so in every reply's
///    response_metadata — streaming word by word: "weather in <city>" → a get_weather tool call,
///    a tool result → "The weather in <city> is <result>.", anything else → "You said: <text>".
///  - "approval": write_draft → review (interrupt({"question", "draft"}); resume true/"yes" approves) →
///    send. State {request, draft, status, log}.
///  - "chain": a → b → c, each adds 1 to `count` (sum) and its name to `steps` (append); b
///    writes a custom stream event {"node": "b", "count"}.
///  - "relay": step1 → ... → step6, each sleeps `pause_ms` (input; 0 by default), then appends its
///    name to `steps` and "pid <process id>" to `ran_by` — which server process ran each step
///    shows when a run is taken over by another process (tests/agent_server scale_out).
///
/// Thread-safety: the compiled graphs are thread-safe.

#include <chrono>
#include <memory>
#include <vector>

#include <stategraph/checkpoint/saver.hpp>

#include "agent_server/agent_server.hpp"

namespace sg::demo {

/// The four graphs, compiled with `saver` and CompileOptions::keep_applied_writes (so that a past
/// step's tasks show their results in the history, as LangGraph's do). `token_delay`: the agent's
/// fake model waits this long before each streamed chunk (0: none; the web page's tests use it to
/// watch a reply grow and to stop one mid-stream).
[[nodiscard]] std::vector<ServedGraphEntry> demo_graphs(const std::shared_ptr<BaseCheckpointSaver>& saver,
                                                        std::chrono::milliseconds token_delay = {});

}  // namespace sg::demo
