// The page at / of `sg-chatbot serve --token ... --fake-delay-ms 40` (the Agent Server's page: the
// chatbot no longer has one of its own) in headless Chromium: it asks for the token, picks the
// assistant "chatbot" (the chat graph with the offline model), streams a reply over several DOM
// updates, and the turn is in the same store as the chatbot's own /chat routes.
// Run from tests/agent_server/clients (playwright-core, page_browser.mjs) with SG_AGENT_SERVER_URL
// set to the chatbot's URL and SG_CHATBOT_TOKEN to its token.
import { test } from "node:test";
import assert from "node:assert/strict";
import { BASE, browserForFile, http, until } from "./page_browser.mjs";

const TOKEN = process.env.SG_CHATBOT_TOKEN;
assert.ok(TOKEN, "SG_CHATBOT_TOKEN is not set");
let browser;
let page;
browserForFile((b) => {
  browser = b;
  page = b.page;
});

test("sg-chatbot serves the Agent Server's page at /; it asks for the token and picks the chatbot", async () => {
  const res = await page.goto(BASE + "/");
  assert.equal(res.status(), 200);
  assert.match(res.headers()["content-security-policy"], /script-src 'self'(;|$)/);
  await page.waitForSelector("#key-panel:not([hidden])");
  await page.fill("#api-key", TOKEN);
  await page.click("#key-save");
  await page.waitForFunction(() => document.querySelector('#assistant option[value="chatbot"]'));
  assert.equal(await page.inputValue("#assistant"), "chatbot");
});

test("a reply streams in from the offline model, and the turn is in /chat's history", async () => {
  await page.evaluate(() => {
    window.__texts = [];
    new MutationObserver(() => {
      const last = [...document.querySelectorAll("#messages .msg.ai")].pop();
      if (last && window.__texts[window.__texts.length - 1] !== last.textContent) window.__texts.push(last.textContent);
    }).observe(document.getElementById("messages"), { childList: true, subtree: true, characterData: true });
  });
  await page.fill("#input", "hello from the page");
  await page.click("#send");
  await page.waitForFunction(() => document.getElementById("send").disabled);
  await page.waitForFunction(() => !document.getElementById("send").disabled, null, { timeout: 30_000 });
  const texts = await page.evaluate(() => window.__texts);
  assert.ok(texts.length >= 3, "the reply grew over several updates: " + JSON.stringify(texts));
  const reply = (await page.locator("#messages .msg.ai").last().textContent()).trim();
  assert.ok(reply.length > 0, "an empty reply");
  // The same thread through the chatbot's own routes.
  const thread = await until(async () => {
    const r = await http("POST", "/threads/search", { limit: 10 }, { "X-Api-Key": TOKEN });
    return r.json?.find((t) => t.values?.messages?.length >= 2)?.thread_id;
  }, "the page's thread");
  const history = await http("GET", `/chat/${thread}/history`, undefined, { Authorization: "Bearer " + TOKEN });
  assert.equal(history.status, 200, history.text);
  assert.match(history.text, /hello from the page/);
  browser.checkClean();
});
