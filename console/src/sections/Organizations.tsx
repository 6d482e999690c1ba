import { useState, type FormEvent } from "react";
import type { OrgOut } from "../api/client";
import { ConfirmDelete, Field, Pager, ProblemBanner, Saved, fieldError, invalid, useLoad, usePaged, useSubmit } from "../components";
import { useConsole } from "../context";
import { CONTROL, PAGE } from "./common";

/** The current organization, the tree of organizations beneath it, and switching between them. */
export function Organizations() {
  const { api, org } = useConsole();
  const { data: current, error, reload } = useLoad(() => api.call("/api/v1/orgs/{org}", "get", { path: { org } }), org);
  const [treeVersion, setTreeVersion] = useState(0);
  return (
    <section aria-labelledby="orgs-title">
      <h1 id="orgs-title">Organizations</h1>
      <ProblemBanner error={error} />
      {current && (
        <>
          <p>
            Managing <strong>{current.name}</strong> <span className="muted">({current.handle})</span>
            {current.parent && <span className="muted"> · beneath {current.parent}</span>}
          </p>
          <OrgSettings key={current.id} current={current} onSaved={reload} />
          <h2 id="tree-title">Sub-organizations</h2>
          <div className="tree">
            <Children key={treeVersion} handle={current.handle} level={1} label="Sub-organizations" />
          </div>
          <CreateChild parent={current.handle} onCreated={() => setTreeVersion((v) => v + 1)} />
        </>
      )}
    </section>
  );
}

function OrgSettings({ current, onSaved }: { current: OrgOut; onSaved: () => void }) {
  const { api, org, orgsChanged } = useConsole();
  const [name, setName] = useState(current.name);
  const [saved, setSaved] = useState(false);
  const { busy, error, run } = useSubmit();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setSaved(false);
    void run(
      async () => {
        await api.call("/api/v1/orgs/{org}", "patch", { path: { org }, body: { name }, version: current.version });
        setSaved(true);
        onSaved();
        orgsChanged?.();
      },
      invalid({ name: !name.trim() ? "Enter a name." : CONTROL.test(name) ? "No control characters." : name.length > 200 && "At most 200 characters." }),
    );
  };
  return (
    <form onSubmit={submit} noValidate aria-label="Organization settings" className="inline-form">
      <ProblemBanner error={error} />
      <Field label="Organization name" error={fieldError(error, "name")}>
        {(p) => <input {...p} value={name} onChange={(e) => setName(e.target.value)} />}
      </Field>
      <button type="submit" disabled={busy}>
        Save
      </button>
      <Saved show={saved} />
    </form>
  );
}

/** One level of the tree: the children of `handle`, a page at a time, each expandable. */
function Children({ handle, level, label }: { handle: string; level: number; label: string }) {
  const { api } = useConsole();
  const paged = usePaged(
    (cursor) => api.call("/api/v1/orgs/{org}/children", "get", { path: { org: handle }, query: { limit: PAGE, cursor } }),
    handle,
  );
  if (paged.error) return <ProblemBanner error={paged.error} />;
  if (!paged.items) return <p aria-busy="true">Loading…</p>;
  if (paged.items.length === 0 && level === 1) return <p className="muted">No sub-organizations yet.</p>;
  return (
    <>
      <ul className="tree-level" aria-label={label}>
        {paged.items.map((o) => (
          <OrgNode key={o.id} node={o} level={level} onDeleted={paged.reload} />
        ))}
        {paged.items.length === 0 && <li className="muted">None.</li>}
      </ul>
      {(paged.hasNext || paged.hasPrevious) && (
        <Pager hasPrevious={paged.hasPrevious} hasNext={paged.hasNext} onPrevious={paged.onPrevious} onNext={paged.onNext} />
      )}
    </>
  );
}

function OrgNode({ node, level, onDeleted }: { node: OrgOut; level: number; onDeleted: () => void }) {
  const { api, switchOrg, orgsChanged } = useConsole();
  const [open, setOpen] = useState(false);
  return (
    <li>
      <div className="tree-row">
        <button type="button" className="secondary small" aria-expanded={open} aria-label={`Sub-organizations of ${node.name}`} onClick={() => setOpen(!open)}>
          {open ? "−" : "+"}
        </button>
        <span>
          {node.name} <span className="muted">({node.handle})</span>
          {node.status !== "active" && <span className="muted"> · {node.status}</span>}
        </span>
        {switchOrg && (
          <button type="button" className="secondary small" onClick={() => switchOrg(node.handle)}>
            Switch to {node.name}
          </button>
        )}
        <ConfirmDelete
          what={`the organization ${node.name} and everything in it`}
          onConfirm={async () => {
            await api.call("/api/v1/orgs/{org}", "delete", { path: { org: node.handle } });
            onDeleted();
            orgsChanged?.();
          }}
        />
      </div>
      {open && <Children handle={node.handle} level={level + 1} label={`Sub-organizations of ${node.name}`} />}
    </li>
  );
}

function CreateChild({ parent, onCreated }: { parent: string; onCreated: () => void }) {
  const { api, switchOrg, orgsChanged } = useConsole();
  const [handle, setHandle] = useState("");
  const [name, setName] = useState("");
  const [created, setCreated] = useState<OrgOut | null>(null);
  const { busy, error, run } = useSubmit();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void run(
      async () => {
        const child = await api.call("/api/v1/orgs/{org}/children", "post", { path: { org: parent }, body: { handle, name } });
        setCreated(child);
        setHandle("");
        setName("");
        onCreated();
        orgsChanged?.();
      },
      invalid({
        handle: !/^[a-z0-9][a-z0-9-]*[a-z0-9]$/.test(handle) || handle.length > 64 ? "2 to 64 lower-case letters, digits or '-' (not at the ends)." : false,
        name: !name.trim() ? "Enter a name." : CONTROL.test(name) && "No control characters.",
      }),
    );
  };
  return (
    <section aria-labelledby="new-child-title">
      <h2 id="new-child-title">Create a sub-organization</h2>
      <form onSubmit={submit} noValidate aria-label="New sub-organization">
        <ProblemBanner error={error} />
        <Field label="Handle" hint="Used in URLs, e.g. acme-eu." error={fieldError(error, "handle")}>
          {(p) => <input {...p} value={handle} onChange={(e) => setHandle(e.target.value)} />}
        </Field>
        <Field label="Name" error={fieldError(error, "name")}>
          {(p) => <input {...p} value={name} onChange={(e) => setName(e.target.value)} />}
        </Field>
        <button type="submit" disabled={busy}>
          Create sub-organization
        </button>
      </form>
      {created && (
        <p role="status">
          Created {created.name}.{" "}
          {switchOrg && (
            <button type="button" className="secondary small" onClick={() => switchOrg(created.handle)}>
              Switch to {created.name}
            </button>
          )}
        </p>
      )}
    </section>
  );
}
