import { useState } from "react";
import type { AppOut, Schemas } from "../api/client";
import { Field, ShownOnce, Toggle, fieldError, invalid } from "../components";
import { useConsole } from "../context";
import { CONTROL, ResourceForm, ResourcePage, RotateButton, useForm, type Kind } from "./common";

type AppPatch = Schemas["AppPatch"];
const CONSOLE_CLIENT = "identra-console";

function words(value: string): string[] {
  return value
    .split(/[\n\s]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

function ttl(value: string): number | null | undefined {
  if (value.trim() === "") return null;
  const n = Number(value);
  return Number.isInteger(n) ? n : undefined;
}

const APPLICATION: Kind<AppOut> = {
  noun: "Application",
  titleId: "app-title",
  list: ["/console/applications", "Applications"],
  url: "/api/v1/orgs/{org}/applications/{id}",
  name: (a) => a.name,
};

/** One application: its protocol settings, a new secret (shown once), delete. */
export function ApplicationDetail({ id }: { id: string }) {
  const { api, org } = useConsole();
  const [secret, setSecret] = useState<string | null>(null);
  return (
    <ResourcePage kind={APPLICATION} id={id}>
      {(app, reload) => (
        <>
          <dl className="props">
            <dt>Client ID</dt>
            <dd>
              <code>{app.client_id}</code>
            </dd>
            <dt>Type</dt>
            <dd>{app.type}</dd>
            <dt>Grant types</dt>
            <dd>{app.grant_types.join(", ")}</dd>
            <dt>Client authentication</dt>
            <dd>{app.token_endpoint_auth_method}</dd>
          </dl>
          {app.client_id === CONSOLE_CLIENT && (
            <p className="warning" role="note">
              This is the console's own client: changing its redirect URIs or scopes, or deleting it, can lock you out of the console.
            </p>
          )}
          <AppSettings key={app.id} app={app} onSaved={reload} />
          {app.token_endpoint_auth_method !== "none" && (
            <>
              <h2>Client secret</h2>
              {secret && <ShownOnce label="New client secret" value={secret} testId="client-secret" />}
              <RotateButton
                label="Generate a new secret"
                onRotate={async () => {
                  const r = await api.call("/api/v1/orgs/{org}/applications/{app_id}/secret", "post", { path: { org, app_id: app.id } });
                  setSecret(r.client_secret);
                  reload();
                }}
              />
              <p className="hint">The old secret stops working at once.</p>
            </>
          )}
        </>
      )}
    </ResourcePage>
  );
}

function AppSettings({ app, onSaved }: { app: AppOut; onSaved: () => void }) {
  const { api, org } = useConsole();
  const [name, setName] = useState(app.name);
  const [description, setDescription] = useState(app.description);
  const [enabled, setEnabled] = useState(app.enabled);
  const [redirects, setRedirects] = useState(app.redirect_uris.join("\n"));
  const [logoutRedirects, setLogoutRedirects] = useState(app.post_logout_redirect_uris.join("\n"));
  const [scopes, setScopes] = useState(app.scopes.join(" "));
  const [audiences, setAudiences] = useState(app.audiences.join(" "));
  const [format, setFormat] = useState<"jwt" | "opaque">(app.access_token_format === "opaque" ? "opaque" : "jwt");
  const [accessTtl, setAccessTtl] = useState(app.access_token_ttl === null ? "" : String(app.access_token_ttl));
  const [refreshTtl, setRefreshTtl] = useState(app.refresh_token_ttl === null ? "" : String(app.refresh_token_ttl));
  const [pkce, setPkce] = useState(app.pkce_required);
  const [skipConsent, setSkipConsent] = useState(app.skip_consent ?? false);
  const state = useForm();
  const error = state.error;
  const m2m = app.type === "m2m";
  const submit = () => {
    const a = ttl(accessTtl);
    const r = ttl(refreshTtl);
    const range = (v: number | null | undefined) => v === undefined || (v !== null && (v < 60 || v > 365 * 86400));
    const body: AppPatch = {
      name,
      description,
      enabled,
      scopes: words(scopes),
      audiences: words(audiences),
      access_token_format: format,
      access_token_ttl: a ?? null,
      refresh_token_ttl: r ?? null,
      ...(m2m ? {} : { redirect_uris: words(redirects), post_logout_redirect_uris: words(logoutRedirects), pkce_required: pkce, skip_consent: skipConsent }),
    };
    void state.run(
      async () => {
        await api.call("/api/v1/orgs/{org}/applications/{app_id}", "patch", { path: { org, app_id: app.id }, body, version: app.version });
        state.setSaved(true);
        onSaved();
      },
      invalid({
        name: !name.trim() ? "Enter a name." : CONTROL.test(name) && "No control characters.",
        access_token_ttl: range(a) && "Seconds, from 60 to a year; empty for the default.",
        refresh_token_ttl: range(r) && "Seconds, from 60 to a year; empty for the default.",
      }),
    );
  };
  return (
    <>
      <h2 id="app-settings-title">Settings</h2>
      <ResourceForm labelledBy="app-settings-title" editing state={state} onSubmit={submit}>
        <Field label="Name" error={fieldError(error, "name")}>
          {(p) => <input {...p} value={name} onChange={(e) => setName(e.target.value)} />}
        </Field>
        <Field label="Description" error={fieldError(error, "description")}>
          {(p) => <input {...p} value={description} onChange={(e) => setDescription(e.target.value)} />}
        </Field>
        <Toggle label="Enabled" checked={enabled} onChange={setEnabled} />
        {!m2m && (
          <>
            <Field label="Redirect URIs" hint="One per line." error={fieldError(error, "redirect_uris")}>
              {(p) => <textarea {...p} rows={3} value={redirects} onChange={(e) => setRedirects(e.target.value)} />}
            </Field>
            <Field label="Post-logout redirect URIs" hint="One per line." error={fieldError(error, "post_logout_redirect_uris")}>
              {(p) => <textarea {...p} rows={2} value={logoutRedirects} onChange={(e) => setLogoutRedirects(e.target.value)} />}
            </Field>
          </>
        )}
        <Field label="Scopes" hint="Separated by spaces." error={fieldError(error, "scopes")}>
          {(p) => <input {...p} value={scopes} onChange={(e) => setScopes(e.target.value)} />}
        </Field>
        <Field label="Audiences" hint="Resource URIs, separated by spaces." error={fieldError(error, "audiences")}>
          {(p) => <input {...p} value={audiences} onChange={(e) => setAudiences(e.target.value)} />}
        </Field>
        <Field label="Access token format" error={fieldError(error, "access_token_format")}>
          {(p) => (
            <select {...p} value={format} onChange={(e) => setFormat(e.target.value as "jwt" | "opaque")}>
              <option value="jwt">JWT</option>
              <option value="opaque">Opaque (introspection)</option>
            </select>
          )}
        </Field>
        <Field label="Access token lifetime (seconds)" hint="Empty: the deployment's default." error={fieldError(error, "access_token_ttl")}>
          {(p) => <input {...p} inputMode="numeric" value={accessTtl} onChange={(e) => setAccessTtl(e.target.value)} />}
        </Field>
        <Field label="Refresh token lifetime (seconds)" hint="Empty: the deployment's default." error={fieldError(error, "refresh_token_ttl")}>
          {(p) => <input {...p} inputMode="numeric" value={refreshTtl} onChange={(e) => setRefreshTtl(e.target.value)} />}
        </Field>
        {!m2m && (
          <>
            <Toggle label="Require PKCE" checked={pkce} onChange={setPkce} />
            <Toggle label="First-party: never ask for consent" checked={skipConsent} onChange={setSkipConsent} />
          </>
        )}
      </ResourceForm>
    </>
  );
}
