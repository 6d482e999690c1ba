// The side panel: edits the selected node (id, links, options, test, messages, limits) and
// previews its hosted page.
import { useState } from "react";
import { problemsOf, type Catalog, type FlowApi } from "./api";
import {
  handlesOf,
  kindLabel,
  moveOption,
  removeNodes,
  removeOption,
  addOption,
  setStart,
  updateNode,
  validId,
  edgeLabel,
  type Expr,
  type FlowDoc,
  type FlowNode,
} from "./model";

interface Props {
  api: FlowApi;
  doc: FlowDoc;
  node: FlowNode | null;
  catalog: Catalog | null;
  clientId: string | null;
  edit: (f: (d: FlowDoc) => FlowDoc, key?: string | null) => void;
  onSelect: (id: string | null) => void;
  onRename: (from: string, to: string) => void;
  label: (o: string) => string;
  problems: string[];
}

const PREVIEWABLE = new Set(["identify", "step", "enroll", "deny", "lock"]);

export function Inspector({ api, doc, node, catalog, clientId, edit, onSelect, onRename, label, problems }: Props) {
  if (!node) {
    return (
      <aside className="inspector" aria-label="Selected node">
        <h2>Selected node</h2>
        <p>Select a node on the canvas (Tab to it, Enter) to edit it. Delete removes it.</p>
        <p>
          Start node: <code>{doc.start}</code>
        </p>
      </aside>
    );
  }
  const id = node.id;
  const set = (patch: Partial<FlowNode>, field: string) => edit((d) => updateNode(d, id, patch), `${id}.${field}`);
  const others = doc.nodes.filter((n) => n.id !== id);
  return (
    <aside className="inspector" aria-label="Selected node">
      <h2>
        {kindLabel(node.type)} <code>{id}</code>
      </h2>
      {problems.length > 0 && (
        <ul className="inspector__problems" aria-label="Problems of this node">
          {problems.map((p, i) => (
            <li key={i}>{p}</li>
          ))}
        </ul>
      )}
      <IdField id={id} taken={doc.nodes.map((n) => n.id)} onRename={(to) => onRename(id, to)} />
      <div className="inspector__row">
        {doc.start === id ? (
          <span>This is the start node.</span>
        ) : (
          <button type="button" onClick={() => edit((d) => setStart(d, id))}>
            Make start node
          </button>
        )}
      </div>
      {handlesOf(node.type).map((h) => (
        <div className="field" key={h}>
          <label htmlFor={`insp-${h}`}>{h === "next" ? "Then go to" : h === "then" ? "If true, go to" : "Otherwise, go to"}</label>
          <select
            id={`insp-${h}`}
            value={node[h] ?? ""}
            onChange={(e) => edit((d) => updateNode(d, id, { [h]: e.target.value || undefined }))}
          >
            <option value="">— none —</option>
            {others.map((n) => (
              <option key={n.id} value={n.id}>
                {n.id} ({kindLabel(n.type)})
              </option>
            ))}
          </select>
          <span className="visually-hidden">{edgeLabel(h)}</span>
        </div>
      ))}
      {(node.type === "step" || node.type === "enroll") && (
        <fieldset>
          <legend>Options (any one passes)</legend>
          <ol className="inspector__options">
            {(node.options ?? []).map((o, i, all) => (
              <li key={o}>
                <span>{label(o)}</span>
                <button type="button" disabled={i === 0} onClick={() => edit((d) => moveOption(d, id, o, -1))} aria-label={`Move ${label(o)} up`}>
                  ↑
                </button>
                <button type="button" disabled={i === all.length - 1} onClick={() => edit((d) => moveOption(d, id, o, 1))} aria-label={`Move ${label(o)} down`}>
                  ↓
                </button>
                <button type="button" onClick={() => edit((d) => removeOption(d, id, o))} aria-label={`Remove ${label(o)}`}>
                  Remove
                </button>
              </li>
            ))}
          </ol>
          <AddOption catalog={catalog} have={node.options ?? []} onAdd={(o) => edit((d) => addOption(d, id, o))} />
        </fieldset>
      )}
      {node.type === "enroll" && (
        <div className="field field--check">
          <input id="insp-skippable" type="checkbox" checked={node.skippable ?? false} onChange={(e) => set({ skippable: e.target.checked }, "skippable")} />
          <label htmlFor="insp-skippable">Users may postpone enrollment</label>
        </div>
      )}
      {(node.type === "identify" || node.type === "step" || node.type === "enroll") && (
        <NumberField label="Timeout (seconds, optional)" id="insp-timeout" value={node.timeout} min={10} max={86400} onChange={(v) => set({ timeout: v }, "timeout")} />
      )}
      {node.type === "condition" && <ConditionEditor expr={node.if} catalog={catalog} onChange={(e, part) => edit((d) => updateNode(d, id, { if: e }), `${id}.if.${part}`)} />}
      {node.type === "limit_sessions" && (
        <>
          <NumberField label="At most this many sessions" id="insp-max" value={node.max} min={1} max={1000} onChange={(v) => set({ max: v }, "max")} />
          <div className="field">
            <label htmlFor="insp-exceed">When exceeded</label>
            <select id="insp-exceed" value={node.on_exceed ?? "deny"} onChange={(e) => set({ on_exceed: e.target.value as "deny" | "choose" }, "on_exceed")}>
              <option value="deny">Deny the sign-in</option>
              <option value="choose">Let the user end other sessions</option>
            </select>
          </div>
        </>
      )}
      {(node.type === "deny" || node.type === "lock" || node.type === "limit_sessions") && (
        <div className="field">
          <label htmlFor="insp-message">Message{node.type === "limit_sessions" ? " (optional)" : ""}</label>
          <textarea id="insp-message" rows={2} value={node.message ?? ""} onChange={(e) => set({ message: e.target.value || undefined }, "message")} />
        </div>
      )}
      {node.type === "lock" && (
        <NumberField label="Lock duration (seconds, optional)" id="insp-duration" value={node.duration} min={1} max={366 * 86400} onChange={(v) => set({ duration: v }, "duration")} />
      )}
      {(node.type === "set" || node.type === "allow") && (
        <>
          <div className="field">
            <label htmlFor="insp-acr">ACR (optional)</label>
            <input id="insp-acr" value={node.acr ?? ""} onChange={(e) => set({ acr: e.target.value || undefined }, "acr")} />
          </div>
          <div className="field">
            <label htmlFor="insp-amr">AMR values (comma separated, optional)</label>
            <input id="insp-amr" value={(node.amr ?? []).join(", ")} onChange={(e) => set({ amr: splitList(e.target.value) }, "amr")} />
          </div>
        </>
      )}
      {PREVIEWABLE.has(node.type) && <PreviewPanel api={api} doc={doc} node={id} clientId={clientId} />}
      <div className="inspector__row">
        <button
          type="button"
          className="danger"
          onClick={() => {
            edit((d) => removeNodes(d, [id]));
            onSelect(null);
          }}
        >
          Delete node
        </button>
      </div>
    </aside>
  );
}

function splitList(text: string): string[] | undefined {
  const items = text.split(",").map((s) => s.trim()).filter(Boolean);
  return items.length ? items : undefined;
}

function IdField({ id, taken, onRename }: { id: string; taken: string[]; onRename: (to: string) => void }) {
  const [value, setValue] = useState(id);
  const problem = value === id ? null : !validId(value) ? "Use a-z, 0-9, - and _, starting with a letter." : taken.includes(value) ? "Another node has this id." : null;
  const commit = () => {
    if (value !== id && !problem) onRename(value);
  };
  return (
    <div className="field">
      <label htmlFor="insp-id">Node id</label>
      <input
        id="insp-id"
        value={value}
        aria-invalid={problem !== null}
        aria-describedby={problem ? "insp-id-error" : undefined}
        onChange={(e) => setValue(e.target.value)}
        onBlur={commit}
        onKeyDown={(e) => {
          if (e.key === "Enter") commit();
        }}
      />
      {problem && (
        <span id="insp-id-error" className="field-error">
          {problem}
        </span>
      )}
    </div>
  );
}

function NumberField({ label, id, value, min, max, onChange }: { label: string; id: string; value: number | undefined; min: number; max: number; onChange: (v: number | undefined) => void }) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        type="number"
        min={min}
        max={max}
        value={value ?? ""}
        onChange={(e) => onChange(e.target.value === "" ? undefined : Number(e.target.value))}
      />
    </div>
  );
}

function AddOption({ catalog, have, onAdd }: { catalog: Catalog | null; have: string[]; onAdd: (o: string) => void }) {
  const choices = (catalog?.options ?? []).filter((o) => o.kind !== "action" && !have.includes(o.option));
  const [value, setValue] = useState("");
  if (!choices.length) return null;
  return (
    <div className="field field--inline">
      <label htmlFor="insp-add-option">Add an option</label>
      <select id="insp-add-option" value={value} onChange={(e) => setValue(e.target.value)}>
        <option value="">Choose…</option>
        {choices.map((o) => (
          <option key={o.option} value={o.option}>
            {o.label}
          </option>
        ))}
      </select>
      <button
        type="button"
        disabled={!value}
        onClick={() => {
          onAdd(value);
          setValue("");
        }}
      >
        Add option
      </button>
    </div>
  );
}

// ---- conditions --------------------------------------------------------------------------

const STRUCTURED: Record<string, { ops: string[]; source: keyof Catalog | "options" | null; label: string }> = {
  role: { ops: ["any", "all"], source: "roles", label: "Role" },
  group: { ops: ["any", "all"], source: "groups", label: "Group" },
  user_store: { ops: ["in"], source: "user_stores", label: "User store" },
  enrolled: { ops: ["any"], source: "options", label: "Enrolled authenticator" },
  amr: { ops: ["any", "all"], source: null, label: "Authentication method (amr)" },
  acr: { ops: ["in"], source: null, label: "ACR" },
  application: { ops: ["in"], source: null, label: "Application" },
};

/** A single names test ({"role": {"any": [...]}}) as [kind, op, names], or null. */
function asSimple(expr: Expr | undefined): [string, string, string[]] | null {
  if (!expr) return null;
  const entries = Object.entries(expr);
  if (entries.length !== 1) return null;
  const [kind, body] = entries[0] as [string, unknown];
  if (!(kind in STRUCTURED) || !body || typeof body !== "object") return null;
  const ops = Object.entries(body as Record<string, unknown>);
  if (ops.length !== 1) return null;
  const [op, value] = ops[0] as [string, unknown];
  if (!STRUCTURED[kind]?.ops.includes(op) || !Array.isArray(value) || !value.every((v) => typeof v === "string")) return null;
  return [kind, op, value as string[]];
}

function ConditionEditor({ expr, catalog, onChange }: { expr: Expr | undefined; catalog: Catalog | null; onChange: (e: Expr, part: string) => void }) {
  const simple = asSimple(expr);
  // Drafts while typing; otherwise the fields show the expression (which undo may change).
  const [rawDraft, setRaw] = useState<string | null>(null);
  const [rawError, setRawError] = useState<string | null>(null);
  const [namesDraft, setNames] = useState<string | null>(null);
  const raw = rawDraft ?? JSON.stringify(expr ?? {}, null, 2);
  const names = namesDraft ?? (simple ? simple[2].join(", ") : "");
  const kind = simple?.[0] ?? "";
  const op = simple?.[1] ?? "";
  const spec = STRUCTURED[kind];
  const suggestions =
    spec?.source === "options"
      ? (catalog?.options ?? []).filter((o) => o.kind === "authenticator").map((o) => o.option)
      : spec?.source
        ? ((catalog?.[spec.source] as string[] | undefined) ?? [])
        : [];
  // ``part`` names what changed: typing into one field is one undo step.
  const emit = (k: string, o: string, list: string[], part: string) => onChange({ [k]: { [o]: list } }, part);
  return (
    <fieldset>
      <legend>Condition</legend>
      <div className="field">
        <label htmlFor="cond-kind">Test</label>
        <select
          id="cond-kind"
          value={simple ? kind : "other"}
          onChange={(e) => {
            const k = e.target.value;
            const s = STRUCTURED[k];
            if (!s) return;
            const list = splitList(names) ?? [];
            emit(k, s.ops[0] as string, list.length ? list : ["admin"], "kind");
          }}
        >
          {Object.entries(STRUCTURED).map(([k, s]) => (
            <option key={k} value={k}>
              {s.label}
            </option>
          ))}
          <option value="other" disabled={!!simple}>
            Other (edit the JSON below)
          </option>
        </select>
      </div>
      {simple && spec && (
        <>
          {spec.ops.length > 1 && (
            <div className="field">
              <label htmlFor="cond-op">Match</label>
              <select id="cond-op" value={op} onChange={(e) => emit(kind, e.target.value, simple[2], "op")}>
                {spec.ops.map((o) => (
                  <option key={o} value={o}>
                    {o === "any" ? "any of" : o === "all" ? "all of" : o}
                  </option>
                ))}
              </select>
            </div>
          )}
          <div className="field">
            <label htmlFor="cond-names">Names (comma separated)</label>
            <input
              id="cond-names"
              list="cond-suggestions"
              value={names}
              onBlur={() => setNames(null)}
              onChange={(e) => {
                setNames(e.target.value);
                const list = splitList(e.target.value);
                if (list) emit(kind, op, list, "names");
              }}
            />
            <datalist id="cond-suggestions">
              {suggestions.map((s) => (
                <option key={s} value={s} />
              ))}
            </datalist>
          </div>
        </>
      )}
      <div className="field">
        <label htmlFor="cond-json">Expression (JSON: all / any / not, or a test such as network, time, risk, claim, sessions)</label>
        <textarea
          id="cond-json"
          rows={5}
          spellCheck={false}
          value={raw}
          onBlur={() => {
            if (rawError === null) setRaw(null);
          }}
          aria-invalid={rawError !== null}
          aria-describedby={rawError ? "cond-json-error" : undefined}
          onChange={(e) => {
            setRaw(e.target.value);
            try {
              const parsed: unknown = JSON.parse(e.target.value);
              if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("an expression is a JSON object");
              setRawError(null);
              onChange(parsed as Expr, "json");
            } catch (err) {
              setRawError(err instanceof Error ? err.message : "not JSON");
            }
          }}
        />
        {rawError && (
          <span id="cond-json-error" className="field-error">
            {rawError}
          </span>
        )}
      </div>
    </fieldset>
  );
}

// ---- preview ---------------------------------------------------------------------------------

function PreviewPanel({ api, doc, node, clientId }: { api: FlowApi; doc: FlowDoc; node: string; clientId: string | null }) {
  const [html, setHtml] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const run = () => {
    setBusy(true);
    setError(null);
    api.preview(doc, node, clientId).then(
      (p) => {
        setHtml(p.html);
        setBusy(false);
      },
      (e: unknown) => {
        setError(problemsOf(e).map((p) => p.detail).join("; "));
        setBusy(false);
      },
    );
  };
  return (
    <div className="preview">
      <button type="button" onClick={run} disabled={busy}>
        {busy ? "Rendering…" : "Preview"}
      </button>
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
      {html !== null && <iframe className="preview__frame" sandbox="" srcDoc={html} title={`Preview of the page for ${node}`} />}
    </div>
  );
}
