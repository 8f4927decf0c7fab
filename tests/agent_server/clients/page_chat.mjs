// The web page at / in headless Chromium, chat view, against a real `sg-agent-server
// --fake-delay-ms 40` (the "agent" graph's fake model waits 40 ms before each streamed word):
// the page is served with its CSP and needs no key; the chat picks the graph with "messages";
// a reply streams in over several DOM updates and is rendered as Markdown with highlighted code;
// HTML in a message is inert; the stop button ends the run mid-stream; a failed turn keeps the
// typed text; threads switch and a reload shows the history; at phone width nothing overflows;
// without marked and DOMPurify (a build that did not find them) replies are plain text.
import { test } from "node:test";
import assert from "node:assert/strict";
import { BASE, browserForFile, http, until } from "./page_browser.mjs";

let browser;
let page;
browserForFile((b) => {
  browser = b;
  page = b.page;
});

/** Records each distinct text of the last reply bubble while it changes. */
const watchReply = () => page.evaluate(() => {
  window.__texts = [];
  window.__observer?.disconnect();
  window.__observer = new MutationObserver(() => {
    const bubbles = document.querySelectorAll("#messages .msg.ai");
    const last = bubbles[bubbles.length - 1];
    if (last && last.textContent && window.__texts[window.__texts.length - 1] !== last.textContent) window.__texts.push(last.textContent);
  });
  window.__observer.observe(document.getElementById("messages"), { childList: true, subtree: true, characterData: true });
});

/** Sends `text` and waits until the turn is over (the send button is enabled again). */
async function send(text) {
  await page.fill("#input", text);
  await page.click("#send");
  await page.waitForFunction(() => document.getElementById("send").disabled);
  await page.waitForFunction(() => !document.getElementById("send").disabled, null, { timeout: 30_000 });
}

const lastReply = () => page.locator("#messages .msg.ai").last();
const threadOfPage = () => page.textContent("#thread-title");

test("the page: served at / without a key, with a strict CSP, picks the chat graph", async () => {
  const res = await page.goto(BASE + "/");
  assert.equal(res.status(), 200);
  assert.match(res.headers()["content-type"], /^text\/html/);
  const csp = res.headers()["content-security-policy"];
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'self'(;|$)/, "no inline script allowed");
  assert.match(csp, /connect-src 'self'/);
  for (const [file, type] of [["/ui/app.js", /^text\/javascript/], ["/ui/app.css", /^text\/css/],
                              ["/ui/vendor/marked.min.js", /^text\/javascript/]]) {
    const r = await http("GET", file);
    assert.equal(r.status, 200, file);
    assert.match(r.headers.get("content-type"), type, file);
    assert.equal(r.headers.get("x-content-type-options"), "nosniff");
  }
  assert.equal((await http("GET", "/ui/nothing.js")).status, 404);
  assert.equal((await http("POST", "/", {})).status, 405);
  // Debian's libraries were embedded (the build found them): marked, DOMPurify, highlight.js.
  assert.deepEqual(await page.evaluate(() => [typeof window.marked?.parse, typeof window.DOMPurify?.sanitize, typeof window.hljs?.highlight]),
                   ["function", "function", "function"]);
  await page.waitForFunction(() => ["agent", "approval", "chain"].every((g) => document.querySelector(`#assistant option[value="${g}"]`)));
  assert.equal(await page.inputValue("#assistant"), "agent", "the first graph whose state has messages");
  assert.equal(await page.textContent("#thread-title"), "New thread");
});

test("a reply streams in over several DOM updates, as Markdown with highlighted code", async () => {
  await watchReply();
  await send("Here is **bold** and a list:\n\n- one\n- two\n\n```cpp\nint main() { return 0; }\n```");
  const texts = await page.evaluate(() => window.__texts);
  assert.ok(texts.length >= 4, "the reply grew over several updates: " + JSON.stringify(texts));
  const reply = lastReply();
  assert.equal(await reply.locator("strong").textContent(), "bold");
  assert.deepEqual(await reply.locator("li").allTextContents(), ["one", "two"]);
  assert.match(await reply.locator("pre code").textContent(), /^int main\(\) \{ return 0; \}\s*$/);
  assert.ok(await reply.locator("pre code .hljs-keyword").count() >= 1, "highlight.js coloured the code");
  assert.match(await reply.textContent(), /^You said: Here is bold/);
  // The person's message is shown as typed, not rendered.
  assert.match(await page.locator("#messages .msg.human").last().textContent(), /\*\*bold\*\*/);
  const thread = await threadOfPage();
  const state = await http("GET", `/threads/${thread}/state`);
  assert.equal(state.json.values.messages.length, 2);
});

test("HTML in a message is inert: no script runs, no handler is kept", async () => {
  await send('<img src="x" onerror="window.__xss = 1"> <script>window.__xss = 2</script> ' +
             '<a href="javascript:window.__xss = 3">link</a> [md](javascript:window.__xss=4)');
  const reply = lastReply();
  await reply.locator("a").first().click({ timeout: 2_000 }).catch(() => {});
  assert.equal(await page.evaluate(() => window.__xss), undefined);
  assert.equal(await reply.locator("script").count(), 0);
  assert.equal(await reply.locator("[onerror]").count(), 0);
  for (const href of await reply.locator("a").evaluateAll((as) => as.map((a) => a.getAttribute("href") ?? "")))
    assert.doesNotMatch(href, /^javascript:/i);
  assert.match(await page.locator("#messages .msg.human").last().textContent(), /<script>window.__xss = 2<\/script>/);
});

test("the stop button ends the run mid-stream; the thread is not busy afterwards", async () => {
  const words = Array.from({ length: 80 }, (_, i) => "word" + i).join(" ");
  await page.fill("#input", words);
  await page.click("#send");
  await page.waitForFunction(() => {
    const s = document.querySelector("#messages .msg.ai.streaming");
    return s && /word3/.test(s.textContent);
  });
  assert.ok(await page.isVisible("#stop"));
  await page.click("#stop");
  await page.waitForFunction(() => !document.getElementById("send").disabled);
  await page.waitForSelector("#messages .turn-stopped");
  assert.ok(await page.isHidden("#stop"));
  const thread = await threadOfPage();
  const t = await http("GET", `/threads/${thread}`);
  assert.notEqual(t.json.status, "busy");
  const runs = await http("GET", `/threads/${thread}/runs`);
  assert.equal(runs.json[0].status, "interrupted", JSON.stringify(runs.json[0]));
  // The reply never finished: the thread holds no AI message with the last word.
  const state = await http("GET", `/threads/${thread}/state`);
  assert.ok(!state.json.values.messages.some((m) => m.type === "ai" && /word79/.test(m.content)));
  // What streamed before the stop stays on screen, marked as not saved.
  const unsaved = await page.textContent("#messages .msg.ai.unsaved");
  assert.match(unsaved, /^You said: word0 word1 word2 word3/);
  assert.doesNotMatch(unsaved, /word79/);
  // The thread goes on.
  await send("still here?");
  assert.equal((await lastReply().textContent()).trim(), "You said: still here?");
});

test("a failed turn keeps the typed text and says why", async () => {
  const thread = await threadOfPage();
  // Another client's run keeps the thread busy (a background run whose tokens are streamed, so
  // its model takes 40 ms a word: 6 s): the page's run is rejected (multitask "reject": 422).
  const words = Array.from({ length: 150 }, (_, i) => "busy" + i).join(" ");
  const other = await http("POST", `/threads/${thread}/runs`, { assistant_id: "agent", stream_mode: ["messages-tuple"],
                                                               input: { messages: [{ role: "user", content: words }] } });
  assert.equal(other.status, 200);
  await page.fill("#input", "a message that must not be lost");
  await page.click("#send");
  await page.waitForSelector("#messages .turn-error");
  assert.equal(await page.inputValue("#input"), "a message that must not be lost");
  assert.match(await page.textContent("#messages .turn-error"), /sg\.server\.905/);
  assert.match(await page.textContent("#status"), /failed/);
  const cancelled = await http("POST", `/threads/${thread}/runs/${other.json.run_id}/cancel?wait=1`);
  assert.ok([202, 204].includes(cancelled.status), "cancel: " + cancelled.status);
  // Sent again once the thread is free, it goes through.
  await page.click("#send");
  await page.waitForFunction(() => document.getElementById("send").disabled);
  assert.equal(await page.inputValue("#input"), "");
  await page.waitForFunction(() => !document.getElementById("send").disabled, null, { timeout: 30_000 });
  assert.equal((await lastReply().textContent()).trim(), "You said: a message that must not be lost");
});

test("threads: a new one, the list, switching back, and a reload shows the history", async () => {
  const first = await threadOfPage();
  // (What a stopped run streamed is on screen, not in the thread: it is not counted.)
  const firstCount = await page.locator("#messages .msg:not(.unsaved)").count();
  await page.click("#new-thread");
  await page.waitForSelector("#empty");
  assert.equal(await threadOfPage(), "New thread");
  await send("second thread");
  const second = await threadOfPage();
  assert.notEqual(second, first);
  await page.waitForFunction((ids) => ids.every((id) => document.querySelector(`#threads li[data-thread="${id}"]`)), [first, second]);
  await page.click(`#threads li[data-thread="${first}"]`);
  await page.waitForFunction((n) => document.querySelectorAll("#messages .msg").length === n, firstCount);
  assert.equal(await threadOfPage(), first);
  await page.reload();
  await page.waitForFunction((n) => document.querySelectorAll("#messages .msg").length === n, firstCount);
  assert.equal(await threadOfPage(), first);
  assert.equal(await page.locator("#messages .msg.ai strong").first().textContent(), "bold");
});

test("phone width (375 px): no horizontal scroll, the controls are on screen", async () => {
  await page.setViewportSize({ width: 375, height: 740 });
  await page.reload();
  await page.waitForFunction(() => document.querySelectorAll("#messages .msg").length > 0);
  await send("a long line: `" + "x".repeat(300) + "`\n\n```\n" + "y".repeat(300) + "\n```");
  const widths = await page.evaluate(() => ({ doc: document.documentElement.scrollWidth, body: document.body.scrollWidth, view: window.innerWidth }));
  assert.ok(widths.doc <= widths.view && widths.body <= widths.view, "no horizontal overflow: " + JSON.stringify(widths));
  for (const sel of ["#input", "#send", "#new-thread", "#assistant", "#tab-studio"]) {
    const box = await page.locator(sel).boundingBox();
    assert.ok(box && box.x >= 0 && box.x + box.width <= 375 && box.width > 0, `${sel} on screen: ${JSON.stringify(box)}`);
  }
  await page.click("#tab-studio");
  await page.waitForSelector("#graph svg g.node");
  const studio = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(studio <= 375, "the Studio view fits too: " + studio);
  await page.click("#tab-chat");
  await page.setViewportSize({ width: 1280, height: 800 });
});

test("without Debian's libraries (as a build that did not find them serves), replies are escaped plain text", async () => {
  // What the build embeds in their place: web/missing_library.js, a comment.
  const stub = (route) => route.fulfill({ status: 200, contentType: "text/javascript", body: "// not found at build time\n" });
  await page.route(/\/ui\/vendor\//, stub);
  try {
    await page.reload();
    await page.waitForFunction(() => ["agent", "approval", "chain"].every((g) => document.querySelector(`#assistant option[value="${g}"]`)));
    assert.deepEqual(await page.evaluate(() => [typeof window.marked, typeof window.DOMPurify, typeof window.hljs]),
                     ["undefined", "undefined", "undefined"]);
    await send('**bold** <img src="x" onerror="window.__xss = 5">');
    const reply = lastReply();
    assert.ok(await reply.evaluate((e) => e.classList.contains("plain")));
    assert.equal((await reply.textContent()).trim(), 'You said: **bold** <img src="x" onerror="window.__xss = 5">');
    assert.equal(await reply.locator("*").count(), 0, "no element inside: text only");
    assert.equal(await page.evaluate(() => window.__xss), undefined);
  } finally {
    await page.unroute(/\/ui\/vendor\//, stub);
  }
});

test("nothing but this server was fetched, and the page threw nothing", () => {
  browser.checkClean();
});
