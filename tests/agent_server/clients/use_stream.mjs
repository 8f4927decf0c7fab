// Agent Server API, useStream-style consumption: what a chat UI built on the SDK does with a
// graph that streams tokens. (1) The SDK's MessageTupleManager (the token assembler behind
// useStream) fed the `messages` events of runs.stream(streamMode messages-tuple): the assembled
// AI messages equal the final state's. (2) The SDK's StreamOrchestrator — the framework-agnostic
// core of useStream (@langchain/langgraph-sdk/ui) — submitting to a new thread: the last AI message
// grows word by word, then equals the thread's final state; a second turn on the same thread;
// an interrupt surfaced as `interrupt` and resumed with a command.
import { test } from "node:test";
import assert from "node:assert/strict";
import { MessageTupleManager, StreamOrchestrator, toMessageDict } from "@langchain/langgraph-sdk/ui";
import { client, checkFraming, collect, textOf } from "./helpers.mjs";

test("MessageTupleManager assembles the streamed tokens into the final messages", async () => {
  const t = await client.threads.create();
  const parts = checkFraming(await collect(client.runs.stream(t.thread_id, "agent", {
    input: { messages: [{ role: "user", content: "what is the weather in Lisbon?" }] },
    streamMode: "messages-tuple",
  })));
  assert.ok(parts.length > 0 && parts.every((p) => p.event === "messages"), [...new Set(parts.map((p) => p.event))].join());
  const manager = new MessageTupleManager();
  const order = [];
  for (const { data: [chunk, metadata] } of parts) {
    const id = manager.add(chunk, metadata);
    assert.ok(id, "every chunk has a message id");
    if (!order.includes(id)) order.push(id);
  }
  const assembled = order.map((id) => toMessageDict(manager.get(id).chunk));
  const final = (await client.threads.getState(t.thread_id)).values.messages;

  // Every streamed message is in the final state under the same id, with the same text.
  const finalById = new Map(final.map((m) => [m.id, m]));
  const aiAssembled = assembled.filter((m) => m.type === "ai");
  assert.equal(aiAssembled.length, 2, "the tool call and the reply");
  for (const m of aiAssembled) {
    assert.ok(finalById.has(m.id), `streamed message ${m.id} is not in the final state`);
    assert.equal(textOf(m), textOf(finalById.get(m.id)));
  }
  const [call, reply] = aiAssembled;
  assert.deepEqual(call.tool_calls.map((c) => [c.name, c.args]), [["get_weather", { city: "Lisbon" }]]);
  assert.equal(call.tool_calls[0].id, finalById.get(call.id).tool_calls[0].id);
  assert.equal(textOf(reply), "The weather in Lisbon is sunny.");
  assert.equal(textOf(reply), textOf(final.at(-1)));
  assert.equal(reply.id, final.at(-1).id);
  assert.equal(manager.get(reply.id).metadata.langgraph_node, "model");
});

function orchestrator(assistantId) {
  const threadIds = [];
  const orch = new StreamOrchestrator(
    { assistantId, client, throttle: false, fetchStateHistory: false, onThreadId: (id) => threadIds.push(id) },
    { getClient: () => client, getAssistantId: () => assistantId, getMessagesKey: () => "messages" });
  // useStream subscribes to the stream modes its caller reads: values and messages-tuple here.
  orch.trackStreamMode("values", "messages-tuple");
  return { orch, threadIds };
}

test("useStream core (StreamOrchestrator): the reply grows word by word, then equals the thread's state", async () => {
  const { orch, threadIds } = orchestrator("agent");
  const texts = [];
  const unsubscribe = orch.subscribe(() => {
    const last = orch.messages.at(-1);
    if (last?.type === "ai" && texts.at(-1) !== textOf(last)) texts.push(textOf(last));
  });
  try {
    await orch.submit({ messages: [{ type: "human", content: "what is the weather in Rome?" }] });
    assert.equal(orch.isLoading, false);
    assert.equal(orch.error, undefined);
    assert.equal(threadIds.length, 1, "submit created one thread");
    assert.equal(orch.threadId, threadIds[0]);

    const want = "The weather in Rome is sunny.";
    const growing = texts.filter((x) => x !== "");
    assert.equal(growing.at(-1), want);
    assert.ok(growing.length >= 6, `the reply did not stream word by word: ${JSON.stringify(growing)}`);
    for (let i = 1; i < growing.length; i++)
      assert.ok(growing[i].startsWith(growing[i - 1]), `${JSON.stringify(growing[i])} does not extend ${JSON.stringify(growing[i - 1])}`);

    assert.deepEqual(orch.messages.map((m) => m.type), ["human", "ai", "tool", "ai"]);
    const state = await client.threads.getState(orch.threadId);
    assert.deepEqual(orch.messages.map((m) => [m.type, textOf(m)]), state.values.messages.map((m) => [m.type, textOf(m)]));
    assert.equal(orch.messages.at(-1).id, state.values.messages.at(-1).id);
    assert.deepEqual(orch.toolCalls.map((c) => [c.call.name, c.call.args, textOf(c.result)]), [["get_weather", { city: "Rome" }, "sunny"]]);

    // A second turn on the same thread.
    await orch.submit({ messages: [{ type: "human", content: "thanks" }] });
    assert.equal(orch.threadId, threadIds[0]);
    assert.equal(threadIds.length, 1);
    assert.deepEqual(orch.messages.map((m) => textOf(m)).slice(-2), ["thanks", "You said: thanks"]);
    assert.equal((await client.threads.getState(orch.threadId)).values.messages.length, 6);
  } finally {
    unsubscribe();
    orch.dispose();
  }
});

test("useStream core: an interrupt shows up as `interrupt`, a command resumes it", async () => {
  const { orch } = orchestrator("approval");
  try {
    await orch.submit({ request: "a day off" });
    assert.equal(orch.isLoading, false);
    assert.deepEqual(orch.interrupt?.value, { question: "Send this draft?", draft: "Draft: a day off" });
    assert.equal((await client.threads.get(orch.threadId)).status, "interrupted");

    await orch.submit(undefined, { command: { resume: "yes" } });
    assert.equal(orch.interrupt, undefined);
    assert.deepEqual(orch.values, { request: "a day off", draft: "Draft: a day off", status: "approved", log: ["draft", "approved", "sent"] });
    assert.equal((await client.threads.get(orch.threadId)).status, "idle");
  } finally {
    orch.dispose();
  }
});
