// The Flows section: pick the organization default or an application's flow, edit it in the
// designer, review the diff and save it as a new revision; history; "describe the login flow".
import { useCallback, useEffect, useMemo, useState } from "react";
import { ApiError } from "../api/client";
import { useConsole } from "../context";
import { httpFlowApi, problemsOf, type Catalog, type FlowApi, type FlowRecord, type Generated, type Revision } from "./api";
import { Designer, type DesignerState } from "./Designer";
import { changed, lineDiff, type DiffLine } from "./diff";
import type { FlowDoc } from "./model";

const DEFAULT = "";

export default function FlowsPage({ api: given }: { api?: FlowApi }) {
  const { api: client, org } = useConsole();
  const api = useMemo(() => given ?? httpFlowApi(org, client), [given, org, client]);
  const [catalog, setCatalog] = useState<Catalog | null>(null);
  const [apps, setApps] = useState<{ client_id: string; name: string }[]>([]);
  const [target, setTarget] = useState<string>(DEFAULT);
  const clientId = target === DEFAULT ? null : target;
  const [record, setRecord] = useState<FlowRecord | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [history, setHistory] = useState<Revision[]>([]);
  const [historySeq, setHistorySeq] = useState(0);
  const [state, setState] = useState<DesignerState | null>(null);
  const [review, setReview] = useState<DiffLine[] | null>(null);
  const [saveError, setSaveError] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const [incoming, setIncoming] = useState<FlowDoc | null>(null);

  useEffect(() => {
    let live = true;
    api.catalog().then(
      (c) => {
        if (!live) return;
        setCatalog(c);
        setApps(c.applications);
      },
      () => {
        // An older server without /catalog: the applications list still lets one choose.
        client.call("/api/v1/orgs/{org}/applications", "get", { path: { org }, query: { limit: 200 } }).then(
          (p) => live && setApps(p.items.map((a) => ({ client_id: a.client_id, name: a.name }))),
          () => undefined,
        );
      },
    );
    return () => {
      live = false;
    };
  }, [api, client, org]);

  useEffect(() => {
    let live = true;
    api.load(clientId).then(
      (r) => {
        if (!live) return;
        setRecord(r);
        setLoadError(null);
        setIncoming(null);
      },
      (e: unknown) => live && setLoadError(problemsOf(e).map((p) => p.detail).join("; ")),
    );
    return () => {
      live = false;
    };
  }, [api, clientId]);

  useEffect(() => {
    let live = true;
    api.history(clientId).then(
      (h) => live && setHistory(h),
      () => live && setHistory([]),
    );
    return () => {
      live = false;
    };
  }, [api, clientId, historySeq]);

  const onState = useCallback((s: DesignerState) => {
    setState(s);
    setReview(null);
    setSaved(null);
  }, []);

  const save = () => {
    if (!state?.valid) return;
    setSaving(true);
    setSaveError(null);
    api.save(clientId, state.doc).then(
      (r) => {
        setSaving(false);
        setRecord(r); // the designer keeps its state (keyed by target): undo still works
        setReview(null);
        setSaved(`Saved revision ${r.revision}.`);
        setHistorySeq((n) => n + 1);
      },
      (e: unknown) => {
        setSaving(false);
        setSaveError(problemsOf(e).map((p) => (p.pointer ? `${p.pointer}: ${p.detail}` : p.detail)).join("; "));
      },
    );
  };
  // The text the next save is compared with (the stored revision's).
  const before = record?.text ?? "";
  // An inherited flow may be saved unchanged: it becomes the application's own first revision.
  const dirty = state?.text != null && (state.text !== before || record?.inherited === true);

  return (
    <section aria-labelledby="flows-title" className="flows">
      <h1 id="flows-title">Login flows</h1>
      <div className="flows__targets">
        <div className="field">
          <label htmlFor="flow-target">Flow of</label>
          <select
            id="flow-target"
            value={target}
            onChange={(e) => {
              setTarget(e.target.value);
              setRecord(null);
              setState(null);
              setReview(null);
              setSaved(null);
            }}
          >
            <option value={DEFAULT}>Organization default</option>
            {apps.map((a) => (
              <option key={a.client_id} value={a.client_id}>
                {a.name} ({a.client_id})
              </option>
            ))}
          </select>
        </div>
        {record && (
          <p>
            {record.inherited ? "Inherited (no flow of its own yet)" : `Revision ${record.revision}`} · <code>{record.document.name}</code>
          </p>
        )}
      </div>
      {loadError && (
        <p role="alert" className="problem">
          {loadError}
        </p>
      )}
      <PromptBox api={api} clientId={clientId} onFlow={setIncoming} />
      {record && (
        <Designer
          key={target}
          api={api}
          clientId={clientId}
          initial={record.document}
          catalog={catalog}
          onState={onState}
          incoming={incoming}
        />
      )}
      <div className="flows__save">
        <button type="button" onClick={() => setReview(lineDiff(before, state?.text ?? ""))} disabled={!state?.valid || !dirty}>
          Review changes
        </button>
        {!state?.valid && state && !state.pending && <span>Fix the problems to save.</span>}
        {state?.valid && !dirty && <span>No unsaved changes.</span>}
        {saved && <span role="status">{saved}</span>}
      </div>
      {review && (
        <div className="flows__review">
          <h2 id="diff-title">Changes against the saved version</h2>
          <pre className="flows__diff" aria-labelledby="diff-title" data-testid="flow-diff">
            {review.map((l, i) => (
              <span key={i} className={`diff-${l.kind}`}>
                {l.kind === "add" ? "+ " : l.kind === "remove" ? "- " : "  "}
                {l.text}
              </span>
            ))}
          </pre>
          {!changed(review) && <p>No changes.</p>}
          <button type="button" onClick={save} disabled={saving || !state?.valid}>
            {saving ? "Saving…" : "Save as new version"}
          </button>
          {saveError && (
            <p role="alert" className="problem">
              {saveError}
            </p>
          )}
        </div>
      )}
      <h2 id="history-title">History</h2>
      <table aria-labelledby="history-title">
        <thead>
          <tr>
            <th scope="col">Revision</th>
            <th scope="col">Name</th>
            <th scope="col">By</th>
            <th scope="col">When</th>
          </tr>
        </thead>
        <tbody>
          {history.map((h) => (
            <tr key={h.ref}>
              <td>
                {h.revision}
                {h.active ? " (active)" : ""}
              </td>
              <td>{h.name ?? ""}</td>
              <td>{h.created_by ?? ""}</td>
              <td>{h.created_at ? new Date(h.created_at).toLocaleString() : ""}</td>
            </tr>
          ))}
          {history.length === 0 && (
            <tr>
              <td colSpan={4}>No saved revisions yet.</td>
            </tr>
          )}
        </tbody>
      </table>
    </section>
  );
}

function PromptBox({ api, clientId, onFlow }: { api: FlowApi; clientId: string | null; onFlow: (doc: FlowDoc) => void }) {
  const [description, setDescription] = useState("");
  const [result, setResult] = useState<Generated | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const run = (alternative: number) => {
    setBusy(true);
    setError(null);
    api.generate(description, clientId, alternative).then(
      (g) => {
        setBusy(false);
        setResult(g);
        if (g.status === "flow" && g.document) onFlow(g.document);
      },
      (e: unknown) => {
        setBusy(false);
        setError(e instanceof ApiError ? problemsOf(e).map((p) => p.detail).join("; ") : String(e));
      },
    );
  };
  return (
    <form
      className="flows__prompt"
      onSubmit={(e) => {
        e.preventDefault();
        if (description.trim()) run(0);
      }}
    >
      <div className="field">
        <label htmlFor="flow-prompt">Describe the login flow</label>
        <textarea
          id="flow-prompt"
          rows={2}
          maxLength={2000}
          value={description}
          onChange={(e) => setDescription(e.target.value)}
          placeholder="Password or magic link, then TOTP for the admin role"
        />
      </div>
      <button type="submit" disabled={busy || !description.trim()}>
        {busy ? "Generating…" : "Generate"}
      </button>
      {error && (
        <p role="alert" className="problem">
          {error}
        </p>
      )}
      {result?.status === "flow" && (
        <div className="flows__generated" role="status">
          <p>
            <strong>Generated for review (not saved).</strong> {result.explanation}
          </p>
          {result.assumptions.length > 0 && (
            <>
              <h3>Assumptions</h3>
              <ul>
                {result.assumptions.map((a, i) => (
                  <li key={i}>{a}</li>
                ))}
              </ul>
            </>
          )}
          {result.diff && (
            <details>
              <summary>Changes against the current flow</summary>
              <pre className="flows__diff">{result.diff}</pre>
            </details>
          )}
          {result.alternative + 1 < result.alternatives && (
            <button type="button" onClick={() => run(result.alternative + 1)} disabled={busy}>
              Try another reading
            </button>
          )}
        </div>
      )}
      {result?.status === "question" && (
        <div className="flows__question" role="alert">
          <p>Please make the description clearer:</p>
          <ul>
            {result.questions.map((q, i) => (
              <li key={i}>
                {q.text}
                {q.candidates.length > 0 && ` (${q.candidates.join(", ")})`}
              </li>
            ))}
          </ul>
        </div>
      )}
    </form>
  );
}
