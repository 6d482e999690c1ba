// The visual flow designer: palette, canvas (@xyflow/react), side panel, text form, live
// validation, undo/redo, preview of the hosted pages and the "describe the flow" prompt box.
import {
  Background,
  Controls,
  ReactFlow,
  ReactFlowProvider,
  useReactFlow,
  type Connection,
  type Edge,
  type EdgeChange,
  type NodeChange,
} from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import { useCallback, useEffect, useMemo, useRef, useState, type DragEvent } from "react";
import { problemsOf, type Catalog, type CatalogOption, type FlowApi, type Generated } from "./api";
import "./designer.css";
import { nodeTypes, type FlowRfNode } from "./FlowNodeView";
import { rfEdges, rfNodes, type Measured } from "./graph";
import { Inspector } from "./Inspector";
import {
  COLUMN,
  NODE_KINDS,
  ROW,
  addNode,
  addOption,
  connect,
  disconnect,
  historyOf,
  keepPositions,
  layout,
  problemsByNode,
  push,
  redo,
  removeNodes,
  renameNode,
  undo,
  type FlowDoc,
  type Handle,
  type History,
  type NodeType,
  type Point,
  type Positions,
  type Problem,
} from "./model";

export const DRAG_TYPE = "application/x-identra-palette";

export type PaletteItem = { kind: "option"; option: string } | { kind: "node"; type: NodeType };

export interface DesignerState {
  doc: FlowDoc;
  /** The canonical text when the current document is valid, else null. */
  text: string | null;
  valid: boolean;
  pending: boolean;
}

interface Props {
  api: FlowApi;
  clientId: string | null;
  initial: FlowDoc;
  catalog: Catalog | null;
  onState?: (state: DesignerState) => void;
  /** Replaced from outside (e.g. a generated flow): a new object each time. */
  incoming?: FlowDoc | null;
}

type Validation =
  | { status: "pending" }
  | { status: "valid"; text: string; doc: FlowDoc }
  | { status: "invalid"; problems: Problem[]; doc: FlowDoc };

const EMPTY_PROBLEMS = new Map<string, string[]>();
const FIT = { maxZoom: 1 };
const DEBOUNCE = 300;

interface Undoable {
  hist: History<FlowDoc>;
  key: string | null; // the last coalescing key (typing in one field is one undo step)
}

export function Designer(props: Props) {
  return (
    <ReactFlowProvider>
      <DesignerInner {...props} />
    </ReactFlowProvider>
  );
}

function DesignerInner({ api, clientId, initial, catalog, onState, incoming }: Props) {
  const [state, setState] = useState<Undoable>(() => ({ hist: historyOf(initial), key: null }));
  const doc = state.hist.present;
  const [positions, setPositions] = useState<Positions>(() => layout(initial));
  const [measured, setMeasured] = useState<Measured>({});
  const [selected, setSelected] = useState<string | null>(null);
  const [validation, setValidation] = useState<Validation>({ status: "pending" });
  const [textDraft, setTextDraft] = useState<string>("");
  const [textEditing, setTextEditing] = useState<{ text: string; seq: number } | null>(null);
  const [textProblems, setTextProblems] = useState<Problem[]>([]);
  const [textChecked, setTextChecked] = useState<string | null>(null); // the last text answered
  const [announce, setAnnounce] = useState("");
  const textArea = useRef<HTMLTextAreaElement>(null);
  const flow = useReactFlow();

  const options = useMemo(() => catalog?.options ?? [], [catalog]);
  const label = useCallback(
    (o: string) => options.find((c) => c.option === o)?.label ?? o,
    [options],
  );

  // ---- edits -------------------------------------------------------------------------------
  const edit = useCallback((f: (d: FlowDoc) => FlowDoc, key: string | null = null) => {
    setState((s) => {
      const next = f(s.hist.present);
      if (next === s.hist.present) return s;
      if (key !== null && key === s.key) {
        return { hist: { ...s.hist, present: next, future: [] }, key };
      }
      return { hist: push(s.hist, next), key };
    });
  }, []);

  // Positions for nodes that have none yet (new, generated or read from text).
  const placed = useMemo(() => layout(doc, positions), [doc, positions]);

  const replaceDoc = useCallback(
    (next: FlowDoc) => {
      setPositions((p) => keepPositions(next, p));
      edit(() => next);
    },
    [edit],
  );

  const [lastIncoming, setLastIncoming] = useState<FlowDoc | null | undefined>(incoming);
  if (incoming !== lastIncoming) {
    setLastIncoming(incoming);
    if (incoming) {
      setPositions((p) => keepPositions(incoming, p));
      setState((s) => ({ hist: push(s.hist, incoming), key: null }));
    }
  }

  // A renamed node keeps its place on the canvas (positions are keyed by id).
  const rename = useCallback(
    (from: string, to: string) => {
      setPositions((p) => {
        const at = p[from];
        return at ? { ...p, [to]: at } : p;
      });
      edit((d) => renameNode(d, from, to));
      setSelected(to);
    },
    [edit],
  );

  const doUndo = useCallback(() => setState((s) => ({ hist: undo(s.hist), key: null })), []);
  const doRedo = useCallback(() => setState((s) => ({ hist: redo(s.hist), key: null })), []);

  const freeSpot = useCallback((): Point => {
    const ys = Object.values(placed);
    const maxY = ys.length ? Math.max(...ys.map((p) => p.y)) : -ROW;
    return { x: COLUMN * 1.5, y: maxY + ROW };
  }, [placed]);

  const addAt = useCallback(
    (item: PaletteItem, at: Point | null, onto: string | null) => {
      if (item.kind === "option") {
        const target = onto ? doc.nodes.find((n) => n.id === onto) : undefined;
        if (target && (target.type === "step" || target.type === "enroll")) {
          edit((d) => addOption(d, target.id, item.option));
          setAnnounce(`Added ${label(item.option)} to ${target.id}`);
          return;
        }
        const { doc: next, id } = addNode(doc, "step", item.option);
        setPositions((p) => ({ ...p, [id]: at ?? freeSpot() }));
        edit(() => next);
        setSelected(id);
        setAnnounce(`New step ${id} with ${label(item.option)}`);
        return;
      }
      const { doc: next, id } = addNode(doc, item.type);
      setPositions((p) => ({ ...p, [id]: at ?? freeSpot() }));
      edit(() => next);
      setSelected(id);
      setAnnounce(`New ${item.type} node ${id}`);
    },
    [doc, edit, freeSpot, label],
  );

  // ---- canvas events -------------------------------------------------------------------------
  const nodes = useMemo(() => {
    // The last answer's problems stay on their nodes while the next check runs (no flicker);
    // they are mapped through the document they were found in (paths may name an index).
    const v = validation.status === "invalid" ? problemsByNode(validation.doc, validation.problems) : EMPTY_PROBLEMS;
    return rfNodes(doc, placed, v, selected, measured, label);
  }, [doc, placed, validation, selected, measured, label]);
  const [selectedEdge, setSelectedEdge] = useState<string | null>(null);
  const edges = useMemo(() => rfEdges(doc, selectedEdge), [doc, selectedEdge]);
  const onEdgesChange = useCallback((changes: EdgeChange[]) => {
    for (const c of changes) {
      if (c.type !== "select") continue;
      if (c.selected) setSelectedEdge(c.id);
      else setSelectedEdge((s) => (s === c.id ? null : s));
    }
  }, []);

  const onNodesChange = useCallback((changes: NodeChange<FlowRfNode>[]) => {
    let moved: Positions | null = null;
    let sized: Measured | null = null;
    for (const c of changes) {
      if (c.type === "position" && c.position) {
        moved ??= {};
        moved[c.id] = c.position;
      } else if (c.type === "dimensions" && c.dimensions) {
        sized ??= {};
        sized[c.id] = c.dimensions;
      } else if (c.type === "select") {
        if (c.selected) setSelected(c.id);
        else setSelected((s) => (s === c.id ? null : s));
      }
    }
    if (moved) {
      const m = moved;
      setPositions((p) => ({ ...p, ...m }));
    }
    if (sized) {
      const s = sized;
      setMeasured((old) => ({ ...old, ...s }));
    }
  }, []);

  const onNodesDelete = useCallback(
    (deleted: FlowRfNode[]) => {
      edit((d) => removeNodes(d, deleted.map((n) => n.id)));
      setSelected(null);
    },
    [edit],
  );
  const onEdgesDelete = useCallback(
    (deleted: Edge[]) => {
      edit((d) => deleted.reduce((acc, e) => disconnect(acc, e.source, (e.sourceHandle ?? "next") as Handle), d));
    },
    [edit],
  );
  const onConnect = useCallback(
    (c: Connection) => {
      if (!c.source || !c.target) return;
      edit((d) => connect(d, c.source, (c.sourceHandle ?? "next") as Handle, c.target));
    },
    [edit],
  );

  const onDragOver = useCallback((e: DragEvent) => {
    if (e.dataTransfer.types.includes(DRAG_TYPE)) {
      e.preventDefault();
      e.dataTransfer.dropEffect = "copy";
    }
  }, []);
  const onDrop = useCallback(
    (e: DragEvent) => {
      const raw = e.dataTransfer.getData(DRAG_TYPE);
      if (!raw) return;
      e.preventDefault();
      let item: PaletteItem;
      try {
        item = JSON.parse(raw) as PaletteItem;
      } catch {
        return;
      }
      const element = (e.target as Element | null)?.closest?.(".react-flow__node");
      const onto = element?.getAttribute("data-id") ?? null;
      const at = flow.screenToFlowPosition({ x: e.clientX, y: e.clientY });
      addAt(item, at, onto);
    },
    [addAt, flow],
  );

  // ---- live validation of the document --------------------------------------------------------
  useEffect(() => {
    let live = true;
    const timer = window.setTimeout(() => {
      api.validate(doc).then(
        (r) => live && setValidation({ status: "valid", text: r.text, doc }),
        (e: unknown) => live && setValidation({ status: "invalid", problems: problemsOf(e), doc }),
      );
    }, DEBOUNCE);
    return () => {
      live = false;
      window.clearTimeout(timer);
    };
  }, [api, doc]);
  const current = validation.status !== "pending" && validation.doc === doc;
  const valid = current && validation.status === "valid";
  const canonical = valid && validation.status === "valid" ? validation.text : null;

  // The text form follows the document unless the administrator is typing in it.
  const [shownCanonical, setShownCanonical] = useState<string | null>(null);
  if (canonical !== null && canonical !== shownCanonical && textEditing === null) {
    setShownCanonical(canonical);
    setTextDraft(canonical);
    setTextProblems([]);
  }

  useEffect(() => {
    if (!textEditing) return;
    let live = true;
    const timer = window.setTimeout(() => {
      api.validate(textEditing.text).then(
        (r) => {
          if (!live) return;
          setTextProblems([]);
          setTextChecked(textEditing.text);
          replaceDoc(r.document);
          if (document.activeElement !== textArea.current) setTextEditing(null);
        },
        (e: unknown) => {
          if (!live) return;
          setTextChecked(textEditing.text);
          setTextProblems(problemsOf(e));
        },
      );
    }, DEBOUNCE);
    return () => {
      live = false;
      window.clearTimeout(timer);
    };
  }, [api, textEditing, replaceDoc]);

  useEffect(() => {
    onState?.({ doc, text: canonical, valid, pending: !current });
  }, [onState, doc, canonical, valid, current]);

  // ---- keyboard: undo / redo (on the whole page: focus may be on nothing after a Delete) ----
  useEffect(() => {
    const onKey = (e: globalThis.KeyboardEvent) => {
      const target = e.target as HTMLElement | null;
      if (target?.closest?.("input, textarea, select, [contenteditable]")) return;
      if (!(e.ctrlKey || e.metaKey) || e.altKey) return;
      const key = e.key.toLowerCase();
      if (key === "z" && !e.shiftKey) {
        e.preventDefault();
        doUndo();
      } else if ((key === "z" && e.shiftKey) || key === "y") {
        e.preventDefault();
        doRedo();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [doUndo, doRedo]);

  const selectedNode = selected ? (doc.nodes.find((n) => n.id === selected) ?? null) : null;
  const problems = validation.status === "invalid" ? validation.problems : [];
  const problemDoc = validation.status === "invalid" ? validation.doc : doc;

  return (
    <div className="designer">
      <div className="designer__toolbar" role="toolbar" aria-label="Designer">
        <button type="button" onClick={doUndo} disabled={state.hist.past.length === 0} aria-keyshortcuts="Control+Z">
          Undo
        </button>
        <button type="button" onClick={doRedo} disabled={state.hist.future.length === 0} aria-keyshortcuts="Control+Shift+Z">
          Redo
        </button>
        <span className="designer__status" role="status" data-testid="validation-status">
          {!current ? "Checking…" : valid ? "Valid flow" : `${problems.length} problem(s)`}
        </span>
        <span className="visually-hidden" aria-live="polite">
          {announce}
        </span>
      </div>
      <div className="designer__body">
        <Palette options={options} onAdd={(item) => addAt(item, null, selected)} selectedStep={selectedNode && (selectedNode.type === "step" || selectedNode.type === "enroll") ? selectedNode.id : null} />
        <div className="designer__canvas" onDragOver={onDragOver} onDrop={onDrop} data-testid="canvas">
          <ReactFlow<FlowRfNode>
            nodes={nodes}
            edges={edges}
            nodeTypes={nodeTypes}
            onNodesChange={onNodesChange}
            onEdgesChange={onEdgesChange}
            onNodesDelete={onNodesDelete}
            onEdgesDelete={onEdgesDelete}
            onConnect={onConnect}
            deleteKeyCode={["Delete", "Backspace"]}
            fitView
            fitViewOptions={FIT}
            minZoom={0.2}
            aria-label="Flow canvas"
          >
            <Background />
            <Controls showInteractive={false} />
          </ReactFlow>
        </div>
        <Inspector
          key={selectedNode?.id ?? "none"}
          api={api}
          doc={doc}
          node={selectedNode}
          catalog={catalog}
          clientId={clientId}
          edit={edit}
          onSelect={setSelected}
          onRename={rename}
          label={label}
          problems={selectedNode ? (problemsByNode(problemDoc, problems).get(selectedNode.id) ?? []) : []}
        />
      </div>
      {problems.length > 0 && (
        <div className="designer__problems" role="alert">
          <h2>Problems</h2>
          <ul>
            {problems.map((p, i) => (
              <li key={i}>
                {p.pointer && <code>{p.pointer}</code>} {p.detail}
              </li>
            ))}
          </ul>
        </div>
      )}
      <div className="designer__text">
        <label htmlFor="flow-text">Text form</label>
        <textarea
          id="flow-text"
          ref={textArea}
          rows={16}
          spellCheck={false}
          value={textDraft}
          aria-invalid={textProblems.length > 0}
          aria-describedby={textProblems.length ? "flow-text-problems" : undefined}
          onChange={(e) => {
            setTextDraft(e.target.value);
            setTextEditing((t) => ({ text: e.target.value, seq: (t?.seq ?? 0) + 1 }));
          }}
          onBlur={() => {
            // Leaving a valid, already checked text shows its canonical form; a text still
            // waiting for its check is released when the answer comes.
            if (textEditing && textChecked === textEditing.text && textProblems.length === 0) {
              setTextEditing(null);
              if (canonical !== null) setTextDraft(canonical);
            }
          }}
        />
        {textProblems.length > 0 && (
          <ul id="flow-text-problems" className="designer__text-problems" role="alert">
            {textProblems.map((p, i) => (
              <li key={i}>
                {p.pointer && <code>{p.pointer}</code>} {p.detail}
              </li>
            ))}
          </ul>
        )}
      </div>
    </div>
  );
}

function Palette({
  options,
  onAdd,
  selectedStep,
}: {
  options: CatalogOption[];
  onAdd: (item: PaletteItem) => void;
  selectedStep: string | null;
}) {
  const start = (item: PaletteItem) => (e: DragEvent) => {
    e.dataTransfer.setData(DRAG_TYPE, JSON.stringify(item));
    e.dataTransfer.effectAllowed = "copy";
  };
  const authenticators = options.filter((o) => o.kind !== "action");
  return (
    <aside className="palette" aria-label="Palette">
      <h2 id="palette-auth">Authenticators</h2>
      <p className="palette__hint">
        {selectedStep ? `Add puts an option into step “${selectedStep}”.` : "Drop on a step to add an “or” option, or on the canvas for a new step."}
      </p>
      <ul aria-labelledby="palette-auth">
        {authenticators.map((o) => (
          <li key={o.option} className="palette__item" draggable onDragStart={start({ kind: "option", option: o.option })} data-palette={o.option}>
            <span>{o.label}</span>
            <button type="button" onClick={() => onAdd({ kind: "option", option: o.option })} aria-label={`Add ${o.label}`}>
              Add
            </button>
          </li>
        ))}
        {authenticators.length === 0 && <li>No authenticators.</li>}
      </ul>
      <h2 id="palette-nodes">Nodes</h2>
      <ul aria-labelledby="palette-nodes">
        {NODE_KINDS.map((k) => (
          <li key={k.type} className="palette__item" draggable onDragStart={start({ kind: "node", type: k.type })} data-palette={k.type} title={k.hint}>
            <span>{k.label}</span>
            <button type="button" onClick={() => onAdd({ kind: "node", type: k.type })} aria-label={`Add ${k.label}`}>
              Add
            </button>
          </li>
        ))}
      </ul>
    </aside>
  );
}

export type { Generated };
