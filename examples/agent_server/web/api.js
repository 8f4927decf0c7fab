// The Agent Server API as the page calls it: JSON requests, SSE streams read from fetch (so that
// the API key travels as a header, which EventSource cannot send), and the key kept in
// localStorage. A 401 calls the handler given to onNeedKey (the page shows its key form).

export const store = {
  get(key) { try { return localStorage.getItem(key); } catch { return null; } },
  set(key, value) {
    try { if (value === null || value === undefined || value === "") localStorage.removeItem(key); else localStorage.setItem(key, value); }
    catch { /* storage off: the page still works, without memory */ }
  },
};

const KEY = "sg-agent-server.api-key";
export const apiKey = () => store.get(KEY) || "";
export const setApiKey = (key) => store.set(KEY, key);

let needKey = () => {};
/** f(message) runs on every 401 answer. */
export function onNeedKey(f) { needKey = f; }

/** An answer with an error status: `status`, the server's error `id` (sg.server.9xx), `message`. */
export class ApiError extends Error {
  constructor(status, id, message) {
    super(message);
    this.status = status;
    this.id = id;
  }
}

export const enc = encodeURIComponent;

function headers(json) {
  const h = {};
  if (json) h["Content-Type"] = "application/json";
  const key = apiKey();
  if (key) h["X-Api-Key"] = key;
  return h;
}

async function failure(res) {
  let body = null;
  try { body = await res.json(); } catch { /* not JSON */ }
  const id = body?.error?.id || "";
  const message = (body?.detail || body?.error?.message || res.statusText || "HTTP " + res.status) +
                  (id ? ` [${id}]` : ` (HTTP ${res.status})`);
  if (res.status === 401) needKey(message);
  return new ApiError(res.status, id, message);
}

/** A JSON request; resolves to the answer's JSON (null for 204), rejects with ApiError. */
export async function api(method, path, body) {
  const res = await fetch(path, {
    method, headers: headers(body !== undefined), body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw await failure(res);
  if (res.status === 204) return null;
  return res.json();
}

/**
 * POSTs `body` to a streaming route and calls onEvent(event, data) for each server-sent event
 * (data parsed as JSON when it is). Resolves when the stream ends; rejects with ApiError for an
 * error status, or with the fetch's AbortError when `signal` aborts.
 */
export async function stream(path, body, { signal, onEvent }) {
  const res = await fetch(path, { method: "POST", headers: headers(true), body: JSON.stringify(body), signal });
  if (!res.ok) throw await failure(res);
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  const dispatch = (block) => {
    let event = "message";
    const data = [];
    for (const line of block.split("\n")) {
      if (line.startsWith("event:")) event = line.slice(6).trim();
      else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
    }
    if (!data.length) return;
    const text = data.join("\n");
    let parsed = text;
    try { parsed = JSON.parse(text); } catch { /* plain text data */ }
    onEvent(event, parsed);
  };
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true }).replace(/\r/g, "");
    let at;
    while ((at = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, at);
      buffer = buffer.slice(at + 2);
      dispatch(block);
    }
  }
  if (buffer.trim()) dispatch(buffer);
}

/** The text of a message's content: a string, or the text blocks of a list. */
export function textOf(content) {
  if (typeof content === "string") return content;
  if (Array.isArray(content))
    return content.map((b) => (typeof b === "string" ? b : b?.type === "text" ? b.text ?? "" : "")).join("");
  return "";
}

/** The message of a run's `error` event ({error, message} as LangGraph sends it). */
export function errorText(data) {
  if (typeof data === "string") return data;
  return (data?.message || data?.error || JSON.stringify(data)) + (data?.error && data?.message ? ` [${data.error}]` : "");
}
