// Agent Server API, state and history: client.threads.getState (values, next, tasks, metadata,
// created_at, checkpoint, parent_checkpoint), getState at a checkpoint (by id and by checkpoint
// object), getHistory (newest first, limit, before, metadata filter), updateState with asNode,
// and forks: a run from an old checkpoint (checkpointId / checkpoint) and the branched history.
import { test } from "node:test";
import assert from "node:assert/strict";
import { client, rejectsWithStatus, ISO_DATE } from "./helpers.mjs";

async function chainThread() {
  const t = await client.threads.create();
  await client.runs.wait(t.thread_id, "chain", { input: { count: 0 } });
  return t.thread_id;
}

function checkCheckpoint(cp, threadId) {
  assert.equal(cp.thread_id, threadId);
  assert.equal(typeof cp.checkpoint_id, "string");
  assert.ok(cp.checkpoint_id.length > 0);
  assert.equal(cp.checkpoint_ns, "");
}

test("getState: values, next, tasks, metadata, created_at, checkpoint and parent_checkpoint", async () => {
  const id = await chainThread();
  const s = await client.threads.getState(id);
  assert.deepEqual(s.values, { count: 3, steps: ["a", "b", "c"] });
  assert.deepEqual(s.next, []);
  assert.deepEqual(s.tasks, []);
  assert.match(s.created_at, ISO_DATE);
  checkCheckpoint(s.checkpoint, id);
  checkCheckpoint(s.parent_checkpoint, id);
  assert.notEqual(s.parent_checkpoint.checkpoint_id, s.checkpoint.checkpoint_id);
  assert.equal(s.metadata.source, "loop");
  assert.equal(s.metadata.step, 3);
  assert.equal(s.metadata.graph_id, "chain");
  assert.equal(typeof s.metadata.run_id, "string");

  // A thread with no run yet has empty state.
  const fresh = await client.threads.create();
  const empty = await client.threads.getState(fresh.thread_id);
  assert.deepEqual(empty.values, {});
  assert.deepEqual(empty.next, []);
  assert.deepEqual(empty.tasks, []);
});

test("getState of a thread stopped before b: next and its task", async () => {
  const t = await client.threads.create();
  await client.runs.wait(t.thread_id, "chain", { input: { count: 0 }, interruptBefore: ["b"] });
  const s = await client.threads.getState(t.thread_id);
  assert.deepEqual(s.next, ["b"]);
  assert.equal(s.tasks.length, 1);
  assert.equal(s.tasks[0].name, "b");
  assert.equal(typeof s.tasks[0].id, "string");
  assert.deepEqual(s.tasks[0].interrupts, []);
  assert.equal(s.tasks[0].error, null);
  assert.equal(s.metadata.step, 1);
});

test("getHistory: newest first, one state per step, each the parent of the one before", async () => {
  const id = await chainThread();
  const h = await client.threads.getHistory(id, { limit: 100 });
  assert.deepEqual(h.map((s) => s.metadata.step), [3, 2, 1, 0, -1]);
  assert.deepEqual(h.map((s) => s.metadata.source), ["loop", "loop", "loop", "loop", "input"]);
  assert.deepEqual(h.map((s) => s.values), [
    { count: 3, steps: ["a", "b", "c"] },
    { count: 2, steps: ["a", "b"] },
    { count: 1, steps: ["a"] },
    { count: 0, steps: [] },
    { count: 0, steps: [] }, // the input checkpoint: the channels' defaults, the input not yet applied
  ]);
  assert.deepEqual(h.map((s) => s.next), [[], ["c"], ["b"], ["a"], ["__start__"]]);
  for (let i = 0; i + 1 < h.length; i++)
    assert.equal(h[i].parent_checkpoint.checkpoint_id, h[i + 1].checkpoint.checkpoint_id);
  assert.ok(h.at(-1).parent_checkpoint === null || h.at(-1).parent_checkpoint === undefined);
  assert.equal(h[0].checkpoint.checkpoint_id, (await client.threads.getState(id)).checkpoint.checkpoint_id);
  // The task of a past step carries the node's result.
  assert.deepEqual(h[1].tasks.map((x) => [x.name, x.result]), [["c", { count: 1, steps: ["c"] }]]);
  for (let i = 0; i + 1 < h.length; i++) assert.ok(h[i].created_at >= h[i + 1].created_at);
});

test("getHistory: limit, before and the metadata filter", async () => {
  const id = await chainThread();
  const all = await client.threads.getHistory(id, { limit: 100 });
  const two = await client.threads.getHistory(id, { limit: 2 });
  assert.deepEqual(two.map((s) => s.checkpoint.checkpoint_id), all.slice(0, 2).map((s) => s.checkpoint.checkpoint_id));
  // The default limit is 10 (sent by the SDK).
  assert.equal((await client.threads.getHistory(id)).length, 5);

  // before: a checkpoint id; only strictly older states.
  const older = await client.threads.getHistory(id, { before: all[1].checkpoint.checkpoint_id, limit: 100 });
  assert.deepEqual(older.map((s) => s.checkpoint.checkpoint_id), all.slice(2).map((s) => s.checkpoint.checkpoint_id));
  const page = await client.threads.getHistory(id, { before: all[1].checkpoint.checkpoint_id, limit: 1 });
  assert.deepEqual(page.map((s) => s.metadata.step), [1]);

  const inputs = await client.threads.getHistory(id, { metadata: { source: "input" }, limit: 100 });
  assert.deepEqual(inputs.map((s) => s.metadata.step), [-1]);
  const step2 = await client.threads.getHistory(id, { metadata: { step: 2 } });
  assert.deepEqual(step2.map((s) => s.values), [{ count: 2, steps: ["a", "b"] }]);
});

test("getState at a checkpoint: by id and by checkpoint object", async () => {
  const id = await chainThread();
  const h = await client.threads.getHistory(id, { limit: 100 });
  const old = h[2]; // after a
  const byId = await client.threads.getState(id, old.checkpoint.checkpoint_id);
  assert.deepEqual(byId.values, { count: 1, steps: ["a"] });
  assert.deepEqual(byId.next, ["b"]);
  assert.equal(byId.checkpoint.checkpoint_id, old.checkpoint.checkpoint_id);
  assert.equal(byId.parent_checkpoint.checkpoint_id, h[3].checkpoint.checkpoint_id);
  const byObject = await client.threads.getState(id, { checkpoint_id: old.checkpoint.checkpoint_id });
  assert.deepEqual(byObject.values, byId.values);
  assert.equal(byObject.checkpoint.checkpoint_id, old.checkpoint.checkpoint_id);
});

test("getState and getHistory of an unknown thread are 404", async () => {
  await rejectsWithStatus(client.threads.getState("00000000-0000-4000-8000-000000000000"), 404);
  await rejectsWithStatus(client.threads.getHistory("00000000-0000-4000-8000-000000000000"), 404);
});

test("updateState asNode: a new checkpoint (source update) whose next follows that node", async () => {
  const id = await chainThread();
  const head = await client.threads.getState(id);

  // As c (the last node): nothing left to run.
  const r1 = await client.threads.updateState(id, { values: { count: 100, steps: ["z"] }, asNode: "c" });
  checkCheckpoint(r1.checkpoint, id);
  let s = await client.threads.getState(id);
  assert.equal(s.checkpoint.checkpoint_id, r1.checkpoint.checkpoint_id);
  assert.equal(s.parent_checkpoint.checkpoint_id, head.checkpoint.checkpoint_id);
  assert.deepEqual(s.values, { count: 103, steps: ["a", "b", "c", "z"] });
  assert.deepEqual(s.next, []);
  assert.equal(s.metadata.source, "update");
  assert.equal(s.metadata.step, 4);

  // As a: b is next; a run with input null runs b and c.
  await client.threads.updateState(id, { values: { steps: ["again"] }, asNode: "a" });
  s = await client.threads.getState(id);
  assert.deepEqual(s.next, ["b"]);
  const out = await client.runs.wait(id, "chain", { input: null });
  assert.deepEqual(out, { count: 105, steps: ["a", "b", "c", "z", "again", "b", "c"] });
  const h = await client.threads.getHistory(id, { limit: 100 });
  assert.deepEqual(h.slice(0, 4).map((x) => x.metadata.source), ["loop", "loop", "update", "update"]);
});

test("fork: a run from an old checkpoint (checkpointId) branches the history", async () => {
  const id = await chainThread();
  const before = await client.threads.getHistory(id, { limit: 100 });
  const afterA = before[2]; // values {count 1, steps [a]}, next [b]
  const out = await client.runs.wait(id, "chain", { input: null, checkpointId: afterA.checkpoint.checkpoint_id });
  assert.deepEqual(out, { count: 3, steps: ["a", "b", "c"] }, "the fork continues from after a, not from the end");

  const h = await client.threads.getHistory(id, { limit: 100 });
  // The new head's ancestry goes through afterA; the old head is still there, off the branch.
  const byId = new Map(h.map((s) => [s.checkpoint.checkpoint_id, s]));
  const chain = [];
  for (let s = h[0]; s; s = s.parent_checkpoint && byId.get(s.parent_checkpoint.checkpoint_id)) chain.push(s);
  assert.ok(chain.some((s) => s.checkpoint.checkpoint_id === afterA.checkpoint.checkpoint_id));
  assert.ok(!chain.some((s) => s.checkpoint.checkpoint_id === before[0].checkpoint.checkpoint_id),
            "the old head is not an ancestor of the fork");
  assert.ok(byId.has(before[0].checkpoint.checkpoint_id), "the old head stays in the history");
  assert.ok(h.length > before.length);
  // Between the new head and afterA: the fork's own steps (b, c) — the reference also writes a
  // copy of afterA first (metadata.source "fork"); its values are afterA's.
  const branch = chain.slice(0, chain.findIndex((s) => s.checkpoint.checkpoint_id === afterA.checkpoint.checkpoint_id));
  assert.deepEqual(branch.filter((s) => s.metadata.source === "loop").map((s) => s.values), [
    { count: 3, steps: ["a", "b", "c"] }, { count: 2, steps: ["a", "b"] },
  ]);
  for (const s of branch.filter((s) => s.metadata.source !== "loop")) {
    assert.equal(s.metadata.source, "fork");
    assert.deepEqual(s.values, afterA.values);
  }
  const old = await client.threads.getState(id, before[0].checkpoint.checkpoint_id);
  assert.deepEqual(old.values, { count: 3, steps: ["a", "b", "c"] });
  assert.notEqual(h[0].checkpoint.checkpoint_id, before[0].checkpoint.checkpoint_id);
});

test("fork: updateState at an old checkpoint, then run from the new branch (checkpoint object)", async () => {
  const id = await chainThread();
  const before = await client.threads.getHistory(id, { limit: 100 });
  const afterA = before[2];
  const forked = await client.threads.updateState(id, {
    values: { steps: ["x"] }, checkpointId: afterA.checkpoint.checkpoint_id, asNode: "a",
  });
  const s = await client.threads.getState(id);
  assert.equal(s.checkpoint.checkpoint_id, forked.checkpoint.checkpoint_id);
  assert.equal(s.parent_checkpoint.checkpoint_id, afterA.checkpoint.checkpoint_id);
  assert.deepEqual(s.values, { count: 1, steps: ["a", "x"] });
  assert.deepEqual(s.next, ["b"]);

  const out = await client.runs.wait(id, "chain", { input: null, checkpoint: { checkpoint_id: forked.checkpoint.checkpoint_id } });
  assert.deepEqual(out, { count: 3, steps: ["a", "x", "b", "c"] });
  assert.deepEqual((await client.threads.getState(id)).values, { count: 3, steps: ["a", "x", "b", "c"] });
});
