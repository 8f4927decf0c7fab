// Markdown for the replies: marked turns the text into HTML, DOMPurify removes anything active
// from it (scripts, event handlers, javascript: links), highlight.js colours the code blocks.
// The three are Debian's, embedded at build time; when marked or DOMPurify was not there
// (examples/agent_server/CMakeLists.txt says so), replies are shown as plain text — never as
// unsanitised HTML.

const marked = globalThis.marked;
const purify = globalThis.DOMPurify;
const hljs = globalThis.hljs;

/** Whether replies are rendered as Markdown (marked and DOMPurify present). */
export const markdown = Boolean(marked?.parse && purify?.sanitize && purify.isSupported !== false);
/** Whether code blocks are coloured. */
export const highlighting = Boolean(hljs?.highlight);

if (markdown) {
  // Links open in a new tab, without giving it this page.
  purify.addHook("afterSanitizeAttributes", (node) => {
    if (node.tagName === "A" && node.getAttribute("href")) {
      node.setAttribute("target", "_blank");
      node.setAttribute("rel", "noopener noreferrer");
    }
  });
}

const sanitize = (html) => purify.sanitize(html, { USE_PROFILES: { html: true } });

function highlight(code) {
  const text = code.textContent;
  const language = (code.className.match(/language-([\w+#.-]+)/) || [])[1];
  // Debian 12 ships 9.18: highlight(language, code, ignoreIllegals); 10.7+ has highlightElement
  // and highlight(code, {language}).
  const old = typeof hljs.highlightElement !== "function";
  let html;
  if (language && hljs.getLanguage(language))
    html = old ? hljs.highlight(language, text, true).value : hljs.highlight(text, { language, ignoreIllegals: true }).value;
  else html = hljs.highlightAuto(text).value;
  code.innerHTML = sanitize(html);
  code.classList.add("hljs");
}

/** Shows `text` in `el`: Markdown when available, else plain text. */
export function renderMarkdown(el, text) {
  if (!markdown) {
    el.textContent = text;
    el.classList.add("plain");
    return;
  }
  el.innerHTML = sanitize(marked.parse(text, { gfm: true, headerIds: false, mangle: false }));
  if (highlighting)
    for (const code of el.querySelectorAll("pre code")) {
      try { highlight(code); } catch { /* leave the block uncoloured */ }
    }
}

/** Pretty JSON for the Studio's panels. */
export const pretty = (value) => JSON.stringify(value, null, 2);
