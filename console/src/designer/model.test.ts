import { describe, expect, it } from "vitest";
import { lineDiff } from "./diff";
import {
  addNode,
  addOption,
  connect,
  edgesOf,
  historyOf,
  keepPositions,
  layers,
  layout,
  moveOption,
  problemNode,
  problemsByNode,
  push,
  redo,
  removeNodes,
  removeOption,
  renameNode,
  undo,
  updateNode,
  type FlowDoc,
} from "./model";
import { rfNodes } from "./graph";

const doc: FlowDoc = {
  schema: "identra.flow/1",
  name: "Admins use TOTP",
  start: "login",
  nodes: [
    { id: "login", type: "step", options: ["password", "magic-link"], next: "is-admin" },
    { id: "is-admin", type: "condition", if: { role: { any: ["admin"] } }, then: "otp", else: "done" },
    { id: "otp", type: "step", options: ["totp"], next: "done" },
    { id: "done", type: "allow" },
  ],
};

/** A chain of ``count`` nodes: steps, every tenth a condition skipping one step. */
export function bigDoc(count: number): FlowDoc {
  const nodes: FlowDoc["nodes"] = [];
  for (let i = 0; i < count - 1; i++) {
    const next = `n${i + 1}`;
    if (i % 10 === 5 && i + 2 < count - 1) {
      nodes.push({ id: `n${i}`, type: "condition", if: { role: { any: ["admin"] } }, then: next, else: `n${i + 2}` });
    } else {
      nodes.push({ id: `n${i}`, type: "step", options: ["password"], next });
    }
  }
  nodes.push({ id: `n${count - 1}`, type: "allow" });
  return { schema: "identra.flow/1", name: "big", start: "n0", nodes };
}

describe("edits", () => {
  it("adds a node with a fresh id and keeps untouched nodes", () => {
    const { doc: d, id } = addNode(doc, "step", "totp");
    expect(id).toBe("totp");
    const again = addNode(d, "step", "totp");
    expect(again.id).toBe("totp-2");
    expect(d.nodes.at(-1)).toEqual({ id: "totp", type: "step", options: ["totp"] });
    expect(d.nodes[0]).toBe(doc.nodes[0]);
  });

  it("adds, orders and removes options of a step", () => {
    let d = addOption(doc, "otp", "sms-otp");
    expect(d.nodes[2]?.options).toEqual(["totp", "sms-otp"]);
    expect(addOption(d, "otp", "sms-otp")).toBe(d); // no duplicate
    expect(addOption(d, "done", "sms-otp")).toBe(d); // not a step
    d = moveOption(d, "otp", "sms-otp", -1);
    expect(d.nodes[2]?.options).toEqual(["sms-otp", "totp"]);
    d = removeOption(d, "otp", "totp");
    expect(d.nodes[2]?.options).toEqual(["sms-otp"]);
  });

  it("connects handles and refuses links a node does not have", () => {
    const { doc: d } = addNode(doc, "deny");
    const linked = connect(d, "is-admin", "else", "deny");
    expect(linked.nodes[1]).toMatchObject({ then: "otp", else: "deny" });
    expect(connect(d, "done", "next", "deny")).toBe(d); // allow has no outgoing link
    expect(connect(d, "otp", "next", "otp")).toBe(d); // no self loop
  });

  it("removes nodes with every link to them and moves the start", () => {
    const d = removeNodes(doc, ["login", "otp"]);
    expect(d.start).toBe("is-admin");
    expect(d.nodes.map((n) => n.id)).toEqual(["is-admin", "done"]);
    expect(d.nodes[0]).not.toHaveProperty("then");
    expect(d.nodes[0]?.else).toBe("done");
  });

  it("renames a node and every reference, refusing bad or taken ids", () => {
    const d = renameNode(doc, "login", "first");
    expect(d.start).toBe("first");
    expect(d.nodes[0]?.id).toBe("first");
    expect(renameNode(doc, "login", "done")).toBe(doc);
    expect(renameNode(doc, "login", "Bad Id")).toBe(doc);
    const r = renameNode(doc, "done", "end");
    expect(r.nodes[1]).toMatchObject({ else: "end" });
    expect(r.nodes[2]).toMatchObject({ next: "end" });
  });

  it("updates and removes fields", () => {
    const d = updateNode(doc, "otp", { timeout: 60, next: undefined });
    expect(d.nodes[2]).toEqual({ id: "otp", type: "step", options: ["totp"], timeout: 60 });
  });
});

describe("graph", () => {
  it("lays out by layers from the start and keeps known positions", () => {
    expect(layers(doc)).toEqual([["login"], ["is-admin"], ["otp"], ["done"]]);
    const p = layout(doc);
    expect(p.login?.y).toBeLessThan(p["is-admin"]?.y ?? 0);
    expect(p.done?.y).toBeGreaterThan(p.otp?.y ?? 0);
    const kept = keepPositions(renameNode(doc, "otp", "second"), { ...p, otp: { x: 999, y: 999 }, login: { x: 5, y: 6 } });
    expect(kept.login).toEqual({ x: 5, y: 6 });
    expect(kept.second).toBeDefined();
    expect(kept.otp).toBeUndefined();
  });

  it("tolerates cycles and unreachable nodes", () => {
    const cyc = connect(connect(doc, "done" as string, "next", "login"), "otp", "next", "login");
    const { doc: withLoose } = addNode(cyc, "deny");
    const l = layers(withLoose);
    expect(l.flat().sort()).toEqual(withLoose.nodes.map((n) => n.id).sort());
    expect(l.at(-1)).toEqual(["deny"]);
  });

  it("makes then/else edges", () => {
    expect(edgesOf(doc).map((e) => `${e.source}-${e.label}-${e.target}`)).toEqual([
      "login-then-is-admin",
      "is-admin-then-otp",
      "is-admin-else-done",
      "otp-then-done",
    ]);
  });

  it("maps problem paths to nodes: by id, by index, start", () => {
    expect(problemNode(doc, "nodes.otp.options")).toBe("otp");
    expect(problemNode(doc, "nodes[1].if.role")).toBe("is-admin");
    expect(problemNode(doc, "nodes[2]")).toBe("otp");
    expect(problemNode(doc, "start")).toBe("login");
    expect(problemNode(doc, "name")).toBeNull();
    expect(problemNode(doc, "nodes.nothere")).toBeNull();
    const m = problemsByNode(doc, [
      { pointer: "nodes.otp", detail: "a" },
      { pointer: "nodes[2].next", detail: "b" },
    ]);
    expect(m.get("otp")).toEqual(["a", "b"]);
  });

  it("reuses node objects that did not change", () => {
    const p = layout(doc);
    const label = (o: string) => o;
    const a = rfNodes(doc, p, new Map(), null, {}, label);
    const moved = { ...p, otp: { x: 1, y: 1 } };
    const b = rfNodes(doc, moved, new Map(), null, {}, label);
    expect(b[0]).toBe(a[0]);
    expect(b[2]).not.toBe(a[2]);
    expect(b[2]?.position).toEqual({ x: 1, y: 1 });
  });
});

describe("history", () => {
  it("undoes and redoes", () => {
    let h = historyOf(1);
    h = push(h, 2);
    h = push(h, 3);
    h = undo(h);
    expect(h.present).toBe(2);
    h = undo(undo(h));
    expect(h.present).toBe(1);
    h = redo(h);
    expect(h.present).toBe(2);
    h = push(h, 9);
    expect(h.future).toEqual([]);
    expect(redo(h)).toBe(h);
  });
});

describe("line diff", () => {
  it("marks added and removed lines", () => {
    const d = lineDiff("a\nb\nc\nd\n", "a\nx\nc\nd\ne\n");
    expect(d.map((l) => `${l.kind[0]}${l.text}`)).toEqual(["sa", "rb", "ax", "sc", "sd", "ae"]);
    expect(lineDiff("", "a")).toEqual([{ kind: "add", text: "a" }]);
  });
});

describe("a 60-node flow", () => {
  it("converts to a graph and takes 100 edits quickly", () => {
    const big = bigDoc(60);
    const t0 = performance.now();
    let d = big;
    let p = layout(d);
    const label = (o: string) => o;
    let nodes = rfNodes(d, p, new Map(), null, {}, label);
    let h = historyOf(d);
    for (let i = 0; i < 100; i++) {
      const id = `n${(i * 7) % 59}`;
      switch (i % 5) {
        case 0:
          d = addOption(d, id, `opt-${i}`);
          break;
        case 1:
          d = updateNode(d, id, { timeout: 30 + i });
          break;
        case 2: {
          const r = addNode(d, "deny");
          d = r.doc;
          break;
        }
        case 3:
          d = renameNode(d, id, `${id}-r${i}`);
          break;
        default:
          p = { ...p, [d.nodes[i % d.nodes.length]?.id ?? "n0"]: { x: i, y: i } };
      }
      h = push(h, d);
      p = layout(d, p);
      nodes = rfNodes(d, p, new Map(), null, {}, label);
      edgesOf(d);
    }
    const elapsed = performance.now() - t0;
    expect(nodes.length).toBe(60 + 20);
    expect(h.past.length).toBeGreaterThan(50);
    expect(elapsed).toBeLessThan(1000);
  });
});
