// Streams of runs that end while the server renews their leases (the server runs with
// --run-lease-ms 200, so its housekeeper renews every 50 ms): every stream ends promptly with the
// run's values. A renewal that ran just after a run's end was committed used to mark the run
// "lost"; its stream then looped re-reading the run until it left memory 5 s later (seen under
// sg-bench server as a 5 s stall of some streamed runs).
import { test } from "node:test";
import assert from "node:assert/strict";
import { client, collect, checkFraming } from "./helpers.mjs";

const CLIENTS = 16;
const RUNS = 40;

test("streamed runs ending during lease renewals all end at once, with their values", async () => {
  const slowest = [];
  await Promise.all(Array.from({ length: CLIENTS }, async () => {
    const t = await client.threads.create();
    let worst = 0;
    for (let i = 0; i < RUNS; i++) {
      const started = Date.now();
      const body = checkFraming(await collect(client.runs.stream(t.thread_id, "chain", {
        input: { count: 0 }, streamMode: "values",
      })));
      worst = Math.max(worst, Date.now() - started);
      assert.deepEqual(body.at(-1).data.steps.slice(-3), ["a", "b", "c"], "the stream ends with the run's values");
      assert.equal(body.at(-1).data.steps.length, 3 * (i + 1));
    }
    slowest.push(worst);
  }));
  assert.equal(slowest.length, CLIENTS);
  // A run takes milliseconds; 2 s leaves room for a loaded machine, not for the 5 s stall.
  assert.ok(Math.max(...slowest) < 2000, `the slowest stream took ${Math.max(...slowest)} ms`);
});
