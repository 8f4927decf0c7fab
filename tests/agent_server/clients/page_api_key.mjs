// The web page at / in headless Chromium against `sg-agent-server --api-key page-test-key`: the
// page itself needs no key; the API refuses the page until it has one; the page asks for it,
// keeps it in localStorage (a reload does not ask again), sends it as X-Api-Key and works; a
// wrong key is refused and the page says so.
import { test } from "node:test";
import assert from "node:assert/strict";
import { BASE, browserForFile, http } from "./page_browser.mjs";

const KEY = "page-test-key";
let browser;
let page;
browserForFile((b) => {
  browser = b;
  page = b.page;
});

test("the page is public, the API is not", async () => {
  assert.equal((await http("GET", "/")).status, 200);
  assert.equal((await http("GET", "/ui/app.js")).status, 200);
  assert.equal((await http("POST", "/assistants/search", {})).status, 401);
  assert.equal((await http("POST", "/assistants/search", {}, { "X-Api-Key": KEY })).status, 200);
});

test("the page asks for the key, then works with it", async () => {
  await page.goto(BASE + "/");
  await page.waitForSelector("#key-panel:not([hidden])");
  assert.match(await page.textContent("#key-message"), /needs an API key/);
  assert.equal(await page.locator("#assistant option").count(), 0);
  await page.fill("#api-key", KEY);
  await page.click("#key-save");
  await page.waitForFunction(() => ["agent", "approval", "chain"].every((g) => document.querySelector(`#assistant option[value="${g}"]`)));
  assert.ok(await page.isHidden("#key-panel"));
  assert.equal(await page.evaluate(() => localStorage.getItem("sg-agent-server.api-key")), KEY);
  await page.fill("#input", "hello with a key");
  await page.click("#send");
  await page.waitForFunction(() => /You said: hello with a key/.test([...document.querySelectorAll("#messages .msg.ai:not(.streaming)")].pop()?.textContent ?? ""));
});

test("a reload keeps the key; a wrong key is refused and the page says so", async () => {
  await page.reload();
  await page.waitForFunction(() => document.querySelectorAll("#messages .msg.ai").length === 1);
  assert.ok(await page.isHidden("#key-panel"));
  await page.click("#key-button");
  await page.fill("#api-key", "wrong-key");
  await page.click("#key-save");
  await page.waitForSelector("#key-panel:not([hidden])");
  assert.match(await page.textContent("#key-message"), /refused the key.*sg\.server\.906/);
  await page.fill("#api-key", KEY);
  await page.click("#key-save");
  await page.waitForFunction(() => document.querySelectorAll("#messages .msg.ai").length === 1);
});

test("nothing but this server was fetched, and the page threw nothing", () => {
  browser.checkClean();
});
