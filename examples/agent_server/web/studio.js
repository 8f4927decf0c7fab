// The Studio view, for any assistant: the graph drawn (the viewed state's next nodes marked, the
// running node while a run streams), a run form (its log shows each node's update and a model's
// tokens as they stream), the thread's state at any checkpoint, its
// history as a tree with its branches, edit-and-fork (POST /threads/{id}/state with the changed
// keys, checkpoint_id and as_node), run from a checkpoint, and the form that answers an interrupt
// (a run with command {resume}).
import { api, stream, enc, errorText, textOf } from "./api.js";
import { drawGraph, highlightNodes } from "./graph_svg.js";
import { buildTree, renderTree } from "./history_tree.js";
import { pretty } from "./render.js";

const $ = (id) => document.getElementById(id);

/** An input to start from: the state's keys with empty values of their types. */
function exampleInput(schema, hasMessages) {
  if (hasMessages) return { messages: [{ role: "user", content: "hello" }] };
  const out = {};
  for (const [key, s] of Object.entries(schema?.properties ?? {}))
    out[key] = s.type === "array" ? [] : s.type === "integer" || s.type === "number" ? 0 : s.type === "boolean" ? false : s.type === "object" ? {} : "";
  return out;
}

/** host: { assistant(), threadId(), setThread(id), refreshThreads(), status(text, isError) } */
export function createStudio(host) {
  const graphEl = $("graph");
  const graphs = new Map();  // assistant_id -> graph JSON
  let shownFor = null;       // the assistant the run form was filled for
  let head = null;           // the thread's current state
  let tree = null;
  let selected = null;       // the checkpoint id viewed (null: the head)
  let viewed = null;         // its state
  let running = null;        // {controller, threadId, runId}
  let shownThread = null;    // the thread the run log belongs to

  const checkpointOf = (s) => s?.checkpoint?.checkpoint_id ?? null;
  const interruptsOf = (s) => (s?.interrupts?.length ? s.interrupts : (s?.tasks ?? []).flatMap((t) => t.interrupts ?? []));

  function log(text) {
    const li = document.createElement("li");
    li.textContent = text;
    $("run-log").append(li);
  }

  function meta(entries) {
    const dl = $("state-meta");
    dl.replaceChildren();
    for (const [k, v] of entries) {
      const dt = document.createElement("dt");
      dt.textContent = k;
      const dd = document.createElement("dd");
      dd.textContent = v;
      dd.dataset.key = k;
      dl.append(dt, dd);
    }
  }

  function render(graph) {
    const isHead = !selected || selected === checkpointOf(head);
    drawGraph(graphEl, graph, new Set(viewed?.next ?? []));
    const id = checkpointOf(viewed);
    $("state-label").textContent = !id ? "(no checkpoint yet)" : isHead ? "thread head" : "checkpoint " + id.slice(-8);
    meta([["checkpoint", id ?? "—"], ["step", String(viewed?.metadata?.step ?? "—")],
          ["next", (viewed?.next ?? []).join(", ") || "—"], ["interrupts", String(interruptsOf(viewed).length)]]);
    $("state-values").value = pretty(viewed?.values ?? {});
    $("state-values").removeAttribute("aria-invalid");
    $("state-tasks").textContent = pretty(viewed?.tasks ?? []);
    $("fork").textContent = isHead ? "Update state" : "Fork from here";
    $("fork").disabled = !id || Boolean(running);
    $("run-from").disabled = !id || Boolean(running);
    $("fork-error").textContent = "";
    if (tree) renderTree($("history"), $("branches"), tree, { selected: id, head: checkpointOf(head), onSelect: select });
    else { $("history").replaceChildren(); $("branches").replaceChildren(); }
    const interrupts = head && (head.next ?? []).length ? interruptsOf(head) : [];
    $("interrupt-panel").hidden = !interrupts.length;
    $("interrupt-value").textContent = interrupts.length === 1 ? pretty(interrupts[0].value) : pretty(interrupts.map((i) => i.value));
    $("resume").disabled = Boolean(running);
    $("run-start").disabled = Boolean(running);
    $("run-stop").disabled = !running;
  }

  async function graphOf(a) {
    if (!graphs.has(a.assistant_id)) graphs.set(a.assistant_id, await api("GET", `/assistants/${enc(a.assistant_id)}/graph`));
    return graphs.get(a.assistant_id);
  }

  /** Reads the assistant's graph and the thread's state and history, and shows them. */
  async function show() {
    const a = host.assistant();
    if (!a) return;
    const graph = await graphOf(a);
    $("graph-name").textContent = a.graph_id;
    if (shownFor !== a.assistant_id) {
      shownFor = a.assistant_id;
      $("run-input").value = pretty(exampleInput(a.schema, a.hasMessages));
      const asNode = $("as-node");
      asNode.replaceChildren(new Option("(automatic)", ""));
      for (const n of graph.nodes ?? []) if (!n.id.startsWith("__")) asNode.append(new Option(n.id, n.id));
    }
    const id = host.threadId();
    if (id !== shownThread || !id) {
      if (!running) $("run-log").replaceChildren();
      shownThread = id;
      selected = null;
    }
    if (!id) {
      head = viewed = tree = selected = null;
      render(graph);
      return;
    }
    const [state, history] = await Promise.all([api("GET", `/threads/${enc(id)}/state`),
                                                api("POST", `/threads/${enc(id)}/history`, { limit: 1000 })]);
    if (host.threadId() !== id) return;
    head = state;
    tree = buildTree(history);
    if (selected && !tree.byId.has(selected)) selected = null;
    viewed = selected ? tree.byId.get(selected).state : head;
    render(graph);
  }

  function select(checkpointId) {
    selected = checkpointId === checkpointOf(head) ? null : checkpointId;
    viewed = selected ? tree.byId.get(selected).state : head;
    render(graphs.get(host.assistant().assistant_id));
  }

  /** Streams a run on the thread (created first when there is none); `errorEl` shows its failure. */
  async function run(body, errorEl) {
    if (running) return;
    const a = host.assistant();
    errorEl.textContent = "";
    $("run-log").replaceChildren();
    let failure = null;
    try {
      let id = host.threadId();
      if (!id) {
        id = (await api("POST", "/threads", { metadata: { graph_id: a.graph_id } })).thread_id;
        shownThread = id;
        host.setThread(id);
      }
      running = { controller: new AbortController(), threadId: id, runId: null };
      render(graphs.get(a.assistant_id));
      const tokens = new Map();  // message id -> {li, text}: a model's reply as it streams
      await stream(`/threads/${enc(id)}/runs/stream`, {
        assistant_id: a.assistant_id, stream_mode: ["updates", "messages-tuple"], on_disconnect: "cancel", ...body,
      }, {
        signal: running.controller.signal,
        onEvent: (event, data) => {
          if (event === "metadata") running.runId = data?.run_id ?? null;
          else if (event === "error") failure = errorText(data);
          else if (event === "messages" && Array.isArray(data)) {
            const [chunk, meta] = data;
            const piece = textOf(chunk?.content);
            if (!piece) return;
            let t = tokens.get(chunk.id);
            if (!t) {
              t = { li: document.createElement("li"), text: "", node: meta?.langgraph_node ?? "model" };
              t.li.className = "tokens";
              $("run-log").append(t.li);
              tokens.set(chunk.id, t);
              highlightNodes(graphEl, new Set([t.node]));
            }
            t.text += piece;
            t.li.textContent = `${t.node} streams: ${t.text}`;
          }
          else if (event === "updates" && data && typeof data === "object") {
            for (const node of Object.keys(data)) {
              if (node === "__interrupt__") log("interrupted: " + JSON.stringify(data[node].map((i) => i.value)));
              else {
                log(node);
                highlightNodes(graphEl, new Set([node]));
              }
            }
          }
        },
      });
    } catch (e) {
      if (e.name !== "AbortError") failure = e.message || String(e);
    }
    running = null;
    selected = null;
    try { await show(); } catch (e) { failure ??= e.message; }
    host.refreshThreads();
    if (failure) {
      errorEl.textContent = failure;
      host.status("The run failed: " + failure, true);
    } else log("done: " + ((head?.next ?? []).length ? "waiting before " + head.next.join(", ") : "the graph ended"));
  }

  function parseJson(text, what) {
    try { return { value: JSON.parse(text) }; } catch (e) { return { error: `${what} is not valid JSON: ${e.message}` }; }
  }

  $("run-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = $("run-input").value.trim();
    const parsed = text ? parseJson(text, "the input") : { value: null };
    if (parsed.error) { $("run-error").textContent = parsed.error; return; }
    run({ input: parsed.value }, $("run-error"));
  });
  $("run-stop").addEventListener("click", async () => {
    if (!running) return;
    const { threadId, runId, controller } = running;
    try { if (runId) await api("POST", `/threads/${enc(threadId)}/runs/${enc(runId)}/cancel?wait=1`); } catch { /* ended */ }
    controller.abort();
  });
  $("resume-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = $("resume-input").value;
    let value = text;
    if ($("resume-json").checked) {
      const parsed = parseJson(text, "the answer");
      if (parsed.error) { $("resume-error").textContent = parsed.error + " (untick \"as JSON\" to send it as text)"; return; }
      value = parsed.value;
    }
    run({ command: { resume: value } }, $("resume-error"));
  });
  $("state-values").addEventListener("input", () => {
    const parsed = parseJson($("state-values").value, "the values");
    const bad = parsed.error ?? (parsed.value && typeof parsed.value === "object" && !Array.isArray(parsed.value) ? null : "the values must be a JSON object");
    $("fork-error").textContent = bad ?? "";
    $("state-values").setAttribute("aria-invalid", bad ? "true" : "false");
    $("fork").disabled = Boolean(bad) || !checkpointOf(viewed) || Boolean(running);
  });
  $("fork").addEventListener("click", async () => {
    const parsed = parseJson($("state-values").value, "the values");
    if (parsed.error) { $("fork-error").textContent = parsed.error; return; }
    const base = viewed?.values ?? {};
    const changed = {};
    for (const [k, v] of Object.entries(parsed.value ?? {})) if (JSON.stringify(v) !== JSON.stringify(base[k])) changed[k] = v;
    if (!Object.keys(changed).length) { $("fork-error").textContent = "Change a value first: only the changed keys are written."; return; }
    const body = { values: changed, checkpoint_id: checkpointOf(viewed) };
    if ($("as-node").value) body.as_node = $("as-node").value;
    try {
      const answer = await api("POST", `/threads/${enc(host.threadId())}/state`, body);
      await show();
      const made = answer?.checkpoint?.checkpoint_id;
      if (made && tree?.byId.has(made)) select(made);
      host.status(`New checkpoint ${made ?? ""} with ${Object.keys(changed).join(", ")} changed.`);
    } catch (e) {
      $("fork-error").textContent = e.message;
    }
  });
  $("run-from").addEventListener("click", () => {
    const id = checkpointOf(viewed);
    if (id) run({ input: null, checkpoint_id: id }, $("fork-error"));
  });

  return { show, busy: () => Boolean(running) };
}
