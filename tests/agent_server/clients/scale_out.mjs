// Two sg-agent-server processes on one store (SG_SCALE_OUT_STORE = "postgres" or "sqlite"), driven
// by the official SDK: background runs admitted through either server are claimed by either; one
// server is SIGKILLed while it runs some of them; those runs are taken over by the other when their
// lease runs out and finish there, continuing from their last checkpoint. Checked: every run the
// servers acknowledged ends "success"; each run's steps ran exactly once each (a step whose
// checkpoint was saved is not run again: `steps` has step1..step6 once, in order); the killed
// process's steps come first in `ran_by`, the survivor's after; a client streaming a run from the
// killed server re-joins it on the other with Last-Event-ID and sees the rest, up to the end.
//
// Environment: SG_AGENT_SERVER_BIN (the binary), SG_SCALE_OUT_STORE, and for postgres
// SG_TEST_POSTGRES_URI (a URI, or the file the cluster fixture writes it to); psql creates a
// database of the test's own there.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { Client } from "@langchain/langgraph-sdk";

const BIN = process.env.SG_AGENT_SERVER_BIN;
const KIND = process.env.SG_SCALE_OUT_STORE || "sqlite";
assert.ok(BIN, "SG_AGENT_SERVER_BIN is not set");
const LEASE_MS = 1500;
const STEPS = ["step1", "step2", "step3", "step4", "step5", "step6"];

function postgresBase() {
  const v = process.env.SG_TEST_POSTGRES_URI;
  assert.ok(v, "SG_TEST_POSTGRES_URI is not set (the Postgres cluster fixture sets it)");
  return v.startsWith("postgres") ? v : fs.readFileSync(v, "utf8").trim();
}

/** A fresh store: a new database in the test cluster, or a SQLite file in a new directory. */
function freshStore() {
  if (KIND === "postgres") {
    const base = postgresBase();
    const db = `sg_scale_out_${process.pid}_${Date.now()}`;
    execFileSync("psql", [base, "-v", "ON_ERROR_STOP=1", "-qc", `CREATE DATABASE ${db}`]);
    const u = new URL(base);
    u.pathname = "/" + db;
    return u.toString();
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sg-scale-out-"));
  return "sqlite:" + path.join(dir, "agent.db");
}

const children = [];
after(() => { for (const c of children) if (c.exitCode === null) c.kill("SIGKILL"); });

/** Starts a server on the store; resolves {proc, url, client, log} once it prints its URL. */
function startServer(store, name) {
  const proc = spawn(BIN, ["--host", "127.0.0.1", "--port", "0", "--store", store, "--run-lease-ms", String(LEASE_MS),
                           "--run-workers", "4"], { stdio: ["ignore", "pipe", "pipe"] });
  children.push(proc);
  const log = [];
  proc.stderr.on("data", (d) => log.push(String(d)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start: ${log.join("")}`)), 20_000);
    readline.createInterface({ input: proc.stdout }).on("line", (line) => {
      const m = /serving on (http:\/\/\S+?)\/?$/.exec(line);
      if (!m) return;
      clearTimeout(timer);
      const client = new Client({ apiUrl: m[1], apiKey: null, callerOptions: { maxRetries: 0 } });
      resolve({ proc, url: m[1], client, log, pid: proc.pid, name });
    });
    proc.on("exit", (code) => reject(new Error(`${name} exited with ${code}: ${log.join("")}`)));
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

test(`two servers on one ${KIND} store: a server killed mid-run, its runs finish on the other`, { timeout: 120_000 }, async () => {
  const store = freshStore();
  const a = await startServer(store, "server A");
  const b = await startServer(store, "server B");
  const servers = [a, b];

  // Six threads, each with one slow background run, admitted alternately through A and B.
  const runs = [];
  for (let i = 0; i < 6; i++) {
    const via = servers[i % 2];
    const thread = await via.client.threads.create({ metadata: { n: i } });
    const run = await via.client.runs.create(thread.thread_id, "relay", {
      input: { pause_ms: 250 },
      durability: "sync",
    });
    assert.equal(run.status, "pending");
    runs.push({ thread: thread.thread_id, run: run.run_id, via: via.name });
  }

  // Wait until A has run some steps (not all) of at least one run; stream that run from A.
  let victim;
  for (let tries = 0; tries < 400 && !victim; tries++) {
    for (const r of runs) {
      const state = await b.client.threads.getState(r.thread);
      const byA = (state.values.ran_by ?? []).filter((p) => p === `pid ${a.pid}`).length;
      if (byA >= 1 && state.values.steps.length <= 3) { victim = r; break; }
    }
    if (!victim) await sleep(25);
  }
  assert.ok(victim, "server A never ran a step of any run");
  const seen = [];
  let streamError;
  const streaming = (async () => {
    try {
      for await (const part of a.client.runs.joinStream(victim.thread, victim.run, { streamMode: ["values"] })) seen.push(part);
    } catch (e) {
      streamError = e;
    }
  })();
  await sleep(120);
  a.proc.kill("SIGKILL");
  await streaming;
  const lastId = seen.filter((p) => p.id !== undefined).at(-1)?.id;

  // The rest of the victim's stream, from B, after the last event A sent.
  const rest = [];
  for await (const part of b.client.runs.joinStream(victim.thread, victim.run, { lastEventId: lastId, streamMode: ["values"] }))
    rest.push(part);
  const lastValues = rest.filter((p) => p.event === "values").at(-1);
  assert.ok(lastValues, `no values after re-joining on B (A's stream ${streamError ? "failed" : "ended"}, ${seen.length} events)`);
  assert.deepEqual(lastValues.data.steps, STEPS);
  if (lastId !== undefined)
    for (const p of rest) if (p.id !== undefined) assert.ok(Number(p.id) > Number(lastId), `event ${p.id} again after ${lastId}`);

  // Every acknowledged run ends "success" on B; no finished step ran twice.
  let takenOver = 0;
  for (const r of runs) {
    await b.client.runs.join(r.thread, r.run);
    const run = await b.client.runs.get(r.thread, r.run);
    assert.equal(run.status, "success", `run ${r.run} (admitted via ${r.via}) ended ${run.status}`);
    const state = await b.client.threads.getState(r.thread);
    assert.deepEqual(state.values.steps, STEPS, `run ${r.run}: steps ${JSON.stringify(state.values.steps)}`);
    const ranBy = state.values.ran_by;
    assert.equal(ranBy.length, STEPS.length);
    const firstB = ranBy.indexOf(`pid ${b.pid}`);
    if (firstB > 0 && ranBy.slice(0, firstB).every((p) => p === `pid ${a.pid}`)) takenOver++;
    for (const p of ranBy.slice(Math.max(firstB, 0))) if (firstB >= 0) assert.equal(p, `pid ${b.pid}`, `run ${r.run}: ${ranBy}`);
    const thread = await b.client.threads.get(r.thread);
    assert.equal(thread.status, "idle");
  }
  assert.ok(takenOver >= 1, "no run was taken over from A by B");
  const victimState = await b.client.threads.getState(victim.thread);
  assert.ok(victimState.values.ran_by.includes(`pid ${a.pid}`) && victimState.values.ran_by.includes(`pid ${b.pid}`),
            `the victim's steps: ${victimState.values.ran_by}`);
  console.log(`scale-out (${KIND}): ${runs.length} runs acknowledged, all succeeded; ${takenOver} taken over from the killed server`);

  // A graceful stop gives a running run back: B stops mid-run, a new server C finishes it.
  const thread = await b.client.threads.create();
  const run = await b.client.runs.create(thread.thread_id, "relay", { input: { pause_ms: 200 }, durability: "sync" });
  for (let tries = 0; tries < 200; tries++) {
    const s = await b.client.threads.getState(thread.thread_id);
    if ((s.values.steps ?? []).length >= 1) break;
    await sleep(20);
  }
  b.proc.kill("SIGTERM");
  const code = await new Promise((r) => b.proc.on("exit", r));
  assert.equal(code, 0, `server B's exit status after SIGTERM: ${b.log.join("")}`);
  const c = await startServer(store, "server C");
  await c.client.runs.join(thread.thread_id, run.run_id);
  assert.equal((await c.client.runs.get(thread.thread_id, run.run_id)).status, "success");
  const s = await c.client.threads.getState(thread.thread_id);
  assert.deepEqual(s.values.steps, STEPS);
  assert.ok(s.values.ran_by.includes(`pid ${c.pid}`), `C ran no step: ${s.values.ran_by}`);
  c.proc.kill("SIGTERM");
});
