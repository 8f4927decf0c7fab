// Agent Server API, human in the loop: a run that calls interrupt() ("approval" graph) ends with
// the thread `interrupted`, the interrupt in the thread (`interrupts`), in the state
// (`tasks[].interrupts`, `next`) and in the stream (`__interrupt__` in updates and values); resume
// with command {resume}; interruptBefore / interruptAfter on a node, then continue with input null;
// updateState while interrupted, then continue; the thread status after each step.
import { test } from "node:test";
import assert from "node:assert/strict";
import { client, collect, checkFraming, rejectsWithStatus } from "./helpers.mjs";

const QUESTION = (draft) => ({ question: "Send this draft?", draft });

async function interruptedApproval(request) {
  const t = await client.threads.create();
  const out = await client.runs.wait(t.thread_id, "approval", { input: { request } });
  return { t, out };
}

test("interrupt(): the run ends, the thread is interrupted, the interrupt is in thread, state and wait result", async () => {
  const { t, out } = await interruptedApproval("lunch on Friday");
  assert.ok(Array.isArray(out.__interrupt__), `wait result ${JSON.stringify(out)}`);
  assert.equal(out.__interrupt__.length, 1);
  assert.deepEqual(out.__interrupt__[0].value, QUESTION("Draft: lunch on Friday"));
  const interruptId = out.__interrupt__[0].id;
  assert.equal(typeof interruptId, "string");
  assert.ok(interruptId.length > 0);

  const thread = await client.threads.get(t.thread_id);
  assert.equal(thread.status, "interrupted");
  assert.deepEqual(thread.values, { request: "lunch on Friday", draft: "Draft: lunch on Friday", status: "", log: ["draft"] });
  // thread.interrupts: {task id: [interrupt]}
  const byTask = Object.entries(thread.interrupts);
  assert.equal(byTask.length, 1);
  assert.deepEqual(byTask[0][1], [{ id: interruptId, value: QUESTION("Draft: lunch on Friday") }]);

  const state = await client.threads.getState(t.thread_id);
  assert.deepEqual(state.next, ["review"]);
  assert.equal(state.tasks.length, 1);
  assert.equal(state.tasks[0].name, "review");
  assert.equal(state.tasks[0].id, byTask[0][0]);
  assert.deepEqual(state.tasks[0].interrupts, [{ id: interruptId, value: QUESTION("Draft: lunch on Friday") }]);
  assert.equal(state.tasks[0].error, null);
});

test("resume with command {resume: true}: approved and sent, the thread idle", async () => {
  const { t } = await interruptedApproval("a raise");
  const out = await client.runs.wait(t.thread_id, "approval", { command: { resume: true } });
  assert.deepEqual(out, { request: "a raise", draft: "Draft: a raise", status: "approved", log: ["draft", "approved", "sent"] });
  const thread = await client.threads.get(t.thread_id);
  assert.equal(thread.status, "idle");
  assert.deepEqual(thread.interrupts, {});
  const state = await client.threads.getState(t.thread_id);
  assert.deepEqual(state.next, []);
  assert.deepEqual(state.tasks, []);
});

test("resume with anything else: rejected, not sent", async () => {
  const { t } = await interruptedApproval("a pony");
  const out = await client.runs.wait(t.thread_id, "approval", { command: { resume: "no way" } });
  assert.deepEqual(out, { request: "a pony", draft: "Draft: a pony", status: "rejected", log: ["draft", "rejected"] });
  assert.equal((await client.threads.get(t.thread_id)).status, "idle");
});

test("the interrupt in the stream: __interrupt__ in updates and values; resume streams the rest", async () => {
  const t = await client.threads.create();
  const first = checkFraming(await collect(client.runs.stream(t.thread_id, "approval", {
    input: { request: "tea" }, streamMode: ["values", "updates"],
  })));
  const interrupt = [{ id: first.at(-1).data.__interrupt__?.[0]?.id, value: QUESTION("Draft: tea") }];
  assert.deepEqual(first.map((p) => [p.event, p.data]), [
    ["values", { request: "tea", draft: "", status: "", log: [] }],
    ["updates", { write_draft: { draft: "Draft: tea", log: ["draft"] } }],
    ["values", { request: "tea", draft: "Draft: tea", status: "", log: ["draft"] }],
    ["updates", { __interrupt__: interrupt }],
    ["values", { __interrupt__: interrupt }],
  ]);
  assert.equal(typeof interrupt[0].id, "string");
  assert.equal((await client.threads.get(t.thread_id)).status, "interrupted");

  const second = checkFraming(await collect(client.runs.stream(t.thread_id, "approval", {
    command: { resume: "yes" }, streamMode: ["values", "updates"],
  })));
  assert.deepEqual(second.map((p) => [p.event, p.data]), [
    ["values", { request: "tea", draft: "Draft: tea", status: "", log: ["draft"] }],
    ["updates", { review: { status: "approved", log: ["approved"] } }],
    ["values", { request: "tea", draft: "Draft: tea", status: "approved", log: ["draft", "approved"] }],
    ["updates", { send: { log: ["sent"] } }],
    ["values", { request: "tea", draft: "Draft: tea", status: "approved", log: ["draft", "approved", "sent"] }],
  ]);
  assert.equal((await client.threads.get(t.thread_id)).status, "idle");
});

test("interruptBefore a node: stops before it; continue with input null", async () => {
  const t = await client.threads.create();
  // A static interrupt has no interrupt value: the wait result's __interrupt__ is empty.
  const out = await client.runs.wait(t.thread_id, "chain", { input: {}, interruptBefore: ["b"] });
  assert.deepEqual(out.__interrupt__, []);
  let state = await client.threads.getState(t.thread_id);
  assert.deepEqual(state.values, { count: 1, steps: ["a"] });
  assert.deepEqual(state.next, ["b"]);
  assert.deepEqual(state.tasks.map((x) => [x.name, x.interrupts]), [["b", []]]);
  let thread = await client.threads.get(t.thread_id);
  assert.equal(thread.status, "interrupted");

  // Continue with input null, stopping after b this time: streamed, the state as it stands first.
  const parts = checkFraming(await collect(client.runs.stream(t.thread_id, "chain", {
    input: null, interruptAfter: ["b"], streamMode: ["values", "updates"],
  })));
  assert.deepEqual(parts.map((p) => [p.event, p.data]), [
    ["values", { count: 1, steps: ["a"] }],
    ["updates", { b: { count: 1, steps: ["b"] } }],
    ["values", { count: 2, steps: ["a", "b"] }],
    ["updates", { __interrupt__: [] }],
    ["values", { __interrupt__: [] }],
  ]);
  state = await client.threads.getState(t.thread_id);
  assert.deepEqual(state.next, ["c"]);
  assert.equal((await client.threads.get(t.thread_id)).status, "interrupted");

  const done = await client.runs.wait(t.thread_id, "chain", { input: null });
  assert.deepEqual(done, { count: 3, steps: ["a", "b", "c"] });
  state = await client.threads.getState(t.thread_id);
  assert.deepEqual(state.next, []);
  thread = await client.threads.get(t.thread_id);
  assert.equal(thread.status, "idle");
});

test("interruptAfter a node: stops after it; interruptBefore the interrupting node, then its interrupt()", async () => {
  const t = await client.threads.create();
  await client.runs.wait(t.thread_id, "approval", { input: { request: "cake" }, interruptAfter: ["write_draft"] });
  let state = await client.threads.getState(t.thread_id);
  assert.deepEqual(state.values, { request: "cake", draft: "Draft: cake", status: "", log: ["draft"] });
  assert.deepEqual(state.next, ["review"]);
  assert.deepEqual(state.tasks[0].interrupts, []);
  assert.equal((await client.threads.get(t.thread_id)).status, "interrupted");

  // Continue: review runs and calls interrupt().
  const out = await client.runs.wait(t.thread_id, "approval", { input: null });
  assert.deepEqual(out.__interrupt__.map((i) => i.value), [QUESTION("Draft: cake")]);
  state = await client.threads.getState(t.thread_id);
  assert.deepEqual(state.next, ["review"]);
  assert.deepEqual(state.tasks[0].interrupts.map((i) => i.value), [QUESTION("Draft: cake")]);
  assert.equal((await client.threads.get(t.thread_id)).status, "interrupted");

  // A second run with interruptBefore review stops before it again (on a fresh thread).
  const t2 = await client.threads.create();
  await client.runs.wait(t2.thread_id, "approval", { input: { request: "pie" }, interruptBefore: ["review"] });
  const s2 = await client.threads.getState(t2.thread_id);
  assert.deepEqual(s2.next, ["review"]);
  assert.deepEqual(s2.tasks[0].interrupts, []);
  assert.deepEqual(s2.values.log, ["draft"]);

  const resumed = await client.runs.wait(t.thread_id, "approval", { command: { resume: true } });
  assert.deepEqual(resumed.log, ["draft", "approved", "sent"]);
});

test("updateState while interrupted (as the interrupted node), then continue", async () => {
  const { t } = await interruptedApproval("time off");
  // Answer the review by hand: write as node "review", so the next node is send.
  const config = await client.threads.updateState(t.thread_id, {
    values: { status: "approved", log: ["approved by hand"] }, asNode: "review",
  });
  assert.equal(config.checkpoint.thread_id, t.thread_id);
  let state = await client.threads.getState(t.thread_id);
  assert.deepEqual(state.next, ["send"]);
  assert.equal(state.values.status, "approved");
  assert.equal(state.checkpoint.checkpoint_id, config.checkpoint.checkpoint_id);
  assert.equal(state.metadata.source, "update");
  // (The thread's status after updateState is not pinned: the reference keeps "interrupted"
  // until the next run.)

  const out = await client.runs.wait(t.thread_id, "approval", { input: null });
  assert.deepEqual(out, { request: "time off", draft: "Draft: time off", status: "approved", log: ["draft", "approved by hand", "sent"] });
  state = await client.threads.getState(t.thread_id);
  assert.deepEqual(state.next, []);
  assert.equal((await client.threads.get(t.thread_id)).status, "idle");
});

test("updateState on a chain stopped before b: the write goes through the reducer, then continue", async () => {
  const t = await client.threads.create();
  await client.runs.wait(t.thread_id, "chain", { input: {}, interruptBefore: ["b"] });
  await client.threads.updateState(t.thread_id, { values: { count: 10, steps: ["manual"] } });
  const state = await client.threads.getState(t.thread_id);
  assert.deepEqual(state.values, { count: 11, steps: ["a", "manual"] });
  assert.deepEqual(state.next, ["b"], "an update as the last node that ran (a) keeps b next");
  const out = await client.runs.wait(t.thread_id, "chain", { input: null });
  assert.deepEqual(out, { count: 13, steps: ["a", "manual", "b", "c"] });
});

test("updateState with an unknown node is refused and changes nothing; on an unknown thread 404", async () => {
  const { t } = await interruptedApproval("x");
  const before = await client.threads.getState(t.thread_id);
  const error = await client.threads.updateState(t.thread_id, { values: { status: "x" }, asNode: "no_such_node" })
    .then(() => null, (e) => e);
  assert.ok(error, "updateState as an unknown node succeeded");
  // The reference answers 500; a 4xx (400 or 422) is what sg-agent-server should give.
  assert.ok(error.status >= 400, `status ${error.status}: ${error.message}`);
  const after = await client.threads.getState(t.thread_id);
  assert.equal(after.checkpoint.checkpoint_id, before.checkpoint.checkpoint_id);
  assert.deepEqual(after.values, before.values);
  await rejectsWithStatus(client.threads.updateState("00000000-0000-4000-8000-000000000000", { values: {} }), 404);
});
