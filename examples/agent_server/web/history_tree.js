// A thread's checkpoint history (POST /threads/{id}/history, newest first) as a tree: each
// checkpoint under its parent_checkpoint. A checkpoint with several children is a fork; each leaf
// is the head of a branch. Rows are <button class="cp" data-checkpoint="id">.

const idOf = (s) => s?.checkpoint?.checkpoint_id ?? null;
const parentOf = (s) => s?.parent_checkpoint?.checkpoint_id ?? null;

/** {roots, byId: Map(id -> {state, parent, children}), leaves: [node] oldest first}. */
export function buildTree(history) {
  const byId = new Map();
  for (const s of history) byId.set(idOf(s), { state: s, parent: null, children: [] });
  const roots = [];
  for (const node of byId.values()) {
    const parent = byId.get(parentOf(node.state));
    if (parent) {
      node.parent = parent;
      parent.children.push(node);
    } else roots.push(node);
  }
  const older = (a, b) => String(a.state.created_at).localeCompare(String(b.state.created_at)) || idOf(a.state).localeCompare(idOf(b.state));
  for (const node of byId.values()) node.children.sort(older);
  roots.sort(older);
  const leaves = [...byId.values()].filter((n) => !n.children.length).sort(older);
  return { roots, byId, leaves };
}

/** The top-level keys whose values differ between a checkpoint and its parent. */
function changedKeys(node) {
  const now = node.state.values ?? {};
  const before = node.parent?.state.values ?? {};
  return Object.keys(now).filter((k) => JSON.stringify(now[k]) !== JSON.stringify(before[k]));
}

function row(node, { selected, head, onSelect }) {
  const s = node.state;
  const li = document.createElement("li");
  const button = document.createElement("button");
  button.type = "button";
  button.className = "cp";
  const id = idOf(s);
  button.dataset.checkpoint = id;
  if (id === selected) button.classList.add("selected");
  if (id === head) button.classList.add("head");
  if (!node.children.length) button.classList.add("leaf");
  const step = s.metadata?.step ?? "?";
  const source = s.metadata?.source ?? "";
  const next = (s.next ?? []).join(", ");
  const changed = changedKeys(node);
  const interrupted = (s.tasks ?? []).some((t) => t.interrupts?.length);
  button.textContent = `step ${step} · ${source}` + (changed.length ? ` · ${changed.join(", ")}` : "") +
                       (next ? ` → ${next}` : " · done") + (interrupted ? " · interrupted" : "");
  const small = document.createElement("small");
  small.textContent = id.slice(-8) + (id === head ? " (head)" : "");
  button.append(" ", small);
  button.addEventListener("click", () => onSelect(id));
  li.append(button);
  return li;
}

/** Renders the chain from `node` into `ol`: one child continues the list, several open branches. */
function chain(node, ol, options) {
  for (;;) {
    ol.append(row(node, options));
    if (node.children.length === 1) {
      node = node.children[0];
      continue;
    }
    if (node.children.length > 1) {
      const li = document.createElement("li");
      li.className = "fork";
      for (const child of node.children) {
        const branch = document.createElement("ol");
        branch.className = "branch";
        chain(child, branch, options);
        li.append(branch);
      }
      ol.append(li);
    }
    return;
  }
}

/**
 * Renders `tree` into `ol` (the history) and one button per branch head into `branches`
 * (<button class="branch-head" data-checkpoint>). `selected`, `head`: checkpoint ids.
 */
export function renderTree(ol, branches, tree, { selected, head, onSelect }) {
  ol.replaceChildren();
  for (const root of tree.roots) chain(root, ol, { selected, head, onSelect });
  branches.replaceChildren();
  if (tree.leaves.length < 2) return;
  const title = document.createElement("span");
  title.textContent = "Branches:";
  branches.append(title);
  tree.leaves.forEach((leaf, i) => {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "branch-head";
    const id = idOf(leaf.state);
    b.dataset.checkpoint = id;
    b.textContent = `${i + 1}: step ${leaf.state.metadata?.step ?? "?"}` + (id === head ? " (head)" : "");
    if (id === selected) b.classList.add("selected");
    b.addEventListener("click", () => onSelect(id));
    branches.append(b);
  });
}
