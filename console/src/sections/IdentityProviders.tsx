import { useState, type FormEvent } from "react";
import type { IdpCreate, IdpOut } from "../api/client";
import {
  ConfirmDelete,
  Field,
  PagedTable,
  ProblemBanner,
  Saved,
  Toggle,
  exactError,
  fieldError,
  invalid,
  useLoad,
  usePaged,
  useSubmit,
} from "../components";
import { useConsole } from "../context";
import { Link, useRouter } from "../router";
import { CONTROL, ListHeader, PAGE } from "./common";

const GOOGLE = "https://accounts.google.com";

export function IdentityProviders({ rest }: { rest: string }) {
  if (rest === "") return <IdpList />;
  if (rest === "new") return <IdpForm />;
  return <IdpDetail id={rest} />;
}

function IdpList() {
  const { api, org } = useConsole();
  const [kind, setKind] = useState<"" | "oidc" | "google">("");
  const paged = usePaged(
    (cursor) =>
      api.call("/api/v1/orgs/{org}/identity-providers", "get", { path: { org }, query: { limit: PAGE, cursor, kind: kind || null } }),
    `${org}|${kind}`,
  );
  return (
    <section aria-labelledby="idps-title">
      <ListHeader id="idps-title" title="Identity providers" create="/console/identity-providers/new" createLabel="Add identity provider" />
      <div className="search">
        <label htmlFor="idp-kind">Kind</label>
        <select id="idp-kind" value={kind} onChange={(e) => setKind(e.target.value as "" | "oidc" | "google")}>
          <option value="">Any</option>
          <option value="oidc">OpenID Connect</option>
          <option value="google">Google</option>
        </select>
      </div>
      <PagedTable
        label="Identity providers"
        paged={paged}
        columns={["Name", "Kind", "Client ID", "State"]}
        empty="No identity providers yet."
        row={(i) => (
          <tr key={i.id}>
            <td>
              <Link to={`/console/identity-providers/${i.id}`}>{i.name}</Link>
            </td>
            <td>{i.kind === "google" ? "Google" : "OpenID Connect"}</td>
            <td>
              <code>{i.config.client_id}</code>
            </td>
            <td>{i.enabled ? "Enabled" : "Disabled"}</td>
          </tr>
        )}
      />
    </section>
  );
}

const URL_FIELDS = [
  ["issuer", "Issuer"],
  ["discovery_url", "Discovery URL"],
  ["authorization_endpoint", "Authorization endpoint"],
  ["token_endpoint", "Token endpoint"],
  ["userinfo_endpoint", "UserInfo endpoint"],
  ["jwks_uri", "JWKS URI"],
] as const;
type UrlField = (typeof URL_FIELDS)[number][0];

function httpsOrLoopback(v: string): boolean {
  try {
    const u = new URL(v);
    return u.protocol === "https:" || (u.protocol === "http:" && ["localhost", "127.0.0.1", "[::1]"].includes(u.hostname));
  } catch {
    return false;
  }
}

function IdpForm({ idp, onSaved }: { idp?: IdpOut; onSaved?: () => void }) {
  const { api, org } = useConsole();
  const { navigate } = useRouter();
  const [kind, setKind] = useState<"oidc" | "google">(idp?.kind === "google" ? "google" : "oidc");
  const [name, setName] = useState(idp?.name ?? "");
  const [enabled, setEnabled] = useState(idp?.enabled ?? true);
  const [jit, setJit] = useState(idp?.jit_provisioning ?? true);
  const [clientId, setClientId] = useState(idp?.config.client_id ?? "");
  const [secret, setSecret] = useState("");
  const [removeSecret, setRemoveSecret] = useState(false);
  const [urls, setUrls] = useState<Record<UrlField, string>>(() => {
    const c = idp?.config;
    return {
      issuer: c?.issuer ?? "",
      discovery_url: c?.discovery_url ?? "",
      authorization_endpoint: c?.authorization_endpoint ?? "",
      token_endpoint: c?.token_endpoint ?? "",
      userinfo_endpoint: c?.userinfo_endpoint ?? "",
      jwks_uri: c?.jwks_uri ?? "",
    };
  });
  const [scopes, setScopes] = useState((idp?.config.scopes ?? ["openid", "profile", "email"]).join(" "));
  const [linkByEmail, setLinkByEmail] = useState(idp?.config.link_by_email ?? true);
  const [authMethod, setAuthMethod] = useState<"client_secret_basic" | "client_secret_post">(
    idp?.config.token_endpoint_auth_method === "client_secret_post" ? "client_secret_post" : "client_secret_basic",
  );
  const [saved, setSaved] = useState(false);
  const { busy, error, run } = useSubmit();

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setSaved(false);
    const config: IdpCreate["config"] = {
      client_id: clientId.trim(),
      scopes: scopes.split(/\s+/).filter(Boolean),
      link_by_email: linkByEmail,
      token_endpoint_auth_method: authMethod,
    };
    const urlErrors: Record<string, string | false> = {};
    for (const [k] of URL_FIELDS) {
      const v = urls[k].trim();
      if (kind === "google" && k !== "issuer") continue;
      if (v) config[k] = v;
      urlErrors[`config/${k}`] = v !== "" && !httpsOrLoopback(v) && "An absolute https URL.";
    }
    const check = invalid({
      name: !name.trim() ? "Enter a name." : CONTROL.test(name) && "No control characters.",
      "config/client_id": !clientId.trim() && "Enter the client ID registered at the provider.",
      config:
        kind === "oidc" &&
        !config.issuer &&
        !config.discovery_url &&
        !(config.authorization_endpoint && config.token_endpoint) &&
        "Enter an issuer, a discovery URL, or both the authorization and token endpoints.",
      ...urlErrors,
    });
    void run(async () => {
      if (idp) {
        await api.call("/api/v1/orgs/{org}/identity-providers/{idp_id}", "patch", {
          path: { org, idp_id: idp.id },
          body: {
            name,
            enabled,
            jit_provisioning: jit,
            config,
            ...(removeSecret ? { client_secret: null } : secret ? { client_secret: secret } : {}),
          },
          version: idp.version,
        });
        setSecret("");
        setRemoveSecret(false);
        setSaved(true);
        onSaved?.();
      } else {
        const created = await api.call("/api/v1/orgs/{org}/identity-providers", "post", {
          path: { org },
          body: { name, kind, enabled, jit_provisioning: jit, config, client_secret: secret || null },
        });
        navigate(`/console/identity-providers/${created.id}`);
      }
    }, check);
  };
  const form = (
    <form onSubmit={submit} noValidate aria-label={idp ? "Identity provider settings" : "New identity provider"}>
      <ProblemBanner error={error} />
      {!idp && (
        <fieldset>
          <legend>Preset</legend>
          <label className="choice">
            <input type="radio" name="idp-kind" checked={kind === "oidc"} onChange={() => setKind("oidc")} /> OpenID Connect provider
          </label>
          <label className="choice">
            <input type="radio" name="idp-kind" checked={kind === "google"} onChange={() => setKind("google")} /> Google (issuer {GOOGLE})
          </label>
        </fieldset>
      )}
      <Field label="Name" error={fieldError(error, "name")}>
        {(p) => <input {...p} value={name} onChange={(e) => setName(e.target.value)} required />}
      </Field>
      <Field label="Client ID" error={fieldError(error, "config/client_id")}>
        {(p) => <input {...p} autoComplete="off" value={clientId} onChange={(e) => setClientId(e.target.value)} />}
      </Field>
      <Field
        label="Client secret"
        hint={idp?.has_client_secret ? "A secret is set; it is never shown. Enter a new one to replace it." : "Write-only: stored encrypted, never shown again."}
        error={fieldError(error, "client_secret")}
      >
        {(p) => <input {...p} type="password" autoComplete="new-password" value={secret} onChange={(e) => setSecret(e.target.value)} />}
      </Field>
      {idp?.has_client_secret && <Toggle label="Remove the client secret" checked={removeSecret} onChange={setRemoveSecret} />}
      {kind === "oidc" && (
        <fieldset>
          <legend>Provider endpoints</legend>
          <p className="hint">An issuer (or discovery URL) is enough when the provider publishes its configuration.</p>
          {URL_FIELDS.map(([k, label]) => (
            <Field key={k} label={label} error={fieldError(error, `config/${k}`)}>
              {(p) => <input {...p} type="url" value={urls[k]} onChange={(e) => setUrls({ ...urls, [k]: e.target.value })} />}
            </Field>
          ))}
          {exactError(error, "config") && <p className="field-error">{exactError(error, "config")}</p>}
        </fieldset>
      )}
      <Field label="Scopes" hint="Separated by spaces." error={fieldError(error, "config/scopes")}>
        {(p) => <input {...p} value={scopes} onChange={(e) => setScopes(e.target.value)} />}
      </Field>
      <Field label="Token endpoint authentication" error={fieldError(error, "config/token_endpoint_auth_method")}>
        {(p) => (
          <select {...p} value={authMethod} onChange={(e) => setAuthMethod(e.target.value as "client_secret_basic" | "client_secret_post")}>
            <option value="client_secret_basic">client_secret_basic</option>
            <option value="client_secret_post">client_secret_post</option>
          </select>
        )}
      </Field>
      <Toggle label="Enabled" checked={enabled} onChange={setEnabled} />
      <Toggle label="Create users on first sign-in (just-in-time)" checked={jit} onChange={setJit} />
      <Toggle label="Link to the local user with the same verified email" checked={linkByEmail} onChange={setLinkByEmail} />
      <div className="actions">
        <button type="submit" disabled={busy}>
          {idp ? "Save" : "Create"}
        </button>
        {!idp && <Link to="/console/identity-providers">Cancel</Link>}
      </div>
      {idp && <Saved show={saved} />}
    </form>
  );
  if (idp) return form;
  return (
    <section aria-labelledby="new-idp-title">
      <h1 id="new-idp-title">Add identity provider</h1>
      {form}
    </section>
  );
}

function IdpDetail({ id }: { id: string }) {
  const { api, org } = useConsole();
  const { navigate } = useRouter();
  const { data: idp, error, reload } = useLoad(
    () => api.call("/api/v1/orgs/{org}/identity-providers/{idp_id}", "get", { path: { org, idp_id: id } }),
    `${org}|${id}`,
  );
  if (!idp) {
    return (
      <section aria-labelledby="idp-title">
        <h1 id="idp-title">Identity provider</h1>
        <ProblemBanner error={error} />
        {!error && <p aria-busy="true">Loading…</p>}
      </section>
    );
  }
  return (
    <section aria-labelledby="idp-title">
      <p>
        <Link to="/console/identity-providers">← Identity providers</Link>
      </p>
      <h1 id="idp-title">Identity provider {idp.name}</h1>
      <IdpForm key={idp.id} idp={idp} onSaved={reload} />
      <h2>Delete</h2>
      <ConfirmDelete
        what={`the identity provider ${idp.name}`}
        onConfirm={async () => {
          await api.call("/api/v1/orgs/{org}/identity-providers/{idp_id}", "delete", { path: { org, idp_id: idp.id } });
          navigate("/console/identity-providers");
        }}
      />
    </section>
  );
}
