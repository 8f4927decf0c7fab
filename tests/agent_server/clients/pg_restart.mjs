// A Postgres restart under a running run (a private cluster of this test, started and restarted
// with cmake/postgres-fixture.sh): sg-agent-server loses its connections and the run its thread
// lock mid-run; the run is given back and continues from its last checkpoint once Postgres answers
// again. Checked with the official SDK: the run ends "success", each of its six steps ran once, the
// server answers new runs afterwards.
//
// Environment: SG_AGENT_SERVER_BIN, SG_POSTGRES_FIXTURE (the script); the server binaries are
// found under /usr/lib/postgresql/*/bin (Debian's postgresql package).
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { Client } from "@langchain/langgraph-sdk";

const BIN = process.env.SG_AGENT_SERVER_BIN;
const FIXTURE = process.env.SG_POSTGRES_FIXTURE;
assert.ok(BIN && FIXTURE, "SG_AGENT_SERVER_BIN and SG_POSTGRES_FIXTURE must be set");
const versions = fs.existsSync("/usr/lib/postgresql") ? fs.readdirSync("/usr/lib/postgresql").sort((a, b) => b - a) : [];
assert.ok(versions.length > 0, "no /usr/lib/postgresql/*/bin: install Debian's postgresql package");
const PG_BIN = `/usr/lib/postgresql/${versions[0]}/bin`;
const STEPS = ["step1", "step2", "step3", "step4", "step5", "step6"];
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sg-pg-restart-"));
const fixture = (verb) => execFileSync("bash", [FIXTURE, verb, dir, PG_BIN], { encoding: "utf8" });

let server;
after(() => {
  if (server && server.exitCode === null) server.kill("SIGKILL");
  try { fixture("stop"); } catch { /* already stopped */ }
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

test("a Postgres restart mid-run: the run continues from its checkpoint and succeeds", { timeout: 120_000 }, async () => {
  fixture("start");
  const uri = fs.readFileSync(path.join(dir, "uri"), "utf8").trim();
  server = spawn(BIN, ["--host", "127.0.0.1", "--port", "0", "--store", uri, "--run-lease-ms", "2000"],
                 { stdio: ["ignore", "pipe", "pipe"] });
  const log = [];
  server.stderr.on("data", (d) => log.push(String(d)));
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the server did not start: " + log.join(""))), 20_000);
    readline.createInterface({ input: server.stdout }).on("line", (line) => {
      const m = /serving on (http:\/\/\S+?)\/?$/.exec(line);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
  });
  const client = new Client({ apiUrl: url, apiKey: null, callerOptions: { maxRetries: 0 } });
  const thread = await client.threads.create();
  const run = await client.runs.create(thread.thread_id, "relay", { input: { pause_ms: 300 }, durability: "sync" });
  for (let i = 0; i < 200; i++) {
    const s = await client.threads.getState(thread.thread_id);
    if ((s.values.steps ?? []).length >= 2) break;
    await sleep(20);
  }
  const before = (await client.threads.getState(thread.thread_id)).values.steps.length;
  assert.ok(before < STEPS.length, "the run ended before the restart");
  console.log(fixture("restart").trim());

  // The run goes on once Postgres answers (its lease, 2 s, may have to run out first).
  let final;
  for (let i = 0; i < 300; i++) {
    try {
      final = await client.runs.get(thread.thread_id, run.run_id);
      if (final.status !== "pending" && final.status !== "running") break;
    } catch { /* 503 while Postgres restarts */ }
    await sleep(100);
  }
  assert.equal(final?.status, "success", `the run ended ${final?.status}; server log:\n${log.join("")}`);
  const state = await client.threads.getState(thread.thread_id);
  assert.deepEqual(state.values.steps, STEPS, `steps after the restart (${before} before it)`);
  assert.match(log.join(""), /giving it back|failed; retrying/, "the server did not see the restart");
  // And the server serves new runs.
  const after = await client.runs.wait(null, "chain", { input: {} });
  assert.deepEqual(after.steps, ["a", "b", "c"]);
});
