// Agent Server API, background runs: client.runs.create (the run object: run_id, thread_id,
// assistant_id, status pending -> success, metadata, multitask_strategy, created_at/updated_at),
// runs.get, runs.list, runs.join, runs.joinStream, runs.cancel (a pending run -> interrupted),
// runs.delete, runs.createBatch, runs.cancelMany, and the multitask strategies when a run is already
// in flight on the thread:
// reject (422), enqueue (both run, in order), interrupt (the first interrupted) and rollback (the
// first deleted). A run is kept in flight deterministically with afterSeconds (pending until then),
// or running with the relay graph's pause; a running run cancelled with rollback is undone.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { client, collect, checkFraming, raw, rejectsWithStatus, waitForRun, textOf, UUID, ISO_DATE } from "./helpers.mjs";

const FINAL = { count: 3, steps: ["a", "b", "c"] };
const done = (s) => s !== "pending" && s !== "running";

function checkRun(run, { threadId, assistantId, status }) {
  assert.match(run.run_id, UUID);
  assert.equal(run.thread_id, threadId);
  assert.equal(run.assistant_id, assistantId);
  if (status) assert.ok([].concat(status).includes(run.status), `run status ${run.status}`);
  assert.equal(typeof run.metadata, "object");
  assert.equal(typeof run.multitask_strategy, "string");
  assert.match(run.created_at, ISO_DATE);
  assert.match(run.updated_at, ISO_DATE);
}

test("create -> pending/running, then join gives the final values and get says success", async () => {
  const [chain] = await client.assistants.search({ graphId: "chain" });
  const t = await client.threads.create();
  const run = await client.runs.create(t.thread_id, "chain", { input: { count: 0 }, metadata: { purpose: "test" } });
  checkRun(run, { threadId: t.thread_id, assistantId: chain.assistant_id, status: ["pending", "running", "success"] });
  assert.equal(run.metadata.purpose, "test");
  assert.equal(run.multitask_strategy, "reject");

  assert.deepEqual(await client.runs.join(t.thread_id, run.run_id), FINAL);
  const got = await client.runs.get(t.thread_id, run.run_id);
  checkRun(got, { threadId: t.thread_id, assistantId: chain.assistant_id, status: "success" });
  assert.equal(got.run_id, run.run_id);
  assert.equal((await client.threads.get(t.thread_id)).status, "idle");
  assert.deepEqual((await client.threads.getState(t.thread_id)).values, FINAL);
});

test("a delayed run is pending and the thread busy until it runs", async () => {
  const t = await client.threads.create();
  const run = await client.runs.create(t.thread_id, "chain", { input: { count: 0 }, afterSeconds: 1 });
  assert.equal(run.status, "pending");
  assert.equal((await client.runs.get(t.thread_id, run.run_id)).status, "pending");
  assert.equal((await client.threads.get(t.thread_id)).status, "busy");
  const finished = await waitForRun(t.thread_id, run.run_id, done);
  assert.equal(finished.status, "success");
  assert.equal((await client.threads.get(t.thread_id)).status, "idle");
});

test("list: the thread's runs with their status; limit", async () => {
  const t = await client.threads.create();
  const r1 = await client.runs.create(t.thread_id, "chain", { input: { count: 0 } });
  await client.runs.join(t.thread_id, r1.run_id);
  const r2 = await client.runs.create(t.thread_id, "chain", { input: { count: 0 } });
  await client.runs.join(t.thread_id, r2.run_id);
  const runs = await client.runs.list(t.thread_id);
  assert.deepEqual(runs.map((r) => r.run_id).sort(), [r1.run_id, r2.run_id].sort());
  assert.ok(runs.every((r) => r.status === "success" && r.thread_id === t.thread_id));
  assert.equal((await client.runs.list(t.thread_id, { limit: 1 })).length, 1);
  const other = await client.threads.create();
  assert.deepEqual(await client.runs.list(other.thread_id), []);
});

test("get of an unknown run is 404; join of a run on another thread is 404", async () => {
  const t = await client.threads.create();
  await rejectsWithStatus(client.runs.get(t.thread_id, randomUUID()), 404);
  const run = await client.runs.create(t.thread_id, "chain", { input: {} });
  await client.runs.join(t.thread_id, run.run_id);
  const other = await client.threads.create();
  await rejectsWithStatus(client.runs.get(other.thread_id, run.run_id), 404);
});

test("joinStream: the run's events from the start, as the run's streamMode asked", async () => {
  const t = await client.threads.create();
  const run = await client.runs.create(t.thread_id, "chain", {
    input: { count: 0 }, streamMode: ["values", "updates"], afterSeconds: 1,
  });
  const body = checkFraming(await collect(client.runs.joinStream(t.thread_id, run.run_id)), { runId: run.run_id });
  assert.deepEqual(body.map((p) => [p.event, p.data]), [
    ["values", { count: 0, steps: [] }],
    ["updates", { a: { count: 1, steps: ["a"] } }],
    ["values", { count: 1, steps: ["a"] }],
    ["updates", { b: { count: 1, steps: ["b"] } }],
    ["values", { count: 2, steps: ["a", "b"] }],
    ["updates", { c: { count: 1, steps: ["c"] } }],
    ["values", FINAL],
  ]);
  assert.equal((await client.runs.get(t.thread_id, run.run_id)).status, "success");
});

test("cancel a pending run: status interrupted, the thread idle, nothing ran", async () => {
  const t = await client.threads.create();
  const run = await client.runs.create(t.thread_id, "chain", { input: { count: 0 }, afterSeconds: 2 });
  const result = await client.runs.cancel(t.thread_id, run.run_id);
  assert.equal(result, undefined); // 202 Accepted, no body
  const got = await client.runs.get(t.thread_id, run.run_id);
  assert.equal(got.status, "interrupted");
  assert.equal((await client.threads.get(t.thread_id)).status, "idle");
  await new Promise((r) => setTimeout(r, 2300));
  assert.equal((await client.runs.get(t.thread_id, run.run_id)).status, "interrupted");
  assert.deepEqual((await client.threads.getState(t.thread_id)).values, {});
  await rejectsWithStatus(client.runs.cancel(t.thread_id, randomUUID()), 404);
});

test("cancel with wait: 204 once the run is done; action rollback deletes a pending run", async () => {
  const t = await client.threads.create();
  const run = await client.runs.create(t.thread_id, "chain", { input: { count: 0 }, afterSeconds: 2 });
  const r = await raw("POST", `/threads/${t.thread_id}/runs/${run.run_id}/cancel?wait=1&action=interrupt`);
  assert.equal(r.status, 204);
  assert.equal((await client.runs.get(t.thread_id, run.run_id)).status, "interrupted");

  const doomed = await client.runs.create(t.thread_id, "chain", { input: { count: 0 }, afterSeconds: 2 });
  await client.runs.cancel(t.thread_id, doomed.run_id, false, "rollback");
  await rejectsWithStatus(client.runs.get(t.thread_id, doomed.run_id), 404);
  assert.deepEqual((await client.runs.list(t.thread_id)).map((x) => x.run_id), [run.run_id]);
});

// Waits until the thread's steps grew past `count` (a running relay run saved a checkpoint).
async function untilSteps(threadId, count) {
  for (let i = 0; i < 200; ++i) {
    const state = await client.threads.getState(threadId);
    if ((state.values.steps ?? []).length > count) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error("the run saved no checkpoint within 5 s");
}

test("cancel with rollback of a running run: its checkpoints are undone, the run deleted", async () => {
  const t = await client.threads.create();
  const first = await client.runs.create(t.thread_id, "relay", { input: { pause_ms: 0 } });
  await client.runs.join(t.thread_id, first.run_id);
  const before = await client.threads.getState(t.thread_id);
  assert.equal(before.values.steps.length, 6);

  const slow = await client.runs.create(t.thread_id, "relay", { input: { pause_ms: 400 } });
  await untilSteps(t.thread_id, 6);
  await client.runs.cancel(t.thread_id, slow.run_id, true, "rollback");
  await rejectsWithStatus(client.runs.get(t.thread_id, slow.run_id), 404);
  const after = await client.threads.getState(t.thread_id);
  assert.deepEqual(after.values, before.values, "the thread is back where the cancelled run started");
  assert.notEqual(after.checkpoint.checkpoint_id, before.checkpoint.checkpoint_id, "as a copy: history is kept");

  // The thread's first run rolled back: the thread is emptied.
  const fresh = await client.threads.create();
  const only = await client.runs.create(fresh.thread_id, "relay", { input: { pause_ms: 400 } });
  await untilSteps(fresh.thread_id, 0);
  await client.runs.cancel(fresh.thread_id, only.run_id, true, "rollback");
  assert.deepEqual((await client.threads.getState(fresh.thread_id)).values, {});
});

test("createBatch: stateless background runs in order, each on a thread of its own", async () => {
  const runs = await client.runs.createBatch([
    { assistantId: "chain", input: { count: 0 }, on_completion: "keep" },
    { assistantId: "chain", input: { count: 10 }, on_completion: "keep", metadata: { second: true } },
  ]);
  assert.equal(runs.length, 2);
  for (const r of runs) checkRun(r, { threadId: r.thread_id, assistantId: r.assistant_id, status: ["pending", "running", "success"] });
  assert.notEqual(runs[0].thread_id, runs[1].thread_id);
  assert.equal(runs[1].metadata.second, true);
  assert.deepEqual(await client.runs.join(runs[0].thread_id, runs[0].run_id), FINAL);
  assert.deepEqual(await client.runs.join(runs[1].thread_id, runs[1].run_id), { count: 13, steps: ["a", "b", "c"] });
  // A run the server refuses ends the batch with its error.
  await rejectsWithStatus(client.runs.createBatch([{ assistantId: "no-such-graph", input: {} }]), 404);
});

test("cancelMany: by run ids (all must exist), and by status on a thread", async () => {
  const t = await client.threads.create();
  const a = await client.runs.create(t.thread_id, "chain", { input: { count: 0 }, afterSeconds: 5 });
  const b = await client.runs.create(t.thread_id, "chain", { input: { count: 0 }, afterSeconds: 5, multitaskStrategy: "enqueue" });
  await rejectsWithStatus(client.runs.cancelMany({ threadId: t.thread_id, runIds: [a.run_id, randomUUID()] }), 404);
  assert.equal((await client.runs.get(t.thread_id, a.run_id)).status, "pending", "nothing cancelled when an id is unknown");
  await client.runs.cancelMany({ threadId: t.thread_id, runIds: [a.run_id] });
  assert.equal((await client.runs.get(t.thread_id, a.run_id)).status, "interrupted");
  assert.equal((await client.runs.get(t.thread_id, b.run_id)).status, "pending");

  const c = await client.runs.create(t.thread_id, "chain", { input: { count: 0 }, afterSeconds: 5, multitaskStrategy: "enqueue" });
  await client.runs.cancelMany({ threadId: t.thread_id, status: "pending", action: "rollback" });
  await rejectsWithStatus(client.runs.get(t.thread_id, b.run_id), 404);
  await rejectsWithStatus(client.runs.get(t.thread_id, c.run_id), 404);
  assert.deepEqual((await client.runs.list(t.thread_id)).map((r) => r.run_id), [a.run_id]);
  await rejectsWithStatus(client.runs.cancelMany({ threadId: t.thread_id }), 422);
});

test("multitask reject: a second run while one is in flight is refused with 422", async () => {
  const t = await client.threads.create();
  const first = await client.runs.create(t.thread_id, "chain", { input: { count: 0 }, afterSeconds: 1 });
  const error = await rejectsWithStatus(client.runs.create(t.thread_id, "chain", { input: {} }), 422);
  assert.match(error.message, /already running|inflight|in flight|busy/i);
  await rejectsWithStatus(client.runs.wait(t.thread_id, "chain", { input: {}, multitaskStrategy: "reject" }), 422);
  await assert.rejects(collect(client.runs.stream(t.thread_id, "chain", { input: {} })), (e) => e.status === 422);
  // The first run is untouched and completes.
  assert.deepEqual(await client.runs.join(t.thread_id, first.run_id), FINAL);
  assert.equal((await client.runs.list(t.thread_id)).length, 1);
});

test("multitask enqueue: the second run waits for the first, then runs on its result", async () => {
  const t = await client.threads.create();
  const first = await client.runs.create(t.thread_id, "agent", { input: { messages: [{ role: "user", content: "first" }] } });
  const second = await client.runs.create(t.thread_id, "agent", {
    input: { messages: [{ role: "user", content: "second" }] }, multitaskStrategy: "enqueue",
  });
  assert.equal(second.multitask_strategy, "enqueue");
  await client.runs.join(t.thread_id, first.run_id);
  const out = await client.runs.join(t.thread_id, second.run_id);
  assert.deepEqual(out.messages.map((m) => `${m.type}:${textOf(m)}`), [
    "human:first", "ai:You said: first", "human:second", "ai:You said: second",
  ]);
  assert.equal((await client.runs.get(t.thread_id, first.run_id)).status, "success");
  assert.equal((await client.runs.get(t.thread_id, second.run_id)).status, "success");
});

test("multitask interrupt: the run in flight is interrupted, the new one runs", async () => {
  const t = await client.threads.create();
  const first = await client.runs.create(t.thread_id, "chain", { input: { count: 100 }, afterSeconds: 2 });
  const second = await client.runs.create(t.thread_id, "chain", { input: { count: 0 }, multitaskStrategy: "interrupt" });
  assert.deepEqual(await client.runs.join(t.thread_id, second.run_id), FINAL);
  const firstNow = await waitForRun(t.thread_id, first.run_id, done);
  assert.equal(firstNow.status, "interrupted");
  assert.equal((await client.runs.get(t.thread_id, second.run_id)).status, "success");
  await new Promise((r) => setTimeout(r, 2300));
  assert.deepEqual((await client.threads.getState(t.thread_id)).values, FINAL, "the interrupted run never ran");
});

test("multitask rollback: the run in flight is deleted, the new one runs", async () => {
  const t = await client.threads.create();
  const first = await client.runs.create(t.thread_id, "chain", { input: { count: 100 }, afterSeconds: 2 });
  const second = await client.runs.create(t.thread_id, "chain", { input: { count: 0 }, multitaskStrategy: "rollback" });
  assert.deepEqual(await client.runs.join(t.thread_id, second.run_id), FINAL);
  await rejectsWithStatus(client.runs.get(t.thread_id, first.run_id), 404);
  assert.deepEqual((await client.runs.list(t.thread_id)).map((r) => r.run_id), [second.run_id]);
  await new Promise((r) => setTimeout(r, 2300));
  assert.deepEqual((await client.threads.getState(t.thread_id)).values, FINAL);
});

test("delete a finished run: gone from get and list", async () => {
  const t = await client.threads.create();
  const run = await client.runs.create(t.thread_id, "chain", { input: {} });
  await client.runs.join(t.thread_id, run.run_id);
  await client.runs.delete(t.thread_id, run.run_id);
  await rejectsWithStatus(client.runs.get(t.thread_id, run.run_id), 404);
  assert.deepEqual(await client.runs.list(t.thread_id), []);
});

test("ifNotExists create: a run on a new thread id creates the thread", async () => {
  const id = randomUUID();
  const run = await client.runs.create(id, "chain", { input: { count: 0 }, ifNotExists: "create" });
  assert.equal(run.thread_id, id);
  assert.deepEqual(await client.runs.join(id, run.run_id), FINAL);
  const thread = await client.threads.get(id);
  assert.equal(thread.status, "idle");
  assert.equal(thread.metadata.graph_id, "chain");
});

test("stateless background run (threadId null): the run has a thread id of its own", async () => {
  const run = await client.runs.create(null, "chain", { input: { count: 0 }, onCompletion: "keep" });
  assert.match(run.run_id, UUID);
  assert.match(run.thread_id, UUID);
  assert.deepEqual(await client.runs.join(run.thread_id, run.run_id), FINAL);
  assert.deepEqual((await client.threads.getState(run.thread_id)).values, FINAL);
});
