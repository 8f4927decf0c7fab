// The web page at / in headless Chromium, Studio view, against a real sg-agent-server: the graph
// drawn from /assistants/{id}/graph (node names, conditional edges dashed); the "approval" graph
// run from the page pauses in review, the interrupt form resumes it and the thread ends with send
// done; the history tree shows the checkpoints; a fork from an earlier checkpoint with edited
// values makes a second branch, run from there; switching branches shows each branch's state;
// bad JSON in the editor is refused; the Studio's stop button cancels a run (sg-agent-server
// --fake-delay-ms 40: the agent's fake model takes 40 ms a word).
import { test } from "node:test";
import assert from "node:assert/strict";
import { BASE, browserForFile, http } from "./page_browser.mjs";

let browser;
let page;
browserForFile((b) => {
  browser = b;
  page = b.page;
});

const nodeNames = () => page.$$eval("#graph g.node", (gs) => gs.map((g) => g.dataset.node));
const viewedValues = async () => JSON.parse(await page.inputValue("#state-values"));
const threadOfPage = () => page.evaluate(() => localStorage.getItem("sg-agent-server.thread.approval"));

test("the graph is drawn: the agent's nodes, its conditional edges dashed", async () => {
  await page.goto(BASE + "/");
  await page.waitForFunction(() => ["agent", "approval", "chain"].every((g) => document.querySelector(`#assistant option[value="${g}"]`)));
  await page.click("#tab-studio");
  await page.waitForSelector("#graph svg g.node");
  assert.deepEqual(await nodeNames(), ["__start__", "model", "tools", "__end__"]);
  const edges = await page.$$eval("#graph path.edge", (ps) => ps.map((p) => [p.dataset.edge, p.classList.contains("conditional"),
                                                                              getComputedStyle(p).strokeDasharray]));
  assert.deepEqual(edges.map(([e, c]) => [e, c]).sort(),
                   [["__start__->model", false], ["model->__end__", true], ["model->tools", true], ["tools->model", false]]);
  for (const [, conditional, dash] of edges) assert.equal(dash !== "none", conditional, "dashed exactly when conditional");
  await page.selectOption("#assistant", "approval");
  await page.waitForFunction(() => document.querySelector("#graph g.node[data-node=write_draft]"));
  assert.deepEqual(await nodeNames(), ["__start__", "write_draft", "review", "send", "__end__"]);
  assert.match(await page.inputValue("#run-input"), /"request"/);
});

test("a run pauses in review; the interrupt form resumes it and the thread ends with send done", async () => {
  await page.click("#new-thread");
  await page.fill("#run-input", JSON.stringify({ request: "lunch" }));
  await page.click("#run-start");
  await page.waitForSelector("#interrupt-panel:not([hidden])");
  const asked = JSON.parse(await page.textContent("#interrupt-value"));
  assert.deepEqual(asked, { question: "Send this draft?", draft: "Draft: lunch" });
  assert.deepEqual(await page.$$eval("#graph g.node.next", (gs) => gs.map((g) => g.dataset.node)), ["review"]);
  assert.match(await page.textContent("#run-log"), /write_draft/);
  const thread = await threadOfPage();
  assert.equal((await http("GET", `/threads/${thread}`)).json.status, "interrupted");

  await page.fill("#resume-input", '"yes"');
  await page.click("#resume");
  await page.waitForSelector("#interrupt-panel", { state: "hidden" });
  await page.waitForFunction(() => /the graph ended/.test(document.getElementById("run-log").textContent));
  assert.deepEqual(await viewedValues(), { request: "lunch", draft: "Draft: lunch", status: "approved", log: ["draft", "approved", "sent"] });
  assert.equal(await page.textContent('#state-meta dd[data-key="next"]'), "—");
  const t = (await http("GET", `/threads/${thread}`)).json;
  assert.equal(t.status, "idle");
  assert.deepEqual(t.values.log, ["draft", "approved", "sent"]);
  // The history's steps: input, write_draft, review (interrupted), review done, send done.
  const history = (await http("POST", `/threads/${thread}/history`, { limit: 100 })).json;
  assert.equal(history[0].metadata.step, 3);
  assert.deepEqual(history[0].next, []);
});

test("the history tree shows every checkpoint, the head marked", async () => {
  const thread = await threadOfPage();
  const history = (await http("POST", `/threads/${thread}/history`, { limit: 100 })).json;
  const rows = await page.$$eval("#history button.cp", (bs) => bs.map((b) => b.dataset.checkpoint));
  assert.equal(rows.length, history.length);
  assert.ok(rows.length >= 4, "checkpoints: " + rows.length);
  assert.deepEqual(new Set(rows), new Set(history.map((s) => s.checkpoint.checkpoint_id)));
  assert.equal(rows[0], history[history.length - 1].checkpoint.checkpoint_id, "oldest first");
  assert.equal(await page.getAttribute("#history button.cp.head", "data-checkpoint"), history[0].checkpoint.checkpoint_id);
  assert.equal(await page.locator("#branches button").count(), 0, "one branch: no branch list");
});

test("fork from an earlier checkpoint with edited values: a new branch; switching branches shows each", async () => {
  const thread = await threadOfPage();
  // The checkpoint before review ran (step 1, next review).
  const beforeReview = page.locator("#history button.cp", { hasText: /step 1 .*→ review/ });
  assert.equal(await beforeReview.count(), 1);
  const forkedFrom = await beforeReview.getAttribute("data-checkpoint");
  await beforeReview.click();
  await page.waitForFunction(() => /^checkpoint /.test(document.getElementById("state-label").textContent));
  assert.deepEqual(await viewedValues(), { request: "lunch", draft: "Draft: lunch", status: "", log: ["draft"] });
  assert.deepEqual(await page.$$eval("#graph g.node.next", (gs) => gs.map((g) => g.dataset.node)), ["review"]);
  assert.equal(await page.textContent("#fork"), "Fork from here");

  // Bad JSON is refused before anything is sent.
  await page.fill("#state-values", "{ not json");
  assert.equal(await page.getAttribute("#state-values", "aria-invalid"), "true");
  assert.ok(await page.isDisabled("#fork"));
  assert.match(await page.textContent("#fork-error"), /not valid JSON/);

  await page.fill("#state-values", JSON.stringify({ request: "lunch", draft: "Draft: dinner", status: "", log: ["draft"] }));
  assert.ok(await page.isEnabled("#fork"));
  await page.click("#fork");
  await page.waitForFunction(() => document.querySelectorAll("#branches button.branch-head").length === 2);
  // The new checkpoint is the new head, a child of the one forked from, and it is selected.
  const history = (await http("POST", `/threads/${thread}/history`, { limit: 100 })).json;
  assert.equal(history[0].parent_checkpoint.checkpoint_id, forkedFrom);
  assert.equal(history[0].values.draft, "Draft: dinner");
  assert.deepEqual(history[0].values.log, ["draft"], "only the changed key was written");
  assert.equal(await page.getAttribute("#history button.cp.selected", "data-checkpoint"), history[0].checkpoint.checkpoint_id);
  assert.equal(await page.locator("#history .fork .branch").count(), 2, "the tree forks in two branches");

  // Run from the fork: review asks again; answer "no" as text.
  await page.click("#run-from");
  await page.waitForSelector("#interrupt-panel:not([hidden])");
  assert.deepEqual(JSON.parse(await page.textContent("#interrupt-value")), { question: "Send this draft?", draft: "Draft: dinner" });
  await page.uncheck("#resume-json");
  await page.fill("#resume-input", "no");
  await page.click("#resume");
  await page.waitForSelector("#interrupt-panel", { state: "hidden" });
  await page.waitForFunction(() => /the graph ended/.test(document.getElementById("run-log").textContent));
  assert.deepEqual(await viewedValues(), { request: "lunch", draft: "Draft: dinner", status: "rejected", log: ["draft", "rejected"] });

  // Two branches; each shows its own state.
  const heads = page.locator("#branches button.branch-head");
  assert.equal(await heads.count(), 2);
  await heads.nth(0).click();
  await page.waitForFunction(() => document.querySelector("#branches button.branch-head.selected")?.textContent.startsWith("1:"));
  assert.deepEqual(await viewedValues(), { request: "lunch", draft: "Draft: lunch", status: "approved", log: ["draft", "approved", "sent"] });
  await heads.nth(1).click();
  await page.waitForFunction(() => document.querySelector("#branches button.branch-head.selected")?.textContent.startsWith("2:"));
  assert.deepEqual(await viewedValues(), { request: "lunch", draft: "Draft: dinner", status: "rejected", log: ["draft", "rejected"] });
  assert.equal((await http("GET", `/threads/${thread}`)).json.values.status, "rejected", "the thread's head is the new branch");
});

test("reload: the Studio view, the thread and its tree come back", async () => {
  const rows = await page.locator("#history button.cp").count();
  await page.reload();
  await page.waitForFunction((n) => document.querySelectorAll("#history button.cp").length === n, rows);
  assert.equal(await page.getAttribute("#tab-studio", "aria-selected"), "true");
  assert.equal(await page.inputValue("#assistant"), "approval");
  assert.equal(await page.locator("#branches button.branch-head").count(), 2);
});

test("the Studio's stop button cancels a run mid-way", async () => {
  await page.selectOption("#assistant", "agent");
  await page.waitForFunction(() => document.querySelector("#graph g.node[data-node=tools]"));
  await page.click("#new-thread");
  const words = Array.from({ length: 80 }, (_, i) => "w" + i).join(" ");
  await page.fill("#run-input", JSON.stringify({ messages: [{ role: "user", content: words }] }));
  await page.click("#run-start");
  await page.waitForFunction(() => !document.getElementById("run-stop").disabled);
  const thread = await page.evaluate(() => localStorage.getItem("sg-agent-server.thread.agent"));
  // The model streams (80 words at 40 ms); its tokens show in the run log.
  await page.waitForFunction(() => /model streams: You said: w0 w1 w2/.test(document.getElementById("run-log").textContent));
  assert.deepEqual(await page.$$eval("#graph g.node.next", (gs) => gs.map((g) => g.dataset.node)), ["model"]);
  await page.click("#run-stop");
  await page.waitForFunction(() => document.getElementById("run-stop").disabled && !document.getElementById("run-start").disabled);
  const t = (await http("GET", `/threads/${thread}`)).json;
  assert.notEqual(t.status, "busy");
  assert.equal((await http("GET", `/threads/${thread}/runs`)).json[0].status, "interrupted");
  assert.ok(!t.values.messages.some((m) => m.type === "ai"), "the model never finished");
});

test("nothing but this server was fetched, and the page threw nothing", () => {
  browser.checkClean();
});
