// Document -> React Flow nodes and edges. A node object is reused while nothing it shows
// changed, so React Flow (and the memoized node view) skip it: dragging one node of a 60-node
// flow re-renders one node.
import type { Edge } from "@xyflow/react";
import type { FlowNodeData, FlowRfNode } from "./FlowNodeView";
import { edgesOf, type FlowDoc, type FlowNode, type Point, type Positions } from "./model";

export type Measured = Record<string, { width: number; height: number }>;

interface Cached {
  position: Point;
  problems: string[] | undefined;
  selected: boolean;
  start: boolean;
  measured: { width: number; height: number } | undefined;
  label: (o: string) => string;
  rf: FlowRfNode;
}

const cache = new WeakMap<FlowNode, Cached>();
const NONE: string[] = [];

export function rfNodes(
  doc: FlowDoc,
  positions: Positions,
  problems: Map<string, string[]>,
  selected: string | null,
  measured: Measured,
  label: (o: string) => string,
): FlowRfNode[] {
  return doc.nodes.map((node) => {
    const position = positions[node.id] ?? { x: 0, y: 0 };
    const p = problems.get(node.id);
    const isSelected = node.id === selected;
    const isStart = node.id === doc.start;
    const m = measured[node.id];
    const hit = cache.get(node);
    if (
      hit &&
      hit.position === position &&
      sameList(hit.problems, p) &&
      hit.selected === isSelected &&
      hit.start === isStart &&
      hit.measured === m &&
      hit.label === label
    ) {
      return hit.rf;
    }
    const data: FlowNodeData = { node, problems: p ?? NONE, start: isStart, label };
    const rf: FlowRfNode = {
      id: node.id,
      type: "flow",
      position,
      data,
      selected: isSelected,
      ariaLabel: `${node.type} node ${node.id}${p?.length ? `, ${p.length} problem(s)` : ""}`,
      ...(m ? { measured: m } : {}),
    };
    cache.set(node, { position, problems: p, selected: isSelected, start: isStart, measured: m, label, rf });
    return rf;
  });
}

function sameList(a: string[] | undefined, b: string[] | undefined): boolean {
  if (a === b) return true;
  if (!a || !b || a.length !== b.length) return false;
  return a.every((x, i) => x === b[i]);
}

export function rfEdges(doc: FlowDoc, selected: string | null = null): Edge[] {
  return edgesOf(doc).map((e) => ({
    selected: e.id === selected,
    id: e.id,
    source: e.source,
    target: e.target,
    sourceHandle: e.sourceHandle,
    label: e.label,
    className: `flow-edge flow-edge--${e.sourceHandle}`,
    ariaLabel: `${e.source} ${e.label} ${e.target}`,
  }));
}
