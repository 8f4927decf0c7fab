// Shared helpers of the Agent Server API client tests (not a test file itself): the SDK client
// pointed at SG_AGENT_SERVER_URL (set by tests/chatbot/clients/run-with-server.sh --agent-server,
// or by hand against any server speaking the API), SSE collection and HTTP error checks.
import assert from "node:assert/strict";
import { Client } from "@langchain/langgraph-sdk";

export const URL_BASE = (() => {
  const url = process.env.SG_AGENT_SERVER_URL;
  if (!url) throw new Error("SG_AGENT_SERVER_URL is not set (run through run-with-server.sh --agent-server)");
  return url.replace(/\/$/, "");
})();

// No retries: a 5xx or a dropped connection must fail the test, not be papered over.
export const client = new Client({ apiUrl: URL_BASE, apiKey: null, callerOptions: { maxRetries: 0 } });

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const ISO_DATE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;

/** Every part of an SDK stream, as [{event, data, id}]. */
export async function collect(stream) {
  const parts = [];
  for await (const part of stream) parts.push(part);
  return parts;
}

/** The event names of collected parts. */
export const eventsOf = (parts) => parts.map((p) => p.event);

/**
 * Asserts the stream framing every run stream shares: `metadata` first, carrying the run id,
 * and, if the server sends an `end` event, that it is the last one. Returns the parts without
 * the metadata and end events.
 */
export function checkFraming(parts, { runId } = {}) {
  assert.ok(parts.length >= 1, "an empty stream");
  assert.equal(parts[0].event, "metadata", `the first event is ${parts[0].event}, not metadata`);
  assert.match(parts[0].data.run_id, UUID);
  if (runId !== undefined) assert.equal(parts[0].data.run_id, runId);
  const ends = parts.filter((p) => p.event === "end");
  assert.ok(ends.length <= 1, "more than one end event");
  if (ends.length === 1) assert.equal(parts.at(-1).event, "end", "end is not the last event");
  assert.ok(!parts.some((p) => p.event === "error"), `an error event: ${JSON.stringify(parts.find((p) => p.event === "error"))}`);
  return parts.slice(1).filter((p) => p.event !== "end");
}

/** Awaits a promise that must reject with an HTTP error of the given status; returns the error. */
export async function rejectsWithStatus(promise, status) {
  let error;
  try {
    const value = await promise;
    assert.fail(`expected HTTP ${status}, got a result: ${JSON.stringify(value)}`);
  } catch (e) {
    if (e instanceof assert.AssertionError) throw e;
    error = e;
  }
  assert.equal(error.status, status, `expected HTTP ${status}, got ${error.status}: ${error.message}`);
  return error;
}

/** A raw request, for what the SDK hides (status codes, headers, error bodies). */
export async function raw(method, path, body) {
  const response = await fetch(URL_BASE + path, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: response.status, headers: response.headers, text, json };
}

/** Polls the run until its status satisfies the predicate (or the timeout ends the test). */
export async function waitForRun(threadId, runId, predicate, timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = await client.runs.get(threadId, runId);
    if (predicate(run.status)) return run;
    if (Date.now() > deadline) assert.fail(`run ${runId} still ${run.status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const textOf = (message) =>
  typeof message.content === "string"
    ? message.content
    : message.content.map((b) => (typeof b === "string" ? b : b.text ?? "")).join("");
