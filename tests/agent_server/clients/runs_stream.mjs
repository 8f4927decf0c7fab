// Agent Server API, runs: client.runs.wait (final values, on a thread and stateless) and
// client.runs.stream in each stream mode — values, updates, custom, debug, messages-tuple, messages (legacy), events — and
// several at once: the event names and order (`metadata` with the run id first), the data shapes,
// how the stream ends, the run's Content-Location (onRunCreated), and stateless runs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { client, collect, checkFraming, eventsOf, rejectsWithStatus, raw, textOf, UUID } from "./helpers.mjs";

const CHAIN_VALUES = [
  { count: 0, steps: [] },
  { count: 1, steps: ["a"] },
  { count: 2, steps: ["a", "b"] },
  { count: 3, steps: ["a", "b", "c"] },
];
const CHAIN_UPDATES = [
  { a: { count: 1, steps: ["a"] } },
  { b: { count: 1, steps: ["b"] } },
  { c: { count: 1, steps: ["c"] } },
];

test("wait on a thread returns the final values; a second run continues from them", async () => {
  const t = await client.threads.create();
  assert.deepEqual(await client.runs.wait(t.thread_id, "chain", { input: {} }), CHAIN_VALUES[3]);
  assert.deepEqual(await client.runs.wait(t.thread_id, "chain", { input: { count: 10 } }), {
    count: 16, steps: ["a", "b", "c", "a", "b", "c"],
  });
  const thread = await client.threads.get(t.thread_id);
  assert.equal(thread.status, "idle");
  assert.deepEqual(thread.values, { count: 16, steps: ["a", "b", "c", "a", "b", "c"] });
});

test("wait with the agent: a tool call, the tool's answer, the model's reply", async () => {
  const t = await client.threads.create();
  const out = await client.runs.wait(t.thread_id, "agent", {
    input: { messages: [{ role: "user", content: "What is the weather in Paris?" }] },
  });
  const m = out.messages;
  assert.deepEqual(m.map((x) => x.type), ["human", "ai", "tool", "ai"]);
  assert.equal(textOf(m[0]), "What is the weather in Paris?");
  assert.match(m[0].id, /.+/, "the input message gets an id");
  assert.equal(m[1].content, "");
  assert.equal(m[1].tool_calls.length, 1);
  const call = m[1].tool_calls[0];
  assert.equal(call.name, "get_weather");
  assert.deepEqual(call.args, { city: "Paris" });
  assert.match(call.id, /^call_\d+$/);
  assert.equal(m[2].tool_call_id, call.id);
  assert.equal(textOf(m[2]), "sunny");
  assert.equal(m[3].content, "The weather in Paris is sunny.");
  assert.deepEqual(m[3].tool_calls ?? [], []);
  assert.equal(m[3].response_metadata.model_name, "scripted-fake-chat-model");
  assert.equal(m[3].response_metadata.fake, true);
  assert.equal(new Set(m.map((x) => x.id)).size, 4, "message ids are distinct");

  // The thread keeps the conversation: the next turn appends to it.
  const next = await client.runs.wait(t.thread_id, "agent", { input: { messages: [{ role: "user", content: "thanks" }] } });
  assert.equal(next.messages.length, 6);
  assert.equal(next.messages[5].content, "You said: thanks");
});

test("stateless wait (threadId null) returns the final values", async () => {
  assert.deepEqual(await client.runs.wait(null, "chain", { input: { count: 5 } }), { count: 8, steps: ["a", "b", "c"] });
  const out = await client.runs.wait(null, "agent", { input: { messages: [{ role: "user", content: "hello there" }] } });
  assert.deepEqual(out.messages.map((x) => x.type), ["human", "ai"]);
  assert.equal(out.messages[1].content, "You said: hello there");
});

test("wait reports its run (Content-Location, onRunCreated): a run with status success", async () => {
  const t = await client.threads.create();
  let created;
  await client.runs.wait(t.thread_id, "chain", { input: {}, onRunCreated: (meta) => { created = meta; } });
  assert.equal(created.thread_id, t.thread_id);
  assert.match(created.run_id, UUID);
  const run = await client.runs.get(t.thread_id, created.run_id);
  assert.equal(run.status, "success");
  const r = await raw("POST", `/threads/${t.thread_id}/runs/wait`, { assistant_id: "chain", input: {} });
  assert.equal(r.status, 200);
  assert.match(r.headers.get("content-location"), new RegExp(`^/threads/${t.thread_id}/runs/[0-9a-f-]{36}$`));
  assert.deepEqual(r.json, { count: 6, steps: ["a", "b", "c", "a", "b", "c"] });
});

test("stream of an unknown assistant is 404 before any event", async () => {
  const t = await client.threads.create();
  await assert.rejects(collect(client.runs.stream(t.thread_id, "no-such-graph", { input: {} })), (e) => e.status === 404);
});

test("wait with an unknown assistant is 404", async () => {
  const t = await client.threads.create();
  await rejectsWithStatus(client.runs.wait(t.thread_id, "no-such-graph", { input: {} }), 404);
  await rejectsWithStatus(client.runs.wait(null, randomUUID(), { input: {} }), 404);
});

test("stream values: metadata, then the state after the input and after each step", async () => {
  const t = await client.threads.create();
  let created;
  const parts = await collect(client.runs.stream(t.thread_id, "chain", {
    input: { count: 0 }, streamMode: "values", onRunCreated: (meta) => { created = meta; },
  }));
  const body = checkFraming(parts);
  assert.deepEqual(eventsOf(body), ["values", "values", "values", "values"]);
  assert.deepEqual(body.map((p) => p.data), CHAIN_VALUES);
  // The run id of the metadata event is the one of the Content-Location header (onRunCreated).
  assert.deepEqual(created, { run_id: parts[0].data.run_id, thread_id: t.thread_id });
  const run = await client.runs.get(t.thread_id, created.run_id);
  assert.equal(run.status, "success");
});

test("stream with no stream mode streams values; an input that writes nothing gives no first values", async () => {
  const parts = await collect(client.runs.stream(null, "chain", { input: { count: 0 } }));
  assert.deepEqual(checkFraming(parts).map((p) => [p.event, p.data]), CHAIN_VALUES.map((v) => ["values", v]));
  // LangGraph emits values after a step only when the step wrote to a channel: input {} writes none.
  const empty = await collect(client.runs.stream(null, "chain", { input: {} }));
  assert.deepEqual(checkFraming(empty).map((p) => [p.event, p.data]), CHAIN_VALUES.slice(1).map((v) => ["values", v]));
});

test("stream updates: one event per node with what it wrote", async () => {
  const t = await client.threads.create();
  const body = checkFraming(await collect(client.runs.stream(t.thread_id, "chain", { input: {}, streamMode: "updates" })));
  assert.deepEqual(eventsOf(body), ["updates", "updates", "updates"]);
  assert.deepEqual(body.map((p) => p.data), CHAIN_UPDATES);
});

test("stream custom: what node b wrote to the stream writer", async () => {
  const t = await client.threads.create();
  const body = checkFraming(await collect(client.runs.stream(t.thread_id, "chain", { input: { count: 4 }, streamMode: "custom" })));
  assert.deepEqual(body.map((p) => [p.event, p.data]), [["custom", { node: "b", count: 5 }]]);
});

test("stream debug: checkpoint, task and task_result events in step order", async () => {
  const t = await client.threads.create();
  const body = checkFraming(await collect(client.runs.stream(t.thread_id, "chain", { input: {}, streamMode: "debug" })));
  assert.ok(body.every((p) => p.event === "debug"));
  const kinds = body.map((p) => `${p.data.type}:${p.data.step}`);
  assert.deepEqual(kinds, [
    "checkpoint:-1", "checkpoint:0",
    "task:1", "task_result:1", "checkpoint:1",
    "task:2", "task_result:2", "checkpoint:2",
    "task:3", "task_result:3", "checkpoint:3",
  ]);
  const tasks = body.filter((p) => p.data.type === "task");
  assert.deepEqual(tasks.map((p) => p.data.payload.name), ["a", "b", "c"]);
  assert.deepEqual(tasks[1].data.payload.input, { count: 1, steps: ["a"] });
  const results = body.filter((p) => p.data.type === "task_result");
  assert.deepEqual(results.map((p) => [p.data.payload.name, p.data.payload.result]), [
    ["a", { count: 1, steps: ["a"] }], ["b", { count: 1, steps: ["b"] }], ["c", { count: 1, steps: ["c"] }],
  ]);
  for (const r of results) {
    assert.equal(r.data.payload.id, tasks.find((x) => x.data.payload.name === r.data.payload.name).data.payload.id);
    assert.equal(r.data.payload.error, null);
  }
  const checkpoints = body.filter((p) => p.data.type === "checkpoint");
  assert.deepEqual(checkpoints.map((p) => p.data.payload.next), [["__start__"], ["a"], ["b"], ["c"], []]);
  assert.deepEqual(checkpoints.at(-1).data.payload.values, CHAIN_VALUES[3]);
  for (const c of checkpoints) {
    assert.equal(c.data.payload.checkpoint.thread_id, t.thread_id);
    assert.match(c.data.payload.checkpoint.checkpoint_id, /.+/);
    assert.match(c.data.timestamp, /^\d{4}-\d\d-\d\dT/);
  }
  // Each checkpoint's parent is the previous one.
  for (let i = 1; i < checkpoints.length; i++)
    assert.equal(checkpoints[i].data.payload.parent_checkpoint.checkpoint_id,
                 checkpoints[i - 1].data.payload.checkpoint.checkpoint_id);
  assert.equal(checkpoints[0].data.payload.parent_checkpoint, null);
  const final = await client.threads.getState(t.thread_id);
  assert.equal(final.checkpoint.checkpoint_id, checkpoints.at(-1).data.payload.checkpoint.checkpoint_id);
});

test("stream events: astream_events v2 records for the graph, each node and each token", async () => {
  const t = await client.threads.create();
  const body = checkFraming(await collect(client.runs.stream(t.thread_id, "chain", { input: {}, streamMode: "events" })));
  assert.ok(body.every((p) => p.event === "events"), "only events: no debug or messages event leaks out");
  const runId = (await client.runs.list(t.thread_id))[0].run_id;
  const records = body.map((p) => p.data);
  assert.deepEqual(records.map((r) => `${r.event}:${r.name}`), [
    "on_chain_start:LangGraph",
    "on_chain_start:a", "on_chain_stream:a", "on_chain_end:a",
    "on_chain_start:b", "on_chain_stream:b", "on_chain_end:b",
    "on_chain_start:c", "on_chain_stream:c", "on_chain_end:c",
    "on_chain_end:LangGraph",
  ]);
  for (const r of records) {
    for (const key of ["event", "name", "run_id", "tags", "metadata", "data", "parent_ids"]) assert.ok(key in r, key);
    assert.equal(r.metadata.thread_id, t.thread_id);
    assert.equal(r.metadata.run_id, runId);
    assert.equal(r.metadata.graph_id, "chain");
    assert.match(r.metadata.assistant_id, UUID);
  }
  const [first, last] = [records[0], records.at(-1)];
  assert.equal(first.run_id, runId);
  assert.deepEqual(first.parent_ids, []);
  assert.deepEqual(first.data, { input: {} });
  assert.deepEqual(last.data, { output: CHAIN_VALUES[3] });
  // A node's records share the task's id; their parent is the run.
  const b = records.filter((r) => r.name === "b");
  assert.equal(new Set(b.map((r) => r.run_id)).size, 1);
  assert.notEqual(b[0].run_id, runId);
  assert.ok(b.every((r) => r.parent_ids.length === 1 && r.parent_ids[0] === runId));
  assert.deepEqual(b[0].tags, ["graph:step:2"]);
  assert.equal(b[0].metadata.langgraph_node, "b");
  assert.equal(b[0].metadata.langgraph_step, 2);
  assert.deepEqual(b[0].metadata.langgraph_triggers, ["branch:to:b"]);
  assert.deepEqual(b[0].data, { input: CHAIN_VALUES[1] });
  assert.deepEqual(b[1].data, { chunk: { count: 1, steps: ["b"] } });
  assert.deepEqual(b[2].data, { input: CHAIN_VALUES[1], output: { count: 1, steps: ["b"] } });
});

test("stream events with messages-tuple: each token once per mode, the model's chunks as on_chat_model_stream", async () => {
  const t = await client.threads.create();
  const body = checkFraming(await collect(client.runs.stream(t.thread_id, "agent", {
    input: { messages: [{ role: "user", content: "hello there" }] }, streamMode: ["events", "messages-tuple"],
  })));
  const tokens = body.filter((p) => p.event === "events" && p.data.event === "on_chat_model_stream");
  const tuples = body.filter((p) => p.event === "messages");
  assert.ok(tokens.length > 1, "the reply streamed in several chunks");
  assert.equal(tokens.length, tuples.length, "as many token records as messages-tuple events");
  assert.equal(tokens.map((p) => p.data.data.chunk.content).join(""), "You said: hello there");
  for (const [i, p] of tokens.entries()) {
    assert.deepEqual(p.data.data.chunk, tuples[i].data[0]);
    assert.equal(p.data.metadata.langgraph_node, "model");
    assert.equal(p.data.metadata.ls_model_type, "chat");
    assert.equal(p.data.name, "scripted-fake-chat-model");
    const [runParent, taskParent] = p.data.parent_ids;
    assert.equal(runParent, p.data.metadata.run_id);
    const start = body.find((q) => q.event === "events" && q.data.event === "on_chain_start" && q.data.run_id === taskParent);
    assert.equal(start.data.name, "model", "the token's parent is the model node's task");
  }
  assert.ok(!body.some((p) => p.event === "debug"), "the debug events that build the records are not streamed");
});

test("stream several modes at once: interleaved in execution order", async () => {
  const t = await client.threads.create();
  const body = checkFraming(await collect(client.runs.stream(t.thread_id, "chain", {
    input: { count: 0 }, streamMode: ["values", "updates", "custom"],
  })));
  assert.deepEqual(body.map((p) => [p.event, p.data]), [
    ["values", CHAIN_VALUES[0]],
    ["updates", CHAIN_UPDATES[0]],
    ["values", CHAIN_VALUES[1]],
    ["custom", { node: "b", count: 1 }],
    ["updates", CHAIN_UPDATES[1]],
    ["values", CHAIN_VALUES[2]],
    ["updates", CHAIN_UPDATES[2]],
    ["values", CHAIN_VALUES[3]],
  ]);
});

test("stream messages-tuple: [message chunk, metadata] pairs, word by word, that add up to the reply", async () => {
  const t = await client.threads.create();
  const parts = await collect(client.runs.stream(t.thread_id, "agent", {
    input: { messages: [{ role: "user", content: "weather in Oslo!" }] },
    streamMode: ["messages-tuple", "values"],
  }));
  const body = checkFraming(parts);
  const messages = body.filter((p) => p.event === "messages");
  assert.ok(body.every((p) => p.event === "messages" || p.event === "values"), eventsOf(body).join(","));
  for (const p of messages) {
    assert.ok(Array.isArray(p.data) && p.data.length === 2, "messages data is [message, metadata]");
    const [chunk, meta] = p.data;
    assert.equal(typeof chunk.type, "string");
    assert.match(chunk.id, /.+/);
    assert.equal(typeof meta.langgraph_node, "string");
    assert.equal(typeof meta.langgraph_step, "number");
  }
  const final = body.filter((p) => p.event === "values").at(-1).data.messages;
  assert.deepEqual(final.map((m) => m.type), ["human", "ai", "tool", "ai"]);
  const reply = final[3];
  assert.equal(reply.content, "The weather in Oslo is sunny.");

  // The reply's chunks: same id as the final message, from node "model", more than one (one per word).
  const replyChunks = messages.filter((p) => p.data[0].id === reply.id);
  assert.ok(replyChunks.length >= 6, `only ${replyChunks.length} chunks for the reply`);
  assert.ok(replyChunks.every((p) => p.data[0].type === "ai" || p.data[0].type === "AIMessageChunk"));
  assert.ok(replyChunks.every((p) => p.data[1].langgraph_node === "model"));
  assert.equal(replyChunks.map((p) => p.data[0].content).join(""), reply.content);
  assert.ok(replyChunks.filter((p) => p.data[0].content !== "").length >= 6, "word by word");

  // The tool-call message streams its tool call (as tool_call_chunks and/or tool_calls).
  const callChunks = messages.filter((p) => p.data[0].id === final[1].id);
  assert.ok(callChunks.length >= 1);
  const names = callChunks.flatMap((p) => [...(p.data[0].tool_call_chunks ?? []), ...(p.data[0].tool_calls ?? [])]).map((c) => c.name);
  assert.ok(names.includes("get_weather"), JSON.stringify(callChunks));
  assert.equal(callChunks.map((p) => p.data[0].content).join(""), "");
  // The human input is not streamed back as a message event.
  assert.ok(!messages.some((p) => p.data[0].id === final[0].id));
});

test("stream messages (legacy): metadata, partial messages that grow, each message complete once", async () => {
  const t = await client.threads.create();
  const parts = await collect(client.runs.stream(t.thread_id, "agent", {
    input: { messages: [{ role: "user", content: "weather in Oslo!" }] },
    streamMode: "messages",
  }));
  const body = checkFraming(parts);
  assert.ok(body.every((p) => p.event.startsWith("messages/")), eventsOf(body).join(","));
  const complete = body.filter((p) => p.event === "messages/complete").flatMap((p) => p.data);
  const final = (await client.threads.getState(t.thread_id)).values.messages;
  assert.deepEqual(complete.map((m) => m.id), final.map((m) => m.id), "each message complete once, in order");
  assert.equal(complete[0].type, "human");
  assert.equal(complete.at(-1).content, "The weather in Oslo is sunny.");

  const reply = final.at(-1);
  const metadata = body.filter((p) => p.event === "messages/metadata" && reply.id in p.data);
  assert.equal(metadata.length, 1, "metadata once per message");
  assert.equal(metadata[0].data[reply.id].metadata.langgraph_node, "model");
  const partial = body.filter((p) => p.event === "messages/partial" && p.data[0].id === reply.id).map((p) => p.data[0].content);
  assert.ok(partial.length >= 6, `only ${partial.length} partial events`);
  for (let i = 1; i < partial.length; ++i) assert.ok(partial[i].startsWith(partial[i - 1]), "each partial grows the last");
  assert.equal(partial.at(-1), reply.content);
  const firstMeta = body.findIndex((p) => p.event === "messages/metadata" && reply.id in p.data);
  const firstPartial = body.findIndex((p) => p.event === "messages/partial" && p.data[0].id === reply.id);
  assert.ok(firstMeta < firstPartial, "metadata before the first partial");

  // The tool call streams as tool_call_chunks (or tool_calls) of the first AI message.
  const call = body.filter((p) => p.event === "messages/partial" && p.data[0].id === final[1].id).at(-1).data[0];
  const names = [...(call.tool_call_chunks ?? []), ...(call.tool_calls ?? [])].map((c) => c.name);
  assert.ok(names.includes("get_weather"), JSON.stringify(call));
});

test("stateless stream (threadId null): metadata with a run id, then values", async () => {
  let created;
  const parts = await collect(client.runs.stream(null, "agent", {
    input: { messages: [{ role: "user", content: "ping" }] }, streamMode: "values",
    onRunCreated: (meta) => { created = meta; },
  }));
  const body = checkFraming(parts);
  assert.ok(body.length >= 2);
  assert.ok(body.every((p) => p.event === "values"));
  assert.deepEqual(body.at(-1).data.messages.map((m) => [m.type, textOf(m)]), [["human", "ping"], ["ai", "You said: ping"]]);
  assert.equal(created.run_id, parts[0].data.run_id);
});

test("the stream response: text/event-stream with Content-Location /threads/T/runs/R", async () => {
  const t = await client.threads.create();
  const r = await fetch(`${(await import("./helpers.mjs")).URL_BASE}/threads/${t.thread_id}/runs/stream`, {
    method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ assistant_id: "chain", input: {}, stream_mode: ["updates"] }),
  });
  assert.equal(r.status, 200);
  assert.match(r.headers.get("content-type"), /^text\/event-stream/);
  const location = r.headers.get("content-location");
  const m = /^\/threads\/([^/]+)\/runs\/([^/]+)$/.exec(location);
  assert.ok(m, `Content-Location ${location}`);
  assert.equal(m[1], t.thread_id);
  const text = await r.text();
  assert.match(text, new RegExp(`^event: metadata\\ndata: \\{[^\\n]*"run_id":"${m[2]}"`));
  assert.match(m[2], UUID);
  const events = [...text.matchAll(/^event: (.*)$/gm)].map((x) => x[1]);
  assert.deepEqual(events.filter((e) => e !== "end"), ["metadata", "updates", "updates", "updates"]);
});

test("an invalid request body is refused with 4xx, not a stream", async () => {
  const t = await client.threads.create();
  const r = await raw("POST", `/threads/${t.thread_id}/runs/stream`, { input: {} }); // no assistant_id
  assert.ok(r.status === 400 || r.status === 422, `status ${r.status}`);
});
