import { useState, type FormEvent } from "react";
import type { WebhookOut } from "../api/client";
import {
  ConfirmDelete,
  Field,
  PagedTable,
  ProblemBanner,
  Saved,
  ShownOnce,
  TableWrap,
  Toggle,
  fieldError,
  invalid,
  useLoad,
  usePaged,
  useSubmit,
  when,
} from "../components";
import { useConsole } from "../context";
import { Link, useRouter } from "../router";
import { ListHeader, PAGE } from "./common";

export function Webhooks({ rest }: { rest: string }) {
  if (rest === "") return <WebhookList />;
  if (rest === "new") return <WebhookCreatePage />;
  return <WebhookDetail id={rest} />;
}

function WebhookList() {
  const { api, org } = useConsole();
  const paged = usePaged((cursor) => api.call("/api/v1/orgs/{org}/webhooks", "get", { path: { org }, query: { limit: PAGE, cursor } }), org);
  return (
    <section aria-labelledby="webhooks-title">
      <ListHeader id="webhooks-title" title="Webhooks" create="/console/webhooks/new" createLabel="Create webhook" />
      <p className="muted">Events (user created, login failed…) delivered to your URL, signed, with retries.</p>
      <PagedTable
        label="Webhooks"
        paged={paged}
        columns={["URL", "Events", "State"]}
        empty="No webhooks yet."
        row={(w) => (
          <tr key={w.id}>
            <td>
              <Link to={`/console/webhooks/${w.id}`}>{w.url}</Link>
            </td>
            <td>{w.events.join(", ")}</td>
            <td>{w.enabled ? "Enabled" : "Disabled"}</td>
          </tr>
        )}
      />
    </section>
  );
}

function WebhookCreatePage() {
  const [created, setCreated] = useState<{ id: string; secret: string } | null>(null);
  if (created) {
    return (
      <section aria-labelledby="webhook-created-title">
        <h1 id="webhook-created-title">Webhook created</h1>
        <ShownOnce label="Signing secret (verify webhook-signature with it)" value={created.secret} testId="webhook-secret" />
        <Link to={`/console/webhooks/${created.id}`} className="button">
          Done
        </Link>
      </section>
    );
  }
  return (
    <section aria-labelledby="new-webhook-title">
      <h1 id="new-webhook-title">Create webhook</h1>
      <WebhookForm onCreated={(id, secret) => setCreated({ id, secret })} />
    </section>
  );
}

function WebhookForm({ hook, onSaved, onCreated }: { hook?: WebhookOut; onSaved?: () => void; onCreated?: (id: string, secret: string) => void }) {
  const { api, org } = useConsole();
  const [url, setUrl] = useState(hook?.url ?? "");
  const [events, setEvents] = useState((hook?.events ?? ["*"]).join(" "));
  const [description, setDescription] = useState(hook?.description ?? "");
  const [enabled, setEnabled] = useState(hook?.enabled ?? true);
  const [saved, setSaved] = useState(false);
  const { busy, error, run } = useSubmit();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setSaved(false);
    const list = events.split(/[\s,]+/).filter(Boolean);
    let good: boolean;
    try {
      const u = new URL(url.trim());
      good = u.protocol === "https:" || (u.protocol === "http:" && ["localhost", "127.0.0.1", "[::1]"].includes(u.hostname));
    } catch {
      good = false;
    }
    void run(
      async () => {
        const body = { url: url.trim(), events: list, description, enabled };
        if (hook) {
          await api.call("/api/v1/orgs/{org}/webhooks/{webhook_id}", "patch", { path: { org, webhook_id: hook.id }, body, version: hook.version });
          setSaved(true);
          onSaved?.();
        } else {
          const created = await api.call("/api/v1/orgs/{org}/webhooks", "post", { path: { org }, body });
          onCreated?.(created.id, created.secret);
        }
      },
      invalid({
        url: !good && "An absolute https URL (http only for localhost).",
        events: (list.length === 0 || list.length > 20) && "Between 1 and 20 event types, or * for all.",
      }),
    );
  };
  return (
    <form onSubmit={submit} noValidate aria-label={hook ? "Webhook settings" : "New webhook"}>
      <ProblemBanner error={error} />
      <Field label="URL" error={fieldError(error, "url")}>
        {(p) => <input {...p} type="url" value={url} onChange={(e) => setUrl(e.target.value)} />}
      </Field>
      <Field label="Events" hint="Event types separated by spaces (user.created login.failed…), or * for all." error={fieldError(error, "events")}>
        {(p) => <input {...p} value={events} onChange={(e) => setEvents(e.target.value)} />}
      </Field>
      <Field label="Description" error={fieldError(error, "description")}>
        {(p) => <input {...p} value={description} onChange={(e) => setDescription(e.target.value)} />}
      </Field>
      <Toggle label="Enabled" checked={enabled} onChange={setEnabled} />
      <div className="actions">
        <button type="submit" disabled={busy}>
          {hook ? "Save" : "Create"}
        </button>
        {!hook && <Link to="/console/webhooks">Cancel</Link>}
      </div>
      {hook && <Saved show={saved} />}
    </form>
  );
}

function WebhookDetail({ id }: { id: string }) {
  const { api, org } = useConsole();
  const { navigate } = useRouter();
  const [secret, setSecret] = useState<string | null>(null);
  const rotate = useSubmit();
  const { data: hook, error, reload } = useLoad(
    () => api.call("/api/v1/orgs/{org}/webhooks/{webhook_id}", "get", { path: { org, webhook_id: id } }),
    `${org}|${id}`,
  );
  const messages = useLoad(
    () => api.call("/api/v1/orgs/{org}/webhooks/{webhook_id}/messages", "get", { path: { org, webhook_id: id }, query: { limit: 20 } }),
    `${org}|${id}`,
  );
  if (!hook) {
    return (
      <section aria-labelledby="webhook-title">
        <h1 id="webhook-title">Webhook</h1>
        <ProblemBanner error={error} />
        {!error && <p aria-busy="true">Loading…</p>}
      </section>
    );
  }
  return (
    <section aria-labelledby="webhook-title">
      <p>
        <Link to="/console/webhooks">← Webhooks</Link>
      </p>
      <h1 id="webhook-title">Webhook</h1>
      <WebhookForm key={hook.id} hook={hook} onSaved={reload} />
      <h2>Signing secret</h2>
      {secret && <ShownOnce label="New signing secret" value={secret} testId="webhook-secret" />}
      <ProblemBanner error={rotate.error} />
      <button
        type="button"
        className="secondary"
        disabled={rotate.busy}
        onClick={() =>
          void rotate.run(async () => {
            const r = await api.call("/api/v1/orgs/{org}/webhooks/{webhook_id}/secret", "post", { path: { org, webhook_id: hook.id } });
            setSecret(r.secret);
            reload();
          })
        }
      >
        Rotate the secret
      </button>
      <h2>Recent deliveries</h2>
      <ProblemBanner error={messages.error} />
      {messages.data && (
        <TableWrap label="Recent deliveries">
          <table>
            <thead>
              <tr>
                <th scope="col">Event</th>
                <th scope="col">Status</th>
                <th scope="col">Attempts</th>
                <th scope="col">Delivered</th>
                <th scope="col">Last error</th>
              </tr>
            </thead>
            <tbody>
              {messages.data.map((m) => (
                <tr key={m.seq}>
                  <td>{m.event_type}</td>
                  <td>{m.status}</td>
                  <td>{m.attempts}</td>
                  <td>{when(m.delivered_at)}</td>
                  <td>{m.last_error ?? ""}</td>
                </tr>
              ))}
              {messages.data.length === 0 && (
                <tr>
                  <td colSpan={5}>Nothing delivered yet.</td>
                </tr>
              )}
            </tbody>
          </table>
        </TableWrap>
      )}
      <h2>Delete</h2>
      <ConfirmDelete
        what="this webhook"
        onConfirm={async () => {
          await api.call("/api/v1/orgs/{org}/webhooks/{webhook_id}", "delete", { path: { org, webhook_id: hook.id } });
          navigate("/console/webhooks");
        }}
      />
    </section>
  );
}
