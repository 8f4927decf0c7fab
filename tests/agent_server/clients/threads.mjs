// Agent Server API, threads: the SDK's client.threads — create (metadata, a given thread_id,
// if_exists "raise" -> 409 and "do_nothing" -> the existing thread), get, search by metadata and
// status, update (metadata merged), delete (then 404) and copy (state kept, then independent).
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { client, rejectsWithStatus, UUID, ISO_DATE } from "./helpers.mjs";

const tag = randomUUID(); // this run's threads, so that searches ignore other files' threads

test("create with metadata, then get", async () => {
  const created = await client.threads.create({ metadata: { owner: "alice", tag } });
  assert.match(created.thread_id, UUID);
  assert.deepEqual(created.metadata, { owner: "alice", tag });
  assert.equal(created.status, "idle");
  assert.match(created.created_at, ISO_DATE);
  assert.match(created.updated_at, ISO_DATE);
  const got = await client.threads.get(created.thread_id);
  assert.equal(got.thread_id, created.thread_id);
  assert.deepEqual(got.metadata, { owner: "alice", tag });
  assert.equal(got.status, "idle");
  assert.equal(got.created_at, created.created_at);
});

test("create with a given thread_id, if_exists raise -> 409, do_nothing -> the existing thread", async () => {
  const id = randomUUID();
  const created = await client.threads.create({ threadId: id, metadata: { n: 1, tag } });
  assert.equal(created.thread_id, id);

  const conflict = await rejectsWithStatus(
    client.threads.create({ threadId: id, ifExists: "raise", metadata: { n: 2 } }), 409);
  assert.match(conflict.message, /409/);

  const again = await client.threads.create({ threadId: id, ifExists: "do_nothing", metadata: { n: 3 } });
  assert.equal(again.thread_id, id);
  assert.deepEqual(again.metadata, { n: 1, tag }, "do_nothing must return the existing thread unchanged");
  assert.equal(again.created_at, created.created_at);
  assert.deepEqual((await client.threads.get(id)).metadata, { n: 1, tag });
});

test("create with a given thread_id and no if_exists raises 409 too", async () => {
  const id = randomUUID();
  await client.threads.create({ threadId: id });
  await rejectsWithStatus(client.threads.create({ threadId: id }), 409);
});

test("get of an unknown thread is 404", async () => {
  await rejectsWithStatus(client.threads.get(randomUUID()), 404);
});

test("search by metadata finds exactly the matching threads, newest first", async () => {
  const mine = tag + "-search";
  const a = await client.threads.create({ metadata: { owner: "bob", tag: mine } });
  const b = await client.threads.create({ metadata: { owner: "bob", tag: mine, extra: true } });
  const c = await client.threads.create({ metadata: { owner: "carol", tag: mine } });

  const bobs = await client.threads.search({ metadata: { owner: "bob", tag: mine }, limit: 100 });
  assert.deepEqual(bobs.map((t) => t.thread_id), [b.thread_id, a.thread_id]);
  const carols = await client.threads.search({ metadata: { owner: "carol", tag: mine } });
  assert.deepEqual(carols.map((t) => t.thread_id), [c.thread_id]);
  const extra = await client.threads.search({ metadata: { tag: mine, extra: true } });
  assert.deepEqual(extra.map((t) => t.thread_id), [b.thread_id]);
  const none = await client.threads.search({ metadata: { owner: "nobody", tag: mine } });
  assert.deepEqual(none, []);

  const page = await client.threads.search({ metadata: { tag: mine }, limit: 2 });
  assert.equal(page.length, 2);
  const rest = await client.threads.search({ metadata: { tag: mine }, limit: 2, offset: 2 });
  assert.equal(rest.length, 1);
  assert.equal(new Set([...page, ...rest].map((t) => t.thread_id)).size, 3);
});

test("search by status: a finished run leaves the thread idle, an interrupt interrupted", async () => {
  const mine = tag + "-status";
  const done = await client.threads.create({ metadata: { tag: mine } });
  await client.runs.wait(done.thread_id, "chain", { input: {} });
  const stopped = await client.threads.create({ metadata: { tag: mine } });
  await client.runs.wait(stopped.thread_id, "approval", { input: { request: "lunch?" } });

  const idle = await client.threads.search({ metadata: { tag: mine }, status: "idle" });
  assert.deepEqual(idle.map((t) => t.thread_id), [done.thread_id]);
  const interrupted = await client.threads.search({ metadata: { tag: mine }, status: "interrupted" });
  assert.deepEqual(interrupted.map((t) => t.thread_id), [stopped.thread_id]);
});

test("a run on a thread shows up in it: status, values, and graph_id/assistant_id metadata", async () => {
  const t = await client.threads.create({ metadata: { tag } });
  await client.runs.wait(t.thread_id, "chain", { input: {} });
  const got = await client.threads.get(t.thread_id);
  assert.equal(got.status, "idle");
  assert.deepEqual(got.values, { count: 3, steps: ["a", "b", "c"] });
  assert.equal(got.metadata.tag, tag);
  assert.equal(got.metadata.graph_id, "chain");
  const [chain] = await client.assistants.search({ graphId: "chain" });
  assert.equal(got.metadata.assistant_id, chain.assistant_id);
  assert.ok(got.updated_at >= got.created_at);
});

test("update merges metadata (PATCH) and keeps the rest", async () => {
  const t = await client.threads.create({ metadata: { owner: "dave", keep: 1, tag } });
  const updated = await client.threads.update(t.thread_id, { metadata: { owner: "erin", added: [1, 2] } });
  assert.equal(updated.thread_id, t.thread_id);
  assert.deepEqual(updated.metadata, { owner: "erin", keep: 1, tag, added: [1, 2] });
  assert.deepEqual((await client.threads.get(t.thread_id)).metadata, { owner: "erin", keep: 1, tag, added: [1, 2] });
  await rejectsWithStatus(client.threads.update(randomUUID(), { metadata: { x: 1 } }), 404);
});

test("delete, then get is 404 and delete again is 404", async () => {
  const t = await client.threads.create({ metadata: { tag } });
  await client.runs.wait(t.thread_id, "chain", { input: {} });
  const result = await client.threads.delete(t.thread_id);
  assert.equal(result, undefined); // 204 No Content
  await rejectsWithStatus(client.threads.get(t.thread_id), 404);
  await rejectsWithStatus(client.threads.getState(t.thread_id), 404);
  await rejectsWithStatus(client.threads.delete(t.thread_id), 404);
  const found = await client.threads.search({ metadata: { tag }, limit: 100 });
  assert.ok(!found.some((x) => x.thread_id === t.thread_id));
});

test("copy: a new thread with the same state and metadata, independent afterwards", async () => {
  const t = await client.threads.create({ metadata: { owner: "frank", tag } });
  await client.runs.wait(t.thread_id, "chain", { input: {} });
  const copy = await client.threads.copy(t.thread_id);
  assert.match(copy.thread_id, UUID);
  assert.notEqual(copy.thread_id, t.thread_id);
  assert.equal(copy.metadata.owner, "frank");
  assert.equal(copy.metadata.tag, tag);

  const state = await client.threads.getState(copy.thread_id);
  assert.deepEqual(state.values, { count: 3, steps: ["a", "b", "c"] });
  const history = await client.threads.getHistory(copy.thread_id, { limit: 100 });
  assert.equal(history.length, (await client.threads.getHistory(t.thread_id, { limit: 100 })).length);

  // Running on the copy leaves the original alone.
  const after = await client.runs.wait(copy.thread_id, "chain", { input: {} });
  assert.deepEqual(after, { count: 6, steps: ["a", "b", "c", "a", "b", "c"] });
  assert.deepEqual((await client.threads.getState(t.thread_id)).values, { count: 3, steps: ["a", "b", "c"] });
});
