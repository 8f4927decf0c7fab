// The page's frame: the API key form, the assistant picker (default: the first assistant whose
// state has "messages"), the thread list, the Chat/Studio tabs and the status line. The choices
// are kept in localStorage.
import { api, store, enc, apiKey, setApiKey, onNeedKey, textOf } from "./api.js";
import { createChat } from "./chat.js";
import { createStudio } from "./studio.js";

const $ = (id) => document.getElementById(id);
let assistants = [];  // {assistant_id, graph_id, schema, hasMessages}
let assistant = null;
let threadId = null;
let view = store.get("sg-agent-server.view") === "studio" ? "studio" : "chat";

function status(text, isError = false) {
  $("status").textContent = text;
  $("status").classList.toggle("error", isError);
}

const threadKey = () => "sg-agent-server.thread." + (assistant?.graph_id ?? "");

const host = {
  assistant: () => assistant,
  threadId: () => threadId,
  setThread(id) {
    threadId = id;
    store.set(threadKey(), id);
    refreshThreads();
  },
  refreshThreads: () => refreshThreads(),
  status,
};
const chat = createChat(host);
const studio = createStudio(host);

function threadLabel(t) {
  const messages = t.values?.messages;
  if (Array.isArray(messages)) {
    const first = messages.find((m) => m.type === "human");
    if (first) return textOf(first.content).slice(0, 60);
  }
  const values = t.values && typeof t.values === "object" ? Object.values(t.values).find((v) => typeof v === "string" && v) : null;
  return values ? String(values).slice(0, 60) : "(empty)";
}

async function refreshThreads() {
  if (!assistant) return;
  const ul = $("threads");
  let list;
  try {
    list = await api("POST", "/threads/search", { metadata: { graph_id: assistant.graph_id }, limit: 50 });
  } catch (e) {
    status(e.message, true);
    return;
  }
  ul.replaceChildren();
  for (const t of list) {
    const li = document.createElement("li");
    li.dataset.thread = t.thread_id;
    li.tabIndex = 0;
    li.setAttribute("role", "button");
    if (t.thread_id === threadId) li.classList.add("current");
    const title = document.createElement("span");
    title.textContent = threadLabel(t);
    const small = document.createElement("small");
    small.textContent = `${t.status} · ${t.thread_id.slice(0, 8)}`;
    li.append(title, small);
    const open = () => { host.setThread(t.thread_id); showView(); };
    li.addEventListener("click", open);
    li.addEventListener("keydown", (e) => { if (e.key === "Enter") open(); });
    ul.append(li);
  }
}

async function showView() {
  $("tab-chat").setAttribute("aria-selected", String(view === "chat"));
  $("tab-studio").setAttribute("aria-selected", String(view === "studio"));
  $("chat-view").hidden = view !== "chat";
  $("studio-view").hidden = view !== "studio";
  for (const li of $("threads").children) li.classList.toggle("current", li.dataset.thread === threadId);
  try {
    await (view === "chat" ? chat.show() : studio.show());
  } catch (e) {
    status(e.message, true);
  }
}

async function selectAssistant(graphId) {
  assistant = assistants.find((a) => a.graph_id === graphId) ?? assistants[0] ?? null;
  if (!assistant) return;
  $("assistant").value = assistant.graph_id;
  store.set("sg-agent-server.assistant", assistant.graph_id);
  threadId = store.get(threadKey());
  if (threadId) {
    try { await api("GET", `/threads/${enc(threadId)}`); } catch (e) { if (e.status === 404) threadId = null; }
  }
  await refreshThreads();
  await showView();
}

async function start() {
  status("");
  let found;
  try {
    found = await api("POST", "/assistants/search", { limit: 100 });
    assistants = await Promise.all(found.map(async (a) => {
      const schemas = await api("GET", `/assistants/${enc(a.assistant_id)}/schemas`);
      const schema = schemas?.state_schema ?? null;
      return { assistant_id: a.assistant_id, graph_id: a.graph_id, schema, hasMessages: Boolean(schema?.properties?.messages) };
    }));
  } catch (e) {
    if (e.status !== 401) status("Cannot read the assistants: " + e.message, true);
    return;
  }
  const select = $("assistant");
  select.replaceChildren(...assistants.map((a) => new Option(a.graph_id + (a.hasMessages ? " (chat)" : ""), a.graph_id)));
  const kept = store.get("sg-agent-server.assistant");
  const preferred = assistants.find((a) => a.graph_id === kept) ?? assistants.find((a) => a.hasMessages) ?? assistants[0];
  await selectAssistant(preferred?.graph_id);
}

// The key: asked for on the first 401, kept in localStorage.
onNeedKey((message) => {
  $("key-panel").hidden = false;
  $("key-message").textContent = apiKey() ? `The server refused the key: ${message}` : "This server needs an API key (sg-agent-server --api-key).";
  $("api-key").focus();
});
$("key-button").addEventListener("click", () => {
  $("key-panel").hidden = !$("key-panel").hidden;
  $("key-message").textContent = "The key is sent as X-Api-Key and kept in this browser (localStorage).";
});
$("key-panel").addEventListener("submit", (event) => {
  event.preventDefault();
  setApiKey($("api-key").value.trim());
  $("api-key").value = "";
  $("key-panel").hidden = true;
  start();
});
$("key-forget").addEventListener("click", () => { setApiKey(null); $("key-panel").hidden = true; start(); });

$("assistant").addEventListener("change", () => selectAssistant($("assistant").value));
$("new-thread").addEventListener("click", () => {
  threadId = null;
  store.set(threadKey(), null);
  showView();
});
for (const [tab, name] of [["tab-chat", "chat"], ["tab-studio", "studio"]])
  $(tab).addEventListener("click", () => {
    view = name;
    store.set("sg-agent-server.view", name);
    showView();
  });

start();
