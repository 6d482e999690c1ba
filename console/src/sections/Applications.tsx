import { useState, type FormEvent } from "react";
import type { AppCreate, AppCreated } from "../api/client";
import { Field, ProblemBanner, fieldError, invalid } from "../components";
import { useConsole } from "../context";
import { Link } from "../router";
import { ResourceList } from "./common";

export function ApplicationList() {
  return (
    <ResourceList
      path="/api/v1/orgs/{org}/applications"
      titleId="apps-title"
      title="Applications"
      create={["/console/applications/new", "Create application"]}
      search="Name or client ID starts with"
      columns={["Name", "Type", "Client ID"]}
      empty="No applications found."
      row={(app) => (
        <tr key={app.id}>
          <td>
            <Link to={`/console/applications/${app.id}`}>{app.name}</Link>
          </td>
          <td>{TEMPLATES.find((t) => t.type === app.type)?.label ?? app.type}</td>
          <td>
            <code>{app.client_id}</code>
          </td>
        </tr>
      )}
    />
  );
}

type AppType = AppCreate["type"];

export const TEMPLATES: { type: AppType; label: string; description: string }[] = [
  { type: "web", label: "Web application", description: "Server-side app with a client secret (code flow)." },
  { type: "spa", label: "Single-page application", description: "Browser app, public client with PKCE." },
  { type: "native", label: "Native application", description: "Mobile or desktop app, public client with PKCE." },
  { type: "m2m", label: "Machine to machine", description: "A service using client credentials; no users." },
];

function lines(value: string): string[] {
  return value
    .split(/[\n\s]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

export function ApplicationCreate() {
  const { api, org } = useConsole();
  const [type, setType] = useState<AppType>("web");
  const [name, setName] = useState("");
  const [redirects, setRedirects] = useState("");
  const [scopes, setScopes] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<AppCreated | null>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const check = invalid({ name: !name.trim() && "Enter a name." });
    if (check) return setError(check);
    setBusy(true);
    setError(null);
    try {
      const body: AppCreate = {
        name,
        type,
        redirect_uris: type === "m2m" ? [] : lines(redirects),
        scopes: lines(scopes),
      };
      setCreated(await api.call("/api/v1/orgs/{org}/applications", "post", { path: { org }, body }));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  if (created) return <Created app={created} />;
  return (
    <section aria-labelledby="new-app-title">
      <h1 id="new-app-title">Create application</h1>
      <form onSubmit={submit} noValidate>
        <ProblemBanner error={error} />
        <fieldset>
          <legend>Template</legend>
          {TEMPLATES.map((t) => (
            <label key={t.type} className="choice">
              <input type="radio" name="type" value={t.type} checked={type === t.type} onChange={() => setType(t.type)} />
              <span>
                <strong>{t.label}</strong> <span className="muted">{t.description}</span>
              </span>
            </label>
          ))}
          {fieldError(error, "type") && <p className="field-error">{fieldError(error, "type")}</p>}
        </fieldset>
        <Field label="Name" error={fieldError(error, "name")}>
          {(p) => <input {...p} value={name} onChange={(e) => setName(e.target.value)} required />}
        </Field>
        {type !== "m2m" && (
          <Field label="Redirect URIs" hint="One per line." error={fieldError(error, "redirect_uris")}>
            {(p) => <textarea {...p} rows={3} value={redirects} onChange={(e) => setRedirects(e.target.value)} />}
          </Field>
        )}
        <Field label="Scopes" hint="Separated by spaces; OpenID scopes are always available." error={fieldError(error, "scopes")}>
          {(p) => <input {...p} value={scopes} onChange={(e) => setScopes(e.target.value)} />}
        </Field>
        <div className="actions">
          <button type="submit" disabled={busy}>
            Create
          </button>
          <Link to="/console/applications">Cancel</Link>
        </div>
      </form>
    </section>
  );
}

/** The new application's credentials: the secret exists only in this component's state. */
function Created({ app }: { app: AppCreated }) {
  return (
    <section aria-labelledby="created-title">
      <h1 id="created-title">Application {app.name} created</h1>
      <dl className="credentials">
        <dt>Client ID</dt>
        <dd>
          <code data-testid="client-id">{app.client_id}</code>
        </dd>
        {app.client_secret && (
          <>
            <dt>Client secret</dt>
            <dd>
              <code data-testid="client-secret">{app.client_secret}</code>
              <p className="warning" role="note">
                Copy the secret now: it is shown only this once and cannot be read again.
              </p>
            </dd>
          </>
        )}
      </dl>
      <Link to="/console/applications" className="button">
        Done
      </Link>
    </section>
  );
}
