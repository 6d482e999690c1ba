// The flow model: the identra.flow/1 JSON document, pure edits on it, and its graph form
// (nodes with positions, edges). No React here: everything is unit tested on its own.

export const SCHEMA = "identra.flow/1";

export type NodeType =
  | "identify"
  | "step"
  | "enroll"
  | "condition"
  | "set"
  | "limit_sessions"
  | "allow"
  | "deny"
  | "lock";

export type Expr = { [key: string]: unknown };

export interface FlowNode {
  id: string;
  type: NodeType;
  next?: string;
  options?: string[];
  timeout?: number;
  skippable?: boolean;
  if?: Expr;
  then?: string;
  else?: string;
  acr?: string;
  amr?: string[];
  message?: string;
  duration?: number;
  max?: number;
  on_exceed?: "deny" | "choose";
}

export interface FlowDoc {
  schema: string;
  name: string;
  description?: string;
  start: string;
  nodes: FlowNode[];
}

export interface Point {
  x: number;
  y: number;
}

export type Positions = Record<string, Point>;

/** The outgoing links of a node: handle name -> field of the document. */
export type Handle = "next" | "then" | "else";

export const NODE_KINDS: { type: NodeType; label: string; hint: string }[] = [
  { type: "identify", label: "Identify", hint: "Ask for the username only" },
  { type: "step", label: "Step", hint: "Offer options; any one passes" },
  { type: "condition", label: "Condition", hint: "Branch on a test (then / else)" },
  { type: "enroll", label: "Enroll", hint: "Ask users without one of the options to set one up" },
  { type: "limit_sessions", label: "Limit sessions", hint: "At most N active sessions" },
  { type: "set", label: "Set", hint: "Set acr / add amr values" },
  { type: "allow", label: "Allow", hint: "Sign the user in" },
  { type: "deny", label: "Deny", hint: "Refuse with a message" },
  { type: "lock", label: "Lock", hint: "Lock the account with a message" },
];

export const INTERACTIVE: ReadonlySet<NodeType> = new Set(["identify", "step", "enroll", "deny", "lock", "limit_sessions"]);
export const TERMINAL: ReadonlySet<NodeType> = new Set(["allow", "deny", "lock"]);

export function kindLabel(type: NodeType): string {
  return NODE_KINDS.find((k) => k.type === type)?.label ?? type;
}

/** The handles a node of this type has, in display order. */
export function handlesOf(type: NodeType): Handle[] {
  if (type === "condition") return ["then", "else"];
  if (TERMINAL.has(type)) return [];
  return ["next"];
}

export function targetsOf(node: FlowNode): [Handle, string][] {
  const out: [Handle, string][] = [];
  for (const h of handlesOf(node.type)) {
    const t = node[h];
    if (typeof t === "string" && t) out.push([h, t]);
  }
  return out;
}

export function emptyDoc(name = "New flow"): FlowDoc {
  return {
    schema: SCHEMA,
    name,
    start: "login",
    nodes: [
      { id: "login", type: "step", options: ["password"], next: "done" },
      { id: "done", type: "allow" },
    ],
  };
}

// ---- edits (each returns a new document; untouched nodes keep their identity) -----------

const ID_RE = /^[a-z][a-z0-9_-]{0,63}$/;

export function validId(id: string): boolean {
  return ID_RE.test(id);
}

export function freshId(doc: FlowDoc, base: string): string {
  const stem = base.toLowerCase().replace(/[^a-z0-9_-]+/g, "-").replace(/^[^a-z]+/, "").slice(0, 50) || "node";
  const taken = new Set(doc.nodes.map((n) => n.id));
  if (!taken.has(stem)) return stem;
  for (let i = 2; ; i++) {
    const id = `${stem}-${i}`;
    if (!taken.has(id)) return id;
  }
}

function defaults(type: NodeType): Partial<FlowNode> {
  switch (type) {
    case "step":
      return { options: [] };
    case "enroll":
      return { options: ["totp"], skippable: true };
    case "condition":
      return { if: { role: { any: ["admin"] } } };
    case "set":
      return { acr: "urn:identra:acr:mfa" };
    case "limit_sessions":
      return { max: 1, on_exceed: "deny" };
    case "deny":
      return { message: "You cannot sign in here." };
    case "lock":
      return { message: "Your account is locked." };
    default:
      return {};
  }
}

function replaceNode(doc: FlowDoc, id: string, f: (n: FlowNode) => FlowNode): FlowDoc {
  let changed = false;
  const nodes = doc.nodes.map((n) => {
    if (n.id !== id) return n;
    const m = f(n);
    if (m !== n) changed = true;
    return m;
  });
  return changed ? { ...doc, nodes } : doc;
}

/** Add a node of ``type``; a step may start with one option. Returns the new document and id. */
export function addNode(
  doc: FlowDoc,
  type: NodeType,
  option?: string,
  id?: string,
): { doc: FlowDoc; id: string } {
  const newId = id && validId(id) && !doc.nodes.some((n) => n.id === id) ? id : freshId(doc, option ? option.replace(/^idp:/, "") : type.replace("_", "-"));
  const node: FlowNode = { id: newId, type, ...defaults(type) };
  if (option && (type === "step" || type === "enroll")) node.options = [option];
  const nodes = [...doc.nodes, node];
  return { doc: { ...doc, nodes, start: doc.nodes.length === 0 ? newId : doc.start }, id: newId };
}

/** Add ``option`` as one more "or" alternative of a step (or enroll) node. */
export function addOption(doc: FlowDoc, id: string, option: string): FlowDoc {
  return replaceNode(doc, id, (n) => {
    if (n.type !== "step" && n.type !== "enroll") return n;
    const options = n.options ?? [];
    if (options.includes(option)) return n;
    return { ...n, options: [...options, option] };
  });
}

export function removeOption(doc: FlowDoc, id: string, option: string): FlowDoc {
  return replaceNode(doc, id, (n) => ({ ...n, options: (n.options ?? []).filter((o) => o !== option) }));
}

export function moveOption(doc: FlowDoc, id: string, option: string, delta: -1 | 1): FlowDoc {
  return replaceNode(doc, id, (n) => {
    const options = [...(n.options ?? [])];
    const i = options.indexOf(option);
    const j = i + delta;
    if (i < 0 || j < 0 || j >= options.length) return n;
    [options[i], options[j]] = [options[j] as string, options[i] as string];
    return { ...n, options };
  });
}

/** Link ``source``'s ``handle`` (next / then / else) to ``target``. */
export function connect(doc: FlowDoc, source: string, handle: Handle, target: string): FlowDoc {
  if (source === target) return doc;
  return replaceNode(doc, source, (n) => {
    if (!handlesOf(n.type).includes(handle) || n[handle] === target) return n;
    return { ...n, [handle]: target };
  });
}

export function disconnect(doc: FlowDoc, source: string, handle: Handle): FlowDoc {
  return replaceNode(doc, source, (n) => {
    if (n[handle] === undefined) return n;
    const copy = { ...n };
    delete copy[handle];
    return copy;
  });
}

/** Remove nodes and every link to them; the start moves to the first remaining node. */
export function removeNodes(doc: FlowDoc, ids: Iterable<string>): FlowDoc {
  const gone = new Set(ids);
  if (gone.size === 0) return doc;
  const nodes = doc.nodes
    .filter((n) => !gone.has(n.id))
    .map((n) => {
      let copy: FlowNode | null = null;
      for (const h of ["next", "then", "else"] as const) {
        const t = n[h];
        if (t !== undefined && gone.has(t)) {
          copy ??= { ...n };
          delete copy[h];
        }
      }
      return copy ?? n;
    });
  const start = gone.has(doc.start) ? (nodes[0]?.id ?? doc.start) : doc.start;
  return { ...doc, nodes, start };
}

/** Rename a node, following every reference to it. */
export function renameNode(doc: FlowDoc, from: string, to: string): FlowDoc {
  if (from === to || !validId(to) || doc.nodes.some((n) => n.id === to)) return doc;
  const nodes = doc.nodes.map((n) => {
    let copy: FlowNode | null = n.id === from ? { ...n, id: to } : null;
    for (const h of ["next", "then", "else"] as const) {
      if (n[h] === from) {
        copy ??= { ...n };
        copy[h] = to;
      }
    }
    return copy ?? n;
  });
  return { ...doc, nodes, start: doc.start === from ? to : doc.start };
}

/** Replace fields of a node (``undefined`` removes a field). */
export function updateNode(doc: FlowDoc, id: string, patch: Partial<FlowNode>): FlowDoc {
  return replaceNode(doc, id, (n) => {
    const copy: FlowNode = { ...n };
    for (const [k, v] of Object.entries(patch) as [keyof FlowNode, unknown][]) {
      if (v === undefined) delete copy[k];
      else (copy as unknown as Record<string, unknown>)[k] = v;
    }
    return copy;
  });
}

export function setStart(doc: FlowDoc, id: string): FlowDoc {
  return doc.start === id || !doc.nodes.some((n) => n.id === id) ? doc : { ...doc, start: id };
}

// ---- layout --------------------------------------------------------------------------------

export const COLUMN = 250;
export const ROW = 150;

/** Layers from the start (longest path, cycles tolerated): nodes never reached go last. */
export function layers(doc: FlowDoc): string[][] {
  const byId = new Map(doc.nodes.map((n) => [n.id, n]));
  const depth = new Map<string, number>();
  const indegree = new Map<string, number>(doc.nodes.map((n) => [n.id, 0]));
  for (const n of doc.nodes) for (const [, t] of targetsOf(n)) if (indegree.has(t)) indegree.set(t, (indegree.get(t) ?? 0) + 1);
  // Kahn's walk restricted to what the start reaches; a node in a cycle is placed once reached.
  const reach = new Set<string>();
  const stack = byId.has(doc.start) ? [doc.start] : [];
  while (stack.length) {
    const id = stack.pop() as string;
    if (reach.has(id)) continue;
    reach.add(id);
    for (const [, t] of targetsOf(byId.get(id) as FlowNode)) if (byId.has(t)) stack.push(t);
  }
  const pending = new Map<string, number>();
  for (const id of reach) pending.set(id, 0);
  for (const id of reach) for (const [, t] of targetsOf(byId.get(id) as FlowNode)) if (reach.has(t)) pending.set(t, (pending.get(t) ?? 0) + 1);
  const queue: string[] = byId.has(doc.start) ? [doc.start] : [];
  depth.set(doc.start, 0);
  const done = new Set<string>();
  while (queue.length || done.size < reach.size) {
    if (!queue.length) {
      // a cycle: release the shallowest pending node
      const rest = [...reach].filter((id) => !done.has(id) && depth.has(id));
      const next = rest[0] ?? [...reach].find((id) => !done.has(id));
      if (next === undefined) break;
      if (!depth.has(next)) depth.set(next, 0);
      pending.set(next, 0);
      queue.push(next);
    }
    const id = queue.shift() as string;
    if (done.has(id)) continue;
    done.add(id);
    const d = depth.get(id) ?? 0;
    for (const [, t] of targetsOf(byId.get(id) as FlowNode)) {
      if (!reach.has(t) || done.has(t)) continue;
      depth.set(t, Math.max(depth.get(t) ?? 0, d + 1));
      const left = (pending.get(t) ?? 1) - 1;
      pending.set(t, left);
      if (left <= 0) queue.push(t);
    }
  }
  const out: string[][] = [];
  for (const n of doc.nodes) {
    if (!reach.has(n.id)) continue;
    const d = depth.get(n.id) ?? 0;
    (out[d] ??= []).push(n.id);
  }
  const unreached = doc.nodes.filter((n) => !reach.has(n.id)).map((n) => n.id);
  const result = out.filter((l) => l && l.length);
  if (unreached.length) result.push(unreached);
  return result;
}

/** Positions for nodes that have none in ``known`` (a layered layout from the start). */
export function layout(doc: FlowDoc, known: Positions = {}): Positions {
  const missing = doc.nodes.some((n) => !known[n.id]);
  if (!missing) return known;
  const out: Positions = { ...known };
  const rows = layers(doc);
  // A long flow wraps into several columns of layers, so it stays readable when fitted.
  const perColumn = rows.length > 12 ? Math.max(8, Math.ceil(Math.sqrt(rows.length * 2))) : rows.length;
  const widest = Math.max(1, ...rows.map((r) => r.length));
  rows.forEach((row, r) => {
    const band = Math.floor(r / Math.max(1, perColumn));
    const offset = band * (widest + 0.5) * COLUMN;
    row.forEach((id, c) => {
      if (!out[id]) out[id] = { x: offset + (c - (row.length - 1) / 2) * COLUMN, y: (r % Math.max(1, perColumn)) * ROW };
    });
  });
  return out;
}

// ---- graph ---------------------------------------------------------------------------------

export interface GraphEdge {
  id: string;
  source: string;
  target: string;
  sourceHandle: Handle;
  label: string;
}

export function edgeLabel(handle: Handle): string {
  return handle === "next" ? "then" : handle;
}

export function edgesOf(doc: FlowDoc): GraphEdge[] {
  const ids = new Set(doc.nodes.map((n) => n.id));
  const out: GraphEdge[] = [];
  for (const n of doc.nodes) {
    for (const [h, t] of targetsOf(n)) {
      if (!ids.has(t)) continue;
      out.push({ id: `${n.id}:${h}`, source: n.id, target: t, sourceHandle: h, label: edgeLabel(h) });
    }
  }
  return out;
}

/** A document read back (e.g. from the text form) keeps the positions of ids it still has. */
export function keepPositions(doc: FlowDoc, previous: Positions): Positions {
  const kept: Positions = {};
  for (const n of doc.nodes) {
    const p = previous[n.id];
    if (p) kept[n.id] = p;
  }
  return layout(doc, kept);
}

// ---- validation problems -> nodes ---------------------------------------------------------

export interface Problem {
  pointer: string;
  detail: string;
}

/**
 * The node a problem is about. The server's paths look like ``nodes.sms.options`` (by id),
 * ``nodes[3].id`` (by index in the document sent), ``start`` or ``""`` (the whole flow).
 */
export function problemNode(doc: FlowDoc, pointer: string): string | null {
  const byIndex = /^\/?nodes(?:\[(\d+)\]|\/(\d+))(?:[./[]|$)/.exec(pointer);
  if (byIndex) {
    const i = Number(byIndex[1] ?? byIndex[2]);
    return doc.nodes[i]?.id ?? null;
  }
  const byId = /^\/?nodes[./]([a-z][a-z0-9_-]*)/.exec(pointer);
  if (byId && doc.nodes.some((n) => n.id === byId[1])) return byId[1] as string;
  if (pointer === "start" && doc.nodes.some((n) => n.id === doc.start)) return doc.start;
  return null;
}

export function problemsByNode(doc: FlowDoc, problems: Problem[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const p of problems) {
    const id = problemNode(doc, p.pointer);
    if (!id) continue;
    const list = out.get(id) ?? [];
    list.push(p.detail);
    out.set(id, list);
  }
  return out;
}

// ---- history (undo / redo) -----------------------------------------------------------------

export interface History<T> {
  past: T[];
  present: T;
  future: T[];
}

const LIMIT = 200;

export function historyOf<T>(present: T): History<T> {
  return { past: [], present, future: [] };
}

export function push<T>(h: History<T>, next: T): History<T> {
  if (next === h.present) return h;
  const past = [...h.past, h.present];
  if (past.length > LIMIT) past.shift();
  return { past, present: next, future: [] };
}

export function undo<T>(h: History<T>): History<T> {
  const prev = h.past[h.past.length - 1];
  if (prev === undefined) return h;
  return { past: h.past.slice(0, -1), present: prev, future: [h.present, ...h.future] };
}

export function redo<T>(h: History<T>): History<T> {
  const [next, ...rest] = h.future;
  if (next === undefined) return h;
  return { past: [...h.past, h.present], present: next, future: rest };
}

// ---- summary helpers for display ------------------------------------------------------------

/** A short human reading of an expression, e.g. ``role any admin``. */
export function describeExpr(e: unknown, depth = 0): string {
  if (!e || typeof e !== "object" || depth > 8) return "?";
  const entries = Object.entries(e as Record<string, unknown>);
  if (entries.length !== 1) return "?";
  const [key, body] = entries[0] as [string, unknown];
  if ((key === "all" || key === "any") && Array.isArray(body)) {
    return body.map((b) => `(${describeExpr(b, depth + 1)})`).join(key === "all" ? " and " : " or ");
  }
  if (key === "not") return `not (${describeExpr(body, depth + 1)})`;
  if (body && typeof body === "object") {
    const parts = Object.entries(body as Record<string, unknown>).map(([op, v]) =>
      op === "name" ? String(v) : `${op} ${Array.isArray(v) ? v.join(", ") : JSON.stringify(v)}`,
    );
    return `${key.replace("_", " ")} ${parts.join(" ")}`;
  }
  return key;
}
