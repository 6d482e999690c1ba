import { useEffect, useRef, useState, type FormEvent } from "react";
import type { AuditEventOut } from "../api/client";
import { Field, PagedTable, fieldError, invalid, usePaged, when } from "../components";
import { useConsole } from "../context";
import { PAGE } from "./common";

interface Filters {
  action: string;
  actor_id: string;
  target_id: string;
  outcome: string;
  since: string;
  until: string;
}
const NONE: Filters = { action: "", actor_id: "", target_id: "", outcome: "", since: "", until: "" };

/** A datetime-local value (the browser's time zone) as an RFC 3339 instant. */
function instant(local: string): string | null {
  if (!local) return null;
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

/** The audit log: read-only, newest first, filtered by action, actor, target, outcome and time. */
export function AuditLog() {
  const { api, org } = useConsole();
  const [draft, setDraft] = useState<Filters>(NONE);
  const [filters, setFilters] = useState<Filters>(NONE);
  const [formError, setFormError] = useState<unknown>(null);
  const [selected, setSelected] = useState<AuditEventOut | null>(null);
  const paged = usePaged(
    (cursor) =>
      api.call("/api/v1/orgs/{org}/audit-events", "get", {
        path: { org },
        query: {
          limit: PAGE,
          cursor,
          action: filters.action || null,
          actor_id: filters.actor_id || null,
          target_id: filters.target_id || null,
          outcome: filters.outcome || null,
          since: instant(filters.since),
          until: instant(filters.until),
        },
      }),
    `${org}|${JSON.stringify(filters)}`,
  );
  const apply = (e: FormEvent) => {
    e.preventDefault();
    const since = instant(draft.since);
    const until = instant(draft.until);
    const problem = invalid({
      since: draft.since !== "" && !since && "Enter a date and time.",
      until: draft.until !== "" && !until ? "Enter a date and time." : since && until && until <= since && "Must be after “from”.",
    });
    setFormError(problem);
    if (!problem) {
      setSelected(null);
      setFilters({ ...draft, action: draft.action.trim(), actor_id: draft.actor_id.trim(), target_id: draft.target_id.trim() });
    }
  };
  const set = (k: keyof Filters) => (v: string) => setDraft({ ...draft, [k]: v });
  return (
    <section aria-labelledby="audit-title">
      <h1 id="audit-title">Audit log</h1>
      <form role="search" aria-label="Filter the audit log" onSubmit={apply} noValidate className="filters">
        <Field label="Action" hint="Exact name, e.g. user.create">
          {(p) => <input {...p} value={draft.action} onChange={(e) => set("action")(e.target.value)} />}
        </Field>
        <Field label="Actor ID">
          {(p) => <input {...p} value={draft.actor_id} onChange={(e) => set("actor_id")(e.target.value)} />}
        </Field>
        <Field label="Target ID">
          {(p) => <input {...p} value={draft.target_id} onChange={(e) => set("target_id")(e.target.value)} />}
        </Field>
        <Field label="Outcome">
          {(p) => (
            <select {...p} value={draft.outcome} onChange={(e) => set("outcome")(e.target.value)}>
              <option value="">Any</option>
              <option value="success">Success</option>
              <option value="failure">Failure</option>
            </select>
          )}
        </Field>
        <Field label="From" error={fieldError(formError, "since")}>
          {(p) => <input {...p} type="datetime-local" value={draft.since} onChange={(e) => set("since")(e.target.value)} />}
        </Field>
        <Field label="Until" error={fieldError(formError, "until")}>
          {(p) => <input {...p} type="datetime-local" value={draft.until} onChange={(e) => set("until")(e.target.value)} />}
        </Field>
        <div className="actions">
          <button type="submit">Filter</button>
          <button
            type="button"
            className="secondary"
            onClick={() => {
              setDraft(NONE);
              setFilters(NONE);
              setFormError(null);
            }}
          >
            Clear
          </button>
        </div>
      </form>
      <PagedTable
        label="Audit events"
        wide
        paged={paged}
        columns={["Time", "Action", "Outcome", "Actor", "Target", ""]}
        empty="No events match."
        row={(ev) => (
          <tr key={ev.id}>
            <td>{when(ev.at)}</td>
            <td>
              <code>{ev.action}</code>
            </td>
            <td>{ev.outcome}</td>
            <td>
              {ev.actor_type} <Short id={ev.actor_id} />
            </td>
            <td>
              {ev.target_type ?? ""} <Short id={ev.target_id} />
            </td>
            <td>
              <button
                type="button"
                className="secondary small"
                aria-expanded={selected?.id === ev.id}
                aria-controls="audit-detail"
                aria-label={`Details of event ${ev.seq}`}
                onClick={() => setSelected(selected?.id === ev.id ? null : ev)}
              >
                Details
              </button>
            </td>
          </tr>
        )}
      />
      <div id="audit-detail">{selected && <EventDetail event={selected} onClose={() => setSelected(null)} />}</div>
    </section>
  );
}

/** The start of a long id (the whole id in the detail view and as a tooltip). */
function Short({ id }: { id: string | null }) {
  if (!id) return null;
  return id.length > 12 ? <code title={id}>{id.slice(0, 8)}…</code> : <code>{id}</code>;
}

function EventDetail({ event, onClose }: { event: AuditEventOut; onClose: () => void }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), [event.id]);
  return (
    <section aria-labelledby="event-title" className="detail">
      <h2 id="event-title" tabIndex={-1} ref={heading}>
        Event {event.seq}: {event.action}
      </h2>
      <dl className="props">
        <dt>Time</dt>
        <dd>{when(event.at)}</dd>
        <dt>Outcome</dt>
        <dd>{event.outcome}</dd>
        <dt>Actor</dt>
        <dd>
          {event.actor_type} {event.actor_id ?? ""}
        </dd>
        <dt>Target</dt>
        <dd>
          {event.target_type ?? "—"} {event.target_id ?? ""}
        </dd>
        <dt>IP address</dt>
        <dd>{event.ip ?? "—"}</dd>
        <dt>Request ID</dt>
        <dd>{event.request_id ?? "—"}</dd>
        <dt>Event ID</dt>
        <dd>
          <code>{event.id}</code>
        </dd>
      </dl>
      <h3>Details</h3>
      <pre className="json" tabIndex={0} aria-label="Event details (JSON)">
        {JSON.stringify(event.details, null, 2)}
      </pre>
      <button type="button" className="secondary" onClick={onClose}>
        Close details
      </button>
    </section>
  );
}
