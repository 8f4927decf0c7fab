// sg-chatbot's web page in headless Chromium (Debian's chromium package, driven by the pinned
// playwright-core; no browser download) against a real `sg-chatbot serve --token web-test-token
// --fake-delay-ms 40` (run-with-server.sh): type a message and see the reply streamed in over
// several DOM updates, continue the thread, switch to a new thread and back, reload and see the
// history, and check that the page fetches nothing but this server.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";

const base = process.env.SG_CHATBOT_URL;
assert.ok(base, "SG_CHATBOT_URL is not set (run me through run-with-server.sh)");
const executable = process.env.SG_CHROMIUM || "/usr/bin/chromium";
if (!fs.existsSync(executable)) {
  console.error(`web page test: no Chromium at ${executable}. Install Debian's chromium package ` +
                "(apt-get install -y chromium; cmake/install-deps.sh installs it) or set SG_CHROMIUM.");
  process.exit(1);
}

function step(name) { console.log("web page: " + name); }

const profile = fs.mkdtempSync(path.join(os.tmpdir(), "sg-chatbot-chromium-"));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: executable,
  headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"],
  timeout: 60_000,
});
try {
  const page = context.pages()[0] ?? await context.newPage();
  page.setDefaultTimeout(20_000);
  const foreign = [];
  const pageErrors = [];
  page.on("request", (r) => { if (!r.url().startsWith(base)) foreign.push(r.url()); });
  page.on("pageerror", (e) => pageErrors.push(String(e)));

  step("open the page and give it the token");
  await page.goto(base + "/");
  await page.fill("#token", "web-test-token");
  await page.dispatchEvent("#token", "change");
  const firstThread = await page.textContent("#thread-title");
  assert.match(firstThread, /^web-[0-9a-f]{12}$/);

  // Records every distinct text the reply bubble shows while it streams.
  const watchReply = () => page.evaluate(() => {
    window.__texts = [];
    const observer = new MutationObserver(() => {
      const bubbles = document.querySelectorAll(".msg.ai");
      const last = bubbles[bubbles.length - 1];
      if (last && last.textContent && window.__texts[window.__texts.length - 1] !== last.textContent)
        window.__texts.push(last.textContent);
    });
    observer.observe(document.getElementById("messages"), { childList: true, subtree: true, characterData: true });
  });
  const sendAndWait = async (text, expected) => {
    await watchReply();
    await page.fill("#input", text);
    await page.press("#input", "Enter");
    await page.waitForFunction((want) => {
      const bubbles = document.querySelectorAll(".msg.ai:not(.streaming)");
      return bubbles.length > 0 && want.test(bubbles[bubbles.length - 1].textContent) && !document.getElementById("send").disabled;
    }, expected);
    return page.evaluate(() => window.__texts);
  };

  step("send a message: the reply streams in");
  const texts = await sendAndWait("Hi! I'm Bob", /^Hi Bob! How can I help you today\?$/);
  assert.ok(texts.length >= 3, "the reply grew over several updates: " + JSON.stringify(texts));
  assert.equal(texts[texts.length - 1], "Hi Bob! How can I help you today?");
  assert.ok(texts.every((t, i) => i === 0 || t.startsWith(texts[i - 1])), "each update extends the last: " + JSON.stringify(texts));

  step("the thread continues");
  await sendAndWait("What's my name?", /^Your name is Bob\.$/);
  assert.deepEqual(await page.$$eval("#messages .msg", (els) => els.map((e) => e.className.replace("msg ", "") + ": " + e.textContent)),
                   ["human: Hi! I'm Bob", "ai: Hi Bob! How can I help you today?", "human: What's my name?", "ai: Your name is Bob."]);

  step("a new thread does not know the name");
  await page.click("#new-thread");
  await page.waitForSelector("#empty");
  const secondThread = await page.textContent("#thread-title");
  assert.notEqual(secondThread, firstThread);
  await sendAndWait("What's my name?", /^I don't know your name/);

  step("the thread list has both; switch back");
  await page.waitForFunction((ids) => ids.every((id) => document.querySelector(`#threads li[data-thread="${id}"]`)),
                             [firstThread, secondThread]);
  await page.click(`#threads li[data-thread="${firstThread}"]`);
  await page.waitForFunction(() => document.querySelectorAll("#messages .msg").length === 4);
  assert.equal(await page.textContent("#thread-title"), firstThread);

  step("reload: the current thread's history is shown again");
  await page.reload();
  await page.waitForFunction(() => document.querySelectorAll("#messages .msg").length === 4);
  assert.equal(await page.textContent("#thread-title"), firstThread);
  assert.equal(await page.inputValue("#token"), "web-test-token");
  assert.deepEqual(await page.$$eval("#messages .msg", (els) => els.map((e) => e.textContent)),
                   ["Hi! I'm Bob", "Hi Bob! How can I help you today?", "What's my name?", "Your name is Bob."]);

  step("a wrong token shows the server's error");
  await page.fill("#token", "wrong");
  await page.dispatchEvent("#token", "change");
  await page.waitForFunction(() => /sg\.chatbot\.809/.test(document.getElementById("status").textContent));

  assert.deepEqual(foreign, [], "requests outside the server");
  assert.deepEqual(pageErrors, [], "page errors");
  console.log("web page: all checks passed");
} finally {
  await context.close();
  fs.rmSync(profile, { recursive: true, force: true });
}
