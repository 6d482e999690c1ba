import { useState } from "react";
import type { WebhookOut } from "../api/client";
import { Field, ProblemBanner, ShownOnce, TableWrap, Toggle, fieldError, invalid, useLoad, when } from "../components";
import { useConsole } from "../context";
import { Link } from "../router";
import { CreatePage, ResourceForm, ResourceList, ResourcePage, RotateButton, SecretCreated, httpsOrLoopback, useForm, type Kind } from "./common";

export function Webhooks({ rest }: { rest: string }) {
  if (rest === "") return <WebhookList />;
  if (rest === "new") return <WebhookCreatePage />;
  return <WebhookDetail id={rest} />;
}

function WebhookList() {
  return (
    <ResourceList
      path="/api/v1/orgs/{org}/webhooks"
      titleId="webhooks-title"
      title="Webhooks"
      create={["/console/webhooks/new", "Create webhook"]}
      intro="Events (user created, login failed…) delivered to your URL, signed, with retries."
      search="URL or description starts with"
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
  );
}

function WebhookCreatePage() {
  const [created, setCreated] = useState<{ id: string; secret: string } | null>(null);
  if (created) {
    return (
      <SecretCreated
        titleId="webhook-created-title"
        title="Webhook created"
        label="Signing secret (verify webhook-signature with it)"
        value={created.secret}
        testId="webhook-secret"
        done={`/console/webhooks/${created.id}`}
      />
    );
  }
  return (
    <CreatePage titleId="new-webhook-title" title="Create webhook">
      <WebhookForm onCreated={(id, secret) => setCreated({ id, secret })} />
    </CreatePage>
  );
}

function WebhookForm({ hook, onSaved, onCreated }: { hook?: WebhookOut; onSaved?: () => void; onCreated?: (id: string, secret: string) => void }) {
  const { api, org } = useConsole();
  const [url, setUrl] = useState(hook?.url ?? "");
  const [events, setEvents] = useState((hook?.events ?? ["*"]).join(" "));
  const [description, setDescription] = useState(hook?.description ?? "");
  const [enabled, setEnabled] = useState(hook?.enabled ?? true);
  const state = useForm();
  const error = state.error;
  const submit = () => {
    const list = events.split(/[\s,]+/).filter(Boolean);
    const good = httpsOrLoopback(url.trim());
    void state.run(
      async () => {
        const body = { url: url.trim(), events: list, description, enabled };
        if (hook) {
          await api.call("/api/v1/orgs/{org}/webhooks/{webhook_id}", "patch", { path: { org, webhook_id: hook.id }, body, version: hook.version });
          state.setSaved(true);
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
    <ResourceForm label={hook ? "Webhook settings" : "New webhook"} editing={Boolean(hook)} state={state} onSubmit={submit} cancel="/console/webhooks">
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
    </ResourceForm>
  );
}

const WEBHOOK: Kind<WebhookOut> = {
  noun: "Webhook",
  titleId: "webhook-title",
  list: ["/console/webhooks", "Webhooks"],
  url: "/api/v1/orgs/{org}/webhooks/{id}",
  name: (w) => w.url,
  heading: () => "Webhook",
  what: () => "this webhook",
};

function WebhookDetail({ id }: { id: string }) {
  const { api, org } = useConsole();
  const [secret, setSecret] = useState<string | null>(null);
  const messages = useLoad(
    () => api.call("/api/v1/orgs/{org}/webhooks/{webhook_id}/messages", "get", { path: { org, webhook_id: id }, query: { limit: 20 } }),
    `${org}|${id}`,
  );
  return (
    <ResourcePage kind={WEBHOOK} id={id}>
      {(hook, reload) => (
        <>
          <WebhookForm key={hook.id} hook={hook} onSaved={reload} />
          <h2>Signing secret</h2>
          {secret && <ShownOnce label="New signing secret" value={secret} testId="webhook-secret" />}
          <RotateButton
            label="Rotate the secret"
            onRotate={async () => {
              const r = await api.call("/api/v1/orgs/{org}/webhooks/{webhook_id}/secret", "post", { path: { org, webhook_id: hook.id } });
              setSecret(r.secret);
              reload();
            }}
          />
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
        </>
      )}
    </ResourcePage>
  );
}
