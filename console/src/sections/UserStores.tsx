import { useState } from "react";
import type { UserStoreOut } from "../api/client";
import { Field, Toggle, fieldError, invalid } from "../components";
import { useConsole } from "../context";
import { Link, useRouter } from "../router";
import { CreatePage, Filter, ResourceForm, ResourceList, ResourcePage, SecretField, useForm, type Kind } from "./common";

export function UserStores({ rest }: { rest: string }) {
  if (rest === "") return <StoreList />;
  if (rest === "new") return <StoreForm />;
  return <StoreDetail id={rest} />;
}

function StoreList() {
  const [kind, setKind] = useState("");
  return (
    <ResourceList
      path="/api/v1/orgs/{org}/user-stores"
      query={{ kind: (kind || null) as "database" | "ldap" | null }}
      titleId="stores-title"
      title="User stores"
      create={["/console/user-stores/new", "Create user store"]}
      search="Identifier starts with"
      filters={<Filter id="store-kind" label="Kind" value={kind} onChange={setKind} options={[["database", "Database"], ["ldap", "LDAP"]]} />}
      columns={["Identifier", "Kind", "Position", "State"]}
      empty="No user stores found."
      row={(s) => (
        <tr key={s.id}>
          <td>
            <Link to={`/console/user-stores/${s.id}`}>{s.identifier}</Link>
          </td>
          <td>{s.kind === "ldap" ? "LDAP" : "Database"}</td>
          <td>{s.position}</td>
          <td>
            {s.enabled ? "Enabled" : "Disabled"}
            {s.read_only ? ", read-only" : ""}
          </td>
        </tr>
      )}
    />
  );
}

interface Ldap {
  url: string;
  bind_dn: string;
  users_dn: string;
  user_filter: string;
  start_tls: boolean;
  verify_tls: boolean;
}

function ldapOf(config: Record<string, unknown> | undefined): Ldap {
  const s = (k: string) => (typeof config?.[k] === "string" ? (config[k] as string) : "");
  return {
    url: s("url"),
    bind_dn: s("bind_dn"),
    users_dn: s("users_dn"),
    user_filter: s("user_filter"),
    start_tls: config?.start_tls === true,
    verify_tls: config?.verify_tls !== false,
  };
}

function StoreForm({ store, onSaved }: { store?: UserStoreOut; onSaved?: () => void }) {
  const { api, org } = useConsole();
  const { navigate } = useRouter();
  const [identifier, setIdentifier] = useState(store?.identifier ?? "");
  const [kind, setKind] = useState<"database" | "ldap">(store?.kind === "ldap" ? "ldap" : "database");
  const [description, setDescription] = useState(store?.description ?? "");
  const [position, setPosition] = useState(store ? String(store.position) : "");
  const [readOnly, setReadOnly] = useState(store?.read_only ?? false);
  const [enabled, setEnabled] = useState(store?.enabled ?? true);
  const [ldap, setLdap] = useState<Ldap>(ldapOf(store?.config));
  const [bindPassword, setBindPassword] = useState("");
  const [removePassword, setRemovePassword] = useState(false);
  const state = useForm();
  const error = state.error;
  const set = (k: keyof Ldap, v: string | boolean) => setLdap({ ...ldap, [k]: v });

  const submit = () => {
    const config =
      kind === "ldap"
        ? {
            // Keep what the form does not show (attribute map, pool size...) as it was.
            ...(store?.config ?? {}),
            url: ldap.url.trim(),
            users_dn: ldap.users_dn.trim(),
            bind_dn: ldap.bind_dn.trim() || null,
            user_filter: ldap.user_filter.trim() || null,
            start_tls: ldap.start_tls,
            verify_tls: ldap.verify_tls,
          }
        : undefined;
    const pos = position.trim() === "" ? null : Number(position);
    const check = invalid({
      identifier: !store && !/^[A-Z0-9_-]{1,32}$/.test(identifier) && "1 to 32 upper-case letters, digits, '_' or '-'.",
      position: pos !== null && (!Number.isInteger(pos) || pos < 0 || pos > 10000) && "A whole number from 0 to 10000.",
      "config/url": kind === "ldap" && !/^ldaps?:\/\/\S+$/.test(ldap.url.trim()) && "An ldap:// or ldaps:// URL.",
      "config/users_dn": kind === "ldap" && !ldap.users_dn.trim() && "Enter the DN under which users live.",
      "config/user_filter":
        kind === "ldap" && ldap.user_filter.trim() !== "" && !/^\(.*\)$/.test(ldap.user_filter.trim()) && "A parenthesised LDAP filter.",
      description: description.length > 500 && "At most 500 characters.",
    });
    void state.run(async () => {
      if (store) {
        await api.call("/api/v1/orgs/{org}/user-stores/{store_id}", "patch", {
          path: { org, store_id: store.id },
          body: {
            description,
            read_only: readOnly,
            enabled,
            ...(pos !== null ? { position: pos } : {}),
            ...(config ? { config } : {}),
            ...(kind === "ldap" && removePassword ? { bind_password: null } : bindPassword ? { bind_password: bindPassword } : {}),
          },
          version: store.version,
        });
        setBindPassword("");
        setRemovePassword(false);
        state.setSaved(true);
        onSaved?.();
      } else {
        const created = await api.call("/api/v1/orgs/{org}/user-stores", "post", {
          path: { org },
          body: {
            identifier,
            kind,
            description,
            position: pos,
            read_only: readOnly,
            enabled,
            config: config ?? null,
            bind_password: kind === "ldap" && bindPassword ? bindPassword : null,
          },
        });
        navigate(`/console/user-stores/${created.id}`);
      }
    }, check);
  };
  const form = (
    <ResourceForm label={store ? "User store settings" : "New user store"} editing={Boolean(store)} state={state} onSubmit={submit} cancel="/console/user-stores">
      {!store && (
        <>
          <Field label="Identifier" hint="Upper-case letters, digits, '_' or '-' (e.g. CORP-LDAP)." error={fieldError(error, "identifier")}>
            {(p) => <input {...p} value={identifier} onChange={(e) => setIdentifier(e.target.value)} required />}
          </Field>
          <fieldset>
            <legend>Kind</legend>
            <label className="choice">
              <input type="radio" name="store-kind" checked={kind === "database"} onChange={() => setKind("database")} /> Database (users kept by
              Identra)
            </label>
            <label className="choice">
              <input type="radio" name="store-kind" checked={kind === "ldap"} onChange={() => setKind("ldap")} /> LDAP directory
            </label>
          </fieldset>
        </>
      )}
      <Field label="Description" error={fieldError(error, "description")}>
        {(p) => <input {...p} value={description} onChange={(e) => setDescription(e.target.value)} />}
      </Field>
      <Field label="Position" hint="Lower positions are read first; empty: after the others." error={fieldError(error, "position")}>
        {(p) => <input {...p} inputMode="numeric" value={position} onChange={(e) => setPosition(e.target.value)} />}
      </Field>
      <Toggle label="Enabled" checked={enabled} onChange={setEnabled} />
      <Toggle label="Read-only" checked={readOnly} onChange={setReadOnly} />
      {kind === "ldap" && (
        <fieldset>
          <legend>LDAP directory</legend>
          <Field label="URL" hint="ldap://host:389 or ldaps://host:636" error={fieldError(error, "config/url")}>
            {(p) => <input {...p} value={ldap.url} onChange={(e) => set("url", e.target.value)} />}
          </Field>
          <Field label="Users DN" hint="e.g. ou=people,dc=example,dc=org" error={fieldError(error, "config/users_dn")}>
            {(p) => <input {...p} value={ldap.users_dn} onChange={(e) => set("users_dn", e.target.value)} />}
          </Field>
          <Field label="Bind DN" error={fieldError(error, "config/bind_dn")}>
            {(p) => <input {...p} value={ldap.bind_dn} onChange={(e) => set("bind_dn", e.target.value)} />}
          </Field>
          <SecretField
            label="Bind password"
            value={bindPassword}
            onChange={setBindPassword}
            isSet={Boolean(store?.has_bind_password)}
            hint={["A password is set; it is never shown. Enter a new one to replace it.", "Write-only: never shown again."]}
            error={fieldError(error, "bind_password")}
            remove={["Remove the bind password", removePassword, setRemovePassword]}
          />
          <Field label="User filter" hint="Optional, e.g. (memberOf=cn=staff,dc=example,dc=org)" error={fieldError(error, "config/user_filter")}>
            {(p) => <input {...p} value={ldap.user_filter} onChange={(e) => set("user_filter", e.target.value)} />}
          </Field>
          <Toggle label="StartTLS" checked={ldap.start_tls} onChange={(v) => set("start_tls", v)} />
          <Toggle label="Verify the server's TLS certificate" checked={ldap.verify_tls} onChange={(v) => set("verify_tls", v)} />
          {fieldError(error, "config") && !["url", "users_dn", "bind_dn", "user_filter"].some((k) => fieldError(error, `config/${k}`)) && (
            <p className="field-error">{fieldError(error, "config")}</p>
          )}
        </fieldset>
      )}
    </ResourceForm>
  );
  if (store) return form;
  return (
    <CreatePage titleId="new-store-title" title="Create user store">
      {form}
    </CreatePage>
  );
}

const STORE: Kind<UserStoreOut> = {
  noun: "User store",
  titleId: "store-title",
  list: ["/console/user-stores", "User stores"],
  url: "/api/v1/orgs/{org}/user-stores/{id}",
  name: (s) => s.identifier,
  heading: (s) => (
    <>
      User store {s.identifier} <span className="muted">({s.kind === "ldap" ? "LDAP" : "database"})</span>
    </>
  ),
};

function StoreDetail({ id }: { id: string }) {
  return <ResourcePage kind={STORE} id={id}>{(store, reload) => <StoreForm key={store.id} store={store} onSaved={reload} />}</ResourcePage>;
}
