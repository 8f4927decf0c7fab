// LangGraph's JS SDK (@langchain/langgraph-sdk, pinned in package.json as in
// tests/agent_server/clients) against a real `sg-chatbot serve --token sdk-test-token` (run by
// run-with-server.sh, offline fake model): the server also serves the Agent Server API with the
// chat graph as assistant "chatbot", on the same store as its own /chat routes — one server, one
// store. The --token is the SDK's apiKey; a turn streamed through the SDK (messages-tuple, token by
// token) is in /chat's history; a /chat turn is in the SDK's getState, and an SDK run continues it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Client } from "@langchain/langgraph-sdk";

const base = process.env.SG_CHATBOT_URL;
assert.ok(base, "SG_CHATBOT_URL is not set (run me through run-with-server.sh)");
const token = "sdk-test-token";
// No retries: a 5xx or a dropped connection must fail the test.
const client = new Client({ apiUrl: base, apiKey: token, callerOptions: { maxRetries: 0 } });
const suffix = String(process.pid);

/** A request to the chatbot's own routes, with the bearer token. */
async function chatRoute(method, path, body) {
  const headers = { Authorization: "Bearer " + token };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: response.status, json: await response.json() };
}

test("the --token is the SDK's apiKey: without it 401 sg.server.906, with it assistant \"chatbot\"", async () => {
  const anonymous = new Client({ apiUrl: base, apiKey: null, callerOptions: { maxRetries: 0 } });
  await assert.rejects(anonymous.assistants.search({ graphId: "chatbot" }), (e) => {
    assert.equal(e.status, 401);
    return true;
  });
  const raw = await fetch(base + "/assistants/search", { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" });
  assert.equal(raw.status, 401);
  assert.equal((await raw.json()).error.id, "sg.server.906");

  const assistants = await client.assistants.search({ graphId: "chatbot" });
  assert.equal(assistants.length, 1);
  assert.equal(assistants[0].graph_id, "chatbot");
  const byId = await client.assistants.get("chatbot");
  assert.equal(byId.assistant_id, assistants[0].assistant_id);
});

test("a turn streamed through the SDK (messages-tuple, several token events) is in /chat's history", async () => {
  const threadId = "sdk-" + suffix;
  const thread = await client.threads.create({ threadId });
  assert.equal(thread.thread_id, threadId);
  const parts = [];
  for await (const part of client.runs.stream(threadId, "chatbot", {
    input: { messages: [{ role: "user", content: "Hi! I'm Bob" }] },
    streamMode: "messages-tuple",
  })) parts.push(part);
  assert.equal(parts[0].event, "metadata");
  assert.ok(!parts.some((p) => p.event === "error"), JSON.stringify(parts.find((p) => p.event === "error")));
  const tokens = parts.filter((p) => p.event === "messages");
  assert.ok(tokens.length >= 3, `the reply came in ${tokens.length} messages events, not token by token`);
  for (const { data } of tokens) {
    assert.ok(Array.isArray(data) && data.length === 2, "messages data is [message chunk, metadata]");
    assert.equal(data[1].langgraph_node, "model");
  }
  const streamed = tokens.map(({ data }) => (typeof data[0].content === "string" ? data[0].content : "")).join("");
  assert.equal(streamed, "Hi Bob! How can I help you today?");

  // The same thread through the chatbot's own route: the one store holds the turn.
  const history = await chatRoute("GET", `/chat/${threadId}/history`);
  assert.equal(history.status, 200, JSON.stringify(history.json));
  assert.equal(history.json.turn_count, 1);
  assert.deepEqual(history.json.messages.map((m) => [m.role, m.content]),
                   [["human", "Hi! I'm Bob"], ["ai", "Hi Bob! How can I help you today?"]]);
  // And /chat continues it: the model sees the SDK's turn.
  const next = await chatRoute("POST", "/chat", { session_id: threadId, message: "What's my name?" });
  assert.equal(next.status, 200, JSON.stringify(next.json));
  assert.equal(next.json.response, "Your name is Bob.");
  assert.equal(next.json.turn_count, 2);
});

test("a /chat turn is in the SDK's getState, and an SDK run continues it", async () => {
  const threadId = "chat-" + suffix;
  const turn = await chatRoute("POST", "/chat", { session_id: threadId, message: "Hi! I'm Alice" });
  assert.equal(turn.status, 200, JSON.stringify(turn.json));

  const state = await client.threads.getState(threadId);
  assert.equal(state.values.turns, 1);
  assert.deepEqual(state.values.messages.map((m) => [m.type, m.content]),
                   [["human", "Hi! I'm Alice"], ["ai", "Hi Alice! How can I help you today?"]]);
  assert.deepEqual(state.next, []);
  const thread = await client.threads.get(threadId);
  assert.equal(thread.status, "idle");

  const result = await client.runs.wait(threadId, "chatbot", { input: { messages: [{ role: "user", content: "What's my name?" }] } });
  assert.equal(result.messages.at(-1).content, "Your name is Alice.");
  assert.equal(result.turns, 2);
  const history = await chatRoute("GET", `/chat/${threadId}/history`);
  assert.equal(history.json.turn_count, 2);
  assert.equal(history.json.messages.length, 4);
  // GET /threads is the chatbot's list; it shows both threads of this file.
  const threads = await chatRoute("GET", "/threads");
  const ids = threads.json.threads.map((t) => t.thread_id);
  assert.ok(ids.includes(threadId) && ids.includes("sdk-" + suffix), JSON.stringify(ids));
});
