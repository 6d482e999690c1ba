import { useState } from "react";
import type { IdpCreate, IdpOut } from "../api/client";
import { Field, Toggle, exactError, fieldError, invalid } from "../components";
import { useConsole } from "../context";
import { Link, useRouter } from "../router";
import { CONTROL, CreatePage, Filter, ResourceForm, ResourceList, ResourcePage, SecretField, httpsOrLoopback, useForm, type Kind } from "./common";

const GOOGLE = "https://accounts.google.com";

export function IdentityProviders({ rest }: { rest: string }) {
  if (rest === "") return <IdpList />;
  if (rest === "new") return <IdpForm />;
  return <IdpDetail id={rest} />;
}

function IdpList() {
  const [kind, setKind] = useState<"" | "oidc" | "google">("");
  return (
    <ResourceList
      path="/api/v1/orgs/{org}/identity-providers"
      query={{ kind: kind || null }}
      titleId="idps-title"
      title="Identity providers"
      create={["/console/identity-providers/new", "Add identity provider"]}
      search="Name starts with"
      filters={
        <Filter
          id="idp-kind"
          label="Kind"
          value={kind}
          onChange={(v) => setKind(v as "" | "oidc" | "google")}
          options={[["oidc", "OpenID Connect"], ["google", "Google"]]}
        />
      }
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
  const state = useForm();
  const error = state.error;

  const submit = () => {
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
    void state.run(async () => {
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
        state.setSaved(true);
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
    <ResourceForm
      label={idp ? "Identity provider settings" : "New identity provider"}
      editing={Boolean(idp)}
      state={state}
      onSubmit={submit}
      cancel="/console/identity-providers"
    >
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
      <SecretField
        label="Client secret"
        value={secret}
        onChange={setSecret}
        isSet={Boolean(idp?.has_client_secret)}
        hint={["A secret is set; it is never shown. Enter a new one to replace it.", "Write-only: stored encrypted, never shown again."]}
        error={fieldError(error, "client_secret")}
        remove={["Remove the client secret", removeSecret, setRemoveSecret]}
      />
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
    </ResourceForm>
  );
  if (idp) return form;
  return (
    <CreatePage titleId="new-idp-title" title="Add identity provider">
      {form}
    </CreatePage>
  );
}

const IDP: Kind<IdpOut> = {
  noun: "Identity provider",
  titleId: "idp-title",
  list: ["/console/identity-providers", "Identity providers"],
  url: "/api/v1/orgs/{org}/identity-providers/{id}",
  name: (i) => i.name,
};

function IdpDetail({ id }: { id: string }) {
  return <ResourcePage kind={IDP} id={id}>{(idp, reload) => <IdpForm key={idp.id} idp={idp} onSaved={reload} />}</ResourcePage>;
}
