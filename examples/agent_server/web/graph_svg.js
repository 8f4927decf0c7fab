// Draws GET /assistants/{id}/graph ({nodes: [{id}], edges: [{source, target, conditional}]}) as
// SVG: a layered layout of our own — layers by longest path from __start__ over the edges that
// are not back edges of a depth-first walk, nodes centred in their layer, back edges (loops) as
// curves on the right. Conditional edges are dashed. Nodes named in `highlight` get class "next".

const SVG = "http://www.w3.org/2000/svg";
const ROW = 72;
const GAP = 24;
const HEIGHT = 30;

function el(name, attrs = {}, parent = null) {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (parent) parent.append(e);
  return e;
}

const label = (id) => (id === "__start__" ? "start" : id === "__end__" ? "end" : id);

/** Layers and back edges: {layer: Map(id -> n), back: Set("source\ntarget")}. */
function layout(nodes, edges) {
  const out = new Map(nodes.map((n) => [n.id, []]));
  for (const e of edges) if (out.has(e.source) && out.has(e.target)) out.get(e.source).push(e.target);
  const back = new Set();
  const state = new Map();  // 1: on the walk's stack, 2: done
  const visit = (id) => {
    state.set(id, 1);
    for (const t of out.get(id)) {
      if (state.get(t) === 1) back.add(id + "\n" + t);
      else if (!state.has(t)) visit(t);
    }
    state.set(id, 2);
  };
  const roots = nodes.filter((n) => n.id === "__start__").concat(nodes.filter((n) => n.id !== "__start__"));
  for (const n of roots) if (!state.has(n.id)) visit(n.id);
  // Longest path over the forward edges (a DAG now), by repeated relaxation in topological order.
  const indegree = new Map(nodes.map((n) => [n.id, 0]));
  for (const [s, ts] of out) for (const t of ts) if (!back.has(s + "\n" + t)) indegree.set(t, indegree.get(t) + 1);
  const layer = new Map(nodes.map((n) => [n.id, 0]));
  const queue = nodes.filter((n) => indegree.get(n.id) === 0).map((n) => n.id);
  while (queue.length) {
    const s = queue.shift();
    for (const t of out.get(s)) {
      if (back.has(s + "\n" + t)) continue;
      layer.set(t, Math.max(layer.get(t), layer.get(s) + 1));
      indegree.set(t, indegree.get(t) - 1);
      if (indegree.get(t) === 0) queue.push(t);
    }
  }
  // __end__ alone on the last row.
  if (layer.has("__end__")) {
    let last = 0;
    for (const [id, n] of layer) if (id !== "__end__") last = Math.max(last, n);
    layer.set("__end__", Math.max(layer.get("__end__"), last + 1));
  }
  return { layer, back };
}

/**
 * Replaces `container`'s content with the drawing of `graph`. `highlight`: node ids to mark
 * (the state's next). Each node is <g class="node" data-node="id">.
 */
export function drawGraph(container, graph, highlight = new Set()) {
  const nodes = graph?.nodes ?? [];
  const edges = graph?.edges ?? [];
  container.replaceChildren();
  if (!nodes.length) return;
  const { layer, back } = layout(nodes, edges);
  const rows = [];
  for (const n of nodes) (rows[layer.get(n.id)] ??= []).push(n);
  const width = (id) => Math.max(56, label(id).length * 8 + 24);
  const rowWidth = (row) => row.reduce((w, n) => w + width(n.id), 0) + GAP * (row.length - 1);
  const total = Math.max(...rows.filter(Boolean).map(rowWidth)) + 120;
  const pos = new Map();
  rows.forEach((row, i) => {
    if (!row) return;
    let x = (total - 120 - rowWidth(row)) / 2 + 20;
    for (const n of row) {
      pos.set(n.id, { x, y: 16 + i * ROW, w: width(n.id) });
      x += width(n.id) + GAP;
    }
  });
  const height = 16 + (rows.length - 1) * ROW + HEIGHT + 16;
  const svg = el("svg", { viewBox: `0 0 ${total} ${height}`, role: "img", "aria-label": "graph " + (graph.name ?? "") });
  svg.classList.add("graph");
  const defs = el("defs", {}, svg);
  const marker = el("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" }, defs);
  el("path", { d: "M 0 0 L 10 5 L 0 10 z", class: "arrowhead" }, marker);

  for (const e of edges) {
    const s = pos.get(e.source);
    const t = pos.get(e.target);
    if (!s || !t) continue;
    let d;
    if (back.has(e.source + "\n" + e.target) || t.y <= s.y) {
      // A loop back up: out of the source's right side, round, into the target's right side.
      const x1 = s.x + s.w, y1 = s.y + HEIGHT / 2, x2 = t.x + t.w, y2 = t.y + HEIGHT / 2;
      const bulge = Math.max(x1, x2) + 50;
      d = `M ${x1} ${y1} C ${bulge} ${y1}, ${bulge} ${y2}, ${x2 + 2} ${y2}`;
    } else {
      const x1 = s.x + s.w / 2, y1 = s.y + HEIGHT, x2 = t.x + t.w / 2, y2 = t.y - 2;
      const mid = (y1 + y2) / 2;
      d = `M ${x1} ${y1} C ${x1} ${mid}, ${x2} ${mid}, ${x2} ${y2}`;
    }
    const path = el("path", { d, "marker-end": "url(#arrow)", "data-edge": `${e.source}->${e.target}` }, svg);
    path.classList.add("edge");
    if (e.conditional) path.classList.add("conditional");
  }
  for (const n of nodes) {
    const p = pos.get(n.id);
    const g = el("g", { "data-node": n.id, transform: `translate(${p.x} ${p.y})` }, svg);
    g.classList.add("node");
    if (n.id === "__start__" || n.id === "__end__") g.classList.add("terminal");
    if (highlight.has(n.id)) g.classList.add("next");
    el("rect", { width: p.w, height: HEIGHT, rx: n.id.startsWith("__") ? HEIGHT / 2 : 6 }, g);
    const text = el("text", { x: p.w / 2, y: HEIGHT / 2 + 5, "text-anchor": "middle" }, g);
    text.textContent = label(n.id);
    const title = el("title", {}, g);
    title.textContent = n.id;
  }
  container.append(svg);
}

/** Marks `ids` (a Set) as the highlighted nodes of the drawing in `container`. */
export function highlightNodes(container, ids) {
  for (const g of container.querySelectorAll("g.node")) g.classList.toggle("next", ids.has(g.dataset.node));
}
