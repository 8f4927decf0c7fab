// Shared by the web page tests (page_*.mjs; not a test file itself): Debian's Chromium, headless,
// driven by the pinned playwright-core (no browser download), launched as tests/chatbot's
// web_page.mjs launches it, with a page that records every request outside the server and every
// page error, and plain HTTP helpers for checking what the page did through the API.
import assert from "node:assert/strict";
import { before, after } from "node:test";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";

export const BASE = (() => {
  const url = process.env.SG_AGENT_SERVER_URL;
  if (!url) throw new Error("SG_AGENT_SERVER_URL is not set (run through run-with-server.sh --agent-server)");
  return url.replace(/\/$/, "");
})();

/** Opens Chromium with a fresh profile; `close()` removes it. */
export async function openBrowser() {
  const executable = process.env.SG_CHROMIUM || "/usr/bin/chromium";
  if (!fs.existsSync(executable))
    throw new Error(`no Chromium at ${executable}: install Debian's chromium package (cmake/install-deps.sh does) or set SG_CHROMIUM`);
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "sg-agent-page-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: executable,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
           "--disable-component-update", "--disable-sync"],
    timeout: 60_000,
  });
  const page = context.pages()[0] ?? await context.newPage();
  page.setDefaultTimeout(20_000);
  const foreign = [];
  const errors = [];
  page.on("request", (r) => { if (!r.url().startsWith(BASE + "/")) foreign.push(r.url()); });
  page.on("pageerror", (e) => errors.push(String(e)));
  // Chromium reports an inline handler refused by the CSP even when it only parses HTML in an
  // inert document (DOMPurify does, before removing the handler): such reports are counted apart.
  const blockedByCsp = [];
  page.on("console", (m) => {
    if (m.type() !== "error" || /status of 4\d\d/.test(m.text())) return;
    if (/violates the following Content Security Policy directive/.test(m.text())) blockedByCsp.push(m.text());
    else errors.push("console: " + m.text());
  });
  return {
    page,
    context,
    blockedByCsp,
    /** Asserts that the page fetched nothing but this server and threw nothing. */
    checkClean() {
      assert.deepEqual(foreign, [], "requests outside the server");
      assert.deepEqual(errors, [], "page errors");
    },
    async close() {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * One browser for the calling test file: opened before its tests (node:test `before`), then
 * handed to `use`, and closed after them.
 */
export function browserForFile(use) {
  let browser;
  before(async () => {
    browser = await openBrowser();
    use(browser);
  });
  after(async () => { await browser?.close(); });
}

/** A JSON request to the server, as a client other than the page. */
export async function http(method, route, body, headers = {}) {
  const res = await fetch(BASE + route, {
    method, headers: { ...(body === undefined ? {} : { "Content-Type": "application/json" }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
  return { status: res.status, json, text, headers: res.headers };
}

/** Waits until `f()` is truthy (polling the server, say); returns its value. */
export async function until(f, what, ms = 15_000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error("timed out waiting for " + what);
    await new Promise((r) => setTimeout(r, 100));
  }
}
