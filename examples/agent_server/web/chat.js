// The chat view: the current thread's messages, a turn streamed token by token (stream_mode
// "messages-tuple") and rendered as Markdown, a stop button (cancels the run, then drops the
// stream), and the typed text put back in the box when a turn fails.
import { api, stream, enc, textOf, errorText } from "./api.js";
import { renderMarkdown } from "./render.js";

const $ = (id) => document.getElementById(id);

/**
 * host: { assistant() -> {assistant_id, graph_id, hasMessages}, threadId(), setThread(id),
 *         refreshThreads(), status(text, isError) }
 */
export function createChat(host) {
  const list = $("messages");
  const input = $("input");
  const send = $("send");
  const stop = $("stop");
  let turn = null;  // the running turn: {controller, threadId, runId, stopped}

  function bubble(type, text, extra = "") {
    const el = document.createElement("div");
    el.className = `msg ${type}${extra ? " " + extra : ""}`;
    if (type === "ai") renderMarkdown(el, text);
    else el.textContent = text;  // what a person typed, and tool results: never HTML
    list.append(el);
    list.scrollTop = list.scrollHeight;
    return el;
  }

  function note(text, cls) {
    const el = document.createElement("p");
    el.className = cls;
    el.textContent = text;
    list.append(el);
    return el;
  }

  function showMessages(messages) {
    list.replaceChildren();
    if (!messages.length) {
      const empty = note("No messages yet: say something.", "empty");
      empty.id = "empty";
      return;
    }
    for (const m of messages) {
      const type = m.type === "human" || m.role === "user" ? "human" : m.type === "tool" ? "tool" : m.type === "ai" || m.role === "assistant" ? "ai" : "other";
      const text = textOf(m.content);
      if (type === "ai" && !text && m.tool_calls?.length) {
        bubble("call", m.tool_calls.map((c) => `calls ${c.name}(${JSON.stringify(c.args)})`).join("\n"));
        continue;
      }
      if (type === "tool") bubble("tool", `${m.name || "tool"}: ${text}`);
      else bubble(type, text);
    }
  }

  function setRunning(running) {
    send.disabled = running;
    stop.hidden = !running;
    stop.disabled = !running;
  }

  /** Shows the thread's messages (none for a new thread); resolves to them. */
  async function show() {
    const a = host.assistant();
    $("thread-title").textContent = host.threadId() || "New thread";
    const note_ = $("chat-note");
    note_.hidden = !a || a.hasMessages;
    note_.textContent = a && !a.hasMessages ? `The graph "${a.graph_id}" has no "messages" in its state: open the Studio view to run it.` : "";
    input.disabled = send.disabled = Boolean(a && !a.hasMessages) || Boolean(turn);
    const id = host.threadId();
    if (!id) { showMessages([]); return []; }
    const state = await api("GET", `/threads/${enc(id)}/state`);
    if (host.threadId() !== id) return [];  // switched meanwhile
    const messages = Array.isArray(state?.values?.messages) ? state.values.messages : [];
    showMessages(messages);
    if ((state?.next ?? []).length && (state?.interrupts ?? []).length)
      note("The graph is waiting for an answer to an interrupt: answer it in the Studio view.", "turn-stopped");
    return messages;
  }

  async function sendTurn() {
    const text = input.value;
    const a = host.assistant();
    if (!text.trim() || turn || !a) return;
    $("empty")?.remove();
    const mine = bubble("human", text, "pending");
    input.value = "";
    turn = { controller: new AbortController(), threadId: host.threadId(), runId: null, stopped: false };
    setRunning(true);
    host.status("");
    let failure = null;
    const replies = new Map();  // message id -> {el, text, frame}
    try {
      if (!turn.threadId) {
        const thread = await api("POST", "/threads", { metadata: { graph_id: a.graph_id } });
        turn.threadId = thread.thread_id;
        host.setThread(thread.thread_id);
        $("thread-title").textContent = thread.thread_id;
      }
      await stream(`/threads/${enc(turn.threadId)}/runs/stream`, {
        assistant_id: a.assistant_id,
        input: { messages: [{ role: "user", content: text }] },
        stream_mode: ["messages-tuple", "values"],
        on_disconnect: "cancel",
      }, {
        signal: turn.controller.signal,
        onEvent: (event, data) => {
          if (event === "metadata") turn.runId = data?.run_id ?? null;
          else if (event === "error") failure = errorText(data);
          else if (event === "messages" && Array.isArray(data)) {
            const [chunk] = data;
            if (!chunk || !/^(AIMessageChunk|ai)$/.test(chunk.type)) return;
            const piece = textOf(chunk.content);
            if (!piece) return;
            let reply = replies.get(chunk.id);
            if (!reply && host.threadId() !== turn.threadId) return;  // another thread is shown now
            if (!reply) {
              reply = { el: bubble("ai", "", "streaming"), text: "", frame: 0 };
              replies.set(chunk.id, reply);
            }
            reply.text += piece;
            // One render per animation frame: many tokens in one frame are one DOM update.
            if (!reply.frame)
              reply.frame = requestAnimationFrame(() => {
                reply.frame = 0;
                renderMarkdown(reply.el, reply.text);
                list.scrollTop = list.scrollHeight;
              });
          }
        },
      });
    } catch (e) {
      if (e.name !== "AbortError") failure = e.message || String(e);
    }
    const stopped = turn.stopped;
    const threadId = turn.threadId;
    turn = null;
    for (const r of replies.values()) if (r.frame) cancelAnimationFrame(r.frame);
    mine.classList.remove("pending");
    let saved = [];
    try {
      if (threadId && host.threadId() === threadId) saved = await show();
    } catch (e) {
      failure ??= e.message;
    }
    const shown = host.threadId() === threadId;  // not when another thread was opened meanwhile
    // What a stopped or failed run streamed but never saved stays on screen, marked as such.
    const savedIds = new Set(saved.map((m) => m.id));
    for (const [id, r] of replies)
      if (shown && r.text && !savedIds.has(id)) bubble("ai", r.text, "unsaved").title = "not saved in the thread";
    setRunning(false);
    input.disabled = false;
    host.refreshThreads();
    if (failure) {
      if (!input.value) input.value = text;  // the text is not lost: send it again when ready
      if (shown) note("This turn failed: " + failure, "turn-error");
      host.status("The turn failed: " + failure, true);
    } else if (stopped) {
      if (shown) note("Stopped.", "turn-stopped");
      host.status("Stopped: the run was cancelled.");
    }
    input.focus();
  }

  async function stopTurn() {
    if (!turn) return;
    turn.stopped = true;
    stop.disabled = true;
    const { threadId, runId, controller } = turn;
    try {
      if (threadId && runId) await api("POST", `/threads/${enc(threadId)}/runs/${enc(runId)}/cancel?wait=1&action=interrupt`);
    } catch { /* the run may have ended meanwhile; dropping the stream cancels it too */ }
    controller.abort();
  }

  $("composer").addEventListener("submit", (event) => { event.preventDefault(); sendTurn(); });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) { event.preventDefault(); sendTurn(); }
  });
  stop.addEventListener("click", stopTurn);

  return { show, busy: () => Boolean(turn) };
}
