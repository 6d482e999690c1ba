// jsdom lacks what React Flow measures with; these stand-ins let the canvas render in tests.
import type { Catalog, Checked, FlowApi, FlowRecord } from "./api";
import type { FlowDoc } from "./model";

export function installFlowMocks(): void {
  class ResizeObserverStub {
    constructor(private readonly callback: ResizeObserverCallback) {}
    observe(target: Element) {
      this.callback([{ target, contentRect: { width: 160, height: 60 } } as unknown as ResizeObserverEntry], this as unknown as ResizeObserver);
    }
    unobserve() {}
    disconnect() {}
  }
  globalThis.ResizeObserver = ResizeObserverStub as unknown as typeof ResizeObserver;
  class DOMMatrixStub {
    m22 = 1;
    constructor(transform?: string) {
      const scale = transform?.match(/scale\(([0-9.]+)\)/)?.[1];
      this.m22 = scale !== undefined ? Number(scale) : 1;
    }
  }
  (globalThis as unknown as { DOMMatrixReadOnly: unknown }).DOMMatrixReadOnly = DOMMatrixStub;
  Object.defineProperties(HTMLElement.prototype, {
    offsetHeight: { configurable: true, get: () => 60 },
    offsetWidth: { configurable: true, get: () => 160 },
  });
  (SVGElement.prototype as unknown as { getBBox: () => DOMRect }).getBBox = () => ({ x: 0, y: 0, width: 0, height: 0 }) as DOMRect;
}

export const CATALOG: Catalog = {
  options: [
    { option: "password", label: "Password", first_factor: true, kind: "authenticator" },
    { option: "magic-link", label: "Magic link", first_factor: true, kind: "authenticator" },
    { option: "totp", label: "TOTP", first_factor: false, kind: "authenticator" },
    { option: "idp:google", label: "Google", first_factor: true, kind: "idp" },
  ],
  roles: ["admin", "manager"],
  groups: ["staff"],
  user_stores: ["PRIMARY"],
  applications: [{ client_id: "app-1", name: "Billing" }],
  node_kinds: ["identify", "step", "enroll", "condition", "set", "limit_sessions", "allow", "deny", "lock"],
};

export const START: FlowDoc = {
  schema: "identra.flow/1",
  name: "Default",
  start: "login",
  nodes: [
    { id: "login", type: "step", options: ["password"], next: "done" },
    { id: "done", type: "allow" },
  ],
};

/** A tiny stand-in for the server's validation: missing links and empty steps. */
export function check(doc: FlowDoc): { pointer: string; detail: string }[] {
  const out: { pointer: string; detail: string }[] = [];
  doc.nodes.forEach((n, i) => {
    if (["step", "identify", "enroll", "set", "limit_sessions"].includes(n.type) && !n.next) {
      out.push({ pointer: `nodes[${i}]`, detail: "missing field(s): next" });
    }
    if (n.type === "step" && !(n.options ?? []).length) {
      out.push({ pointer: `nodes.${n.id}.options`, detail: "must be a list of 1 to 10 non-empty strings" });
    }
  });
  return out;
}

export function render(doc: FlowDoc): string {
  return doc.nodes.map((n) => `${n.type} ${n.id}${n.options ? ` ${n.options.join(",")}` : ""}${n.next ? ` -> ${n.next}` : ""}`).join("\n") + "\n";
}

export class Problem extends Error {}

/** A FlowApi answering from memory; ``calls`` records what was asked. */
export function memoryApi(initial: FlowDoc = START) {
  const calls: { op: string; arg: unknown }[] = [];
  let stored: FlowRecord = { client_id: null, ref: "r1", revision: 1, inherited: false, document: initial, text: render(initial) };
  const api: FlowApi = {
    async load() {
      calls.push({ op: "load", arg: null });
      return stored;
    },
    async save(clientId, doc) {
      calls.push({ op: "save", arg: { clientId, doc } });
      stored = { ...stored, client_id: clientId, ref: `r${stored.revision + 1}`, revision: stored.revision + 1, document: doc, text: render(doc) };
      return stored;
    },
    async history() {
      calls.push({ op: "history", arg: null });
      return [{ ref: stored.ref ?? "", revision: stored.revision, active: true, name: stored.document.name, created_by: "admin", created_at: null }];
    },
    async validate(body): Promise<Checked> {
      calls.push({ op: "validate", arg: body });
      const { ApiError } = await import("../api/client");
      if (typeof body === "string") throw new ApiError(422, "Unprocessable Content", "the flow is not valid", [{ pointer: "", detail: "text not supported here" }]);
      const problems = check(body);
      if (problems.length) throw new ApiError(422, "Unprocessable Content", "the flow is not valid", problems);
      return { document: body, text: render(body) };
    },
    async catalog() {
      return CATALOG;
    },
    async preview(_doc, node) {
      calls.push({ op: "preview", arg: node });
      return { node, kind: "step", html: `<!doctype html><title>Sign in</title><h1>Sign in: ${node}</h1>` };
    },
    async generate(description, _clientId, alternative) {
      calls.push({ op: "generate", arg: { description, alternative } });
      if (description.includes("?")) {
        return { status: "question", alternative, alternatives: 0, document: null, text: null, explanation: null, assumptions: [], questions: [{ text: "Which role is “boss”?", phrase: "boss", candidates: ["admin", "manager"], kind: "name" }], notes: [], diff: null };
      }
      const doc: FlowDoc = {
        schema: "identra.flow/1",
        name: "Generated",
        start: "first",
        nodes: [
          { id: "first", type: "step", options: alternative ? ["magic-link"] : ["password"], next: "done" },
          { id: "done", type: "allow" },
        ],
      };
      return { status: "flow", alternative, alternatives: 2, document: doc, text: render(doc), explanation: `Reading ${alternative}.`, assumptions: ["Users are in PRIMARY."], questions: [], notes: [], diff: null };
    },
  };
  return { api, calls, stored: () => stored };
}
