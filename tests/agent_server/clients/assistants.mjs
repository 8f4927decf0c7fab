// Agent Server API, assistants: the SDK's client.assistants against a server with the demo graphs
// "agent", "approval", "chain" and "relay" — one system assistant per graph (search, get by assistant id
// and by graph id), its graph (nodes and edges) and its JSON schemas.
import { test } from "node:test";
import assert from "node:assert/strict";
import { client, rejectsWithStatus, UUID, ISO_DATE } from "./helpers.mjs";

const GRAPHS = ["agent", "approval", "chain", "relay"];

test("search lists one assistant per graph, named after it", async () => {
  const found = await client.assistants.search({ limit: 100 });
  assert.ok(Array.isArray(found));
  const byGraph = new Map();
  for (const a of found) {
    assert.match(a.assistant_id, UUID);
    assert.equal(typeof a.graph_id, "string");
    assert.ok(!byGraph.has(a.graph_id), `two assistants for graph ${a.graph_id}`);
    byGraph.set(a.graph_id, a);
  }
  assert.deepEqual([...byGraph.keys()].sort(), GRAPHS);
  for (const [graph, a] of byGraph) {
    assert.equal(a.name, graph);
    assert.deepEqual(a.metadata, { created_by: "system" });
    assert.equal(typeof a.config, "object");
    assert.equal(a.version, 1);
    assert.match(a.created_at, ISO_DATE);
    assert.match(a.updated_at, ISO_DATE);
  }
  // Distinct, stable ids.
  assert.equal(new Set(found.map((a) => a.assistant_id)).size, GRAPHS.length);
});

// LangGraph's servers (Python and JS) name a graph's system assistant
// uuid5(6ba7b821-9dad-11d1-80b4-00c04fd430c8, graph_id): stable across restarts and servers.
const SYSTEM_ASSISTANT_IDS = {
  agent: "fe096781-5601-53d2-b2f6-0d3403f7e9ca",
  approval: "e234584d-b7bf-527f-9d06-ba77f8f5172d",
  chain: "608f7b9c-04e5-5cf2-a3f7-ba75a3719808",
  relay: "f30c8e9a-8d42-54ed-b531-b41414a982eb",  // python3: uuid.uuid5(UUID("6ba7b821-..."), "relay")
};

test("a graph's assistant id is uuid5 of the graph id in LangGraph's namespace", async () => {
  const found = await client.assistants.search({ limit: 100 });
  assert.deepEqual(Object.fromEntries(found.map((a) => [a.graph_id, a.assistant_id])), SYSTEM_ASSISTANT_IDS);
});

test("search filters by graph id and pages with limit/offset", async () => {
  const chain = await client.assistants.search({ graphId: "chain" });
  assert.equal(chain.length, 1);
  assert.equal(chain[0].graph_id, "chain");
  const first = await client.assistants.search({ limit: 1, offset: 0 });
  const second = await client.assistants.search({ limit: 1, offset: 1 });
  assert.equal(first.length, 1);
  assert.equal(second.length, 1);
  assert.notEqual(first[0].assistant_id, second[0].assistant_id);
});

test("get by assistant id and by graph id give the same assistant", async () => {
  for (const graph of GRAPHS) {
    const [listed] = await client.assistants.search({ graphId: graph });
    const byId = await client.assistants.get(listed.assistant_id);
    const byGraph = await client.assistants.get(graph);
    assert.equal(byId.assistant_id, listed.assistant_id);
    assert.equal(byGraph.assistant_id, listed.assistant_id);
    assert.equal(byId.graph_id, graph);
    assert.equal(byGraph.name, graph);
  }
});

test("get of an unknown assistant is 404", async () => {
  await rejectsWithStatus(client.assistants.get("00000000-0000-4000-8000-000000000000"), 404);
  await rejectsWithStatus(client.assistants.get("no-such-graph"), 404);
});

const nodeIds = (g) => g.nodes.map((n) => n.id).sort();
const edgeList = (g) =>
  g.edges.map((e) => `${e.source}->${e.target}${e.conditional ? " (conditional)" : ""}`).sort();

test("getGraph of chain: __start__ -> a -> b -> c -> __end__", async () => {
  const g = await client.assistants.getGraph("chain");
  assert.deepEqual(nodeIds(g), ["__end__", "__start__", "a", "b", "c"]);
  assert.deepEqual(edgeList(g), ["__start__->a", "a->b", "b->c", "c->__end__"]);
  for (const e of g.edges) assert.equal(e.conditional, false);
});

test("getGraph of agent: model <-> tools with conditional edges out of model", async () => {
  const [a] = await client.assistants.search({ graphId: "agent" });
  const g = await client.assistants.getGraph(a.assistant_id);
  assert.deepEqual(nodeIds(g), ["__end__", "__start__", "model", "tools"]);
  assert.deepEqual(edgeList(g), [
    "__start__->model",
    "model->__end__ (conditional)",
    "model->tools (conditional)",
    "tools->model",
  ]);
});

test("getGraph of approval: write_draft -> review -> send", async () => {
  const g = await client.assistants.getGraph("approval");
  assert.deepEqual(nodeIds(g), ["__end__", "__start__", "review", "send", "write_draft"]);
  assert.deepEqual(edgeList(g), ["__start__->write_draft", "review->send", "send->__end__", "write_draft->review"]);
});

test("getGraph of an unknown assistant is 404", async () => {
  await rejectsWithStatus(client.assistants.getGraph("00000000-0000-4000-8000-000000000000"), 404);
});

test("getSchemas names the graph and its state keys", async () => {
  const chain = await client.assistants.getSchemas("chain");
  assert.equal(chain.graph_id, "chain");
  assert.equal(chain.state_schema.type, "object");
  assert.deepEqual(Object.keys(chain.state_schema.properties).sort(), ["count", "steps"]);
  assert.equal(chain.input_schema.type, "object");
  assert.ok("config_schema" in chain);

  const approval = await client.assistants.getSchemas("approval");
  assert.equal(approval.graph_id, "approval");
  assert.deepEqual(Object.keys(approval.state_schema.properties).sort(), ["draft", "log", "request", "status"]);

  const agent = await client.assistants.getSchemas("agent");
  assert.deepEqual(Object.keys(agent.state_schema.properties), ["messages"]);
  assert.equal(agent.state_schema.properties.messages.type, "array");
});
