import { useState } from "react";
import type { ActionAuth, ActionOut, ActionTypeName, ActionTypeOut, Rule, RuleExpression } from "../api/client";
import { Field, ShownOnce, Toggle, fieldError, invalid, useLoad } from "../components";
import { useConsole } from "../context";
import { Link, useRouter } from "../router";
import {
  CreatePage,
  Filter,
  ResourceForm,
  ResourceList,
  ResourcePage,
  RotateButton,
  SecretCreated,
  SecretField,
  httpsOrLoopback,
  useForm,
  type Kind,
} from "./common";

export const ACTION_TYPES: { type: ActionTypeName; label: string }[] = [
  { type: "preIssueAccessToken", label: "Pre issue access token" },
  { type: "preUpdatePassword", label: "Pre update password" },
  { type: "preUpdateProfile", label: "Pre update profile" },
  { type: "preRegistration", label: "Pre registration" },
  { type: "authentication", label: "Authentication" },
];
const typeLabel = (t: string, types?: ActionTypeOut[] | null) =>
  types?.find((x) => x.type === t)?.display_name ?? ACTION_TYPES.find((x) => x.type === t)?.label ?? t;

export function Actions({ rest }: { rest: string }) {
  if (rest === "") return <ActionList />;
  if (rest === "new") return <ActionCreatePage />;
  return <ActionDetail id={rest} />;
}

function useTypes() {
  const { api, org } = useConsole();
  return useLoad(() => api.call("/api/v1/orgs/{org}/actions/types", "get", { path: { org } }), org).data;
}

function ActionList() {
  const types = useTypes();
  const [type, setType] = useState<ActionTypeName | "">("");
  return (
    <ResourceList
      path="/api/v1/orgs/{org}/actions"
      query={{ type: type || null }}
      titleId="actions-title"
      title="Actions"
      create={["/console/actions/new", "Create action"]}
      intro="Your services, called by Identra at extension points (before a token is issued, a password changed…)."
      search="Action name starts with"
      filters={
        <Filter
          id="action-type"
          label="Type"
          value={type}
          onChange={(v) => setType(v as ActionTypeName | "")}
          options={ACTION_TYPES.map((t) => [t.type, typeLabel(t.type, types)])}
        />
      }
      columns={["Name", "Type", "Endpoint", "State"]}
      empty="No actions found."
      row={(a) => (
        <tr key={a.id}>
          <td>
            <Link to={`/console/actions/${a.id}`}>{a.name}</Link>
          </td>
          <td>{typeLabel(a.type, types)}</td>
          <td>
            <code>{a.endpoint}</code>
          </td>
          <td>{a.enabled ? "Active" : "Inactive"}</td>
        </tr>
      )}
    />
  );
}

function ActionCreatePage() {
  const [secret, setSecret] = useState<{ id: string; value: string } | null>(null);
  if (secret) {
    return (
      <SecretCreated
        titleId="action-created-title"
        title="Action created"
        label="Signing secret"
        value={secret.value}
        testId="signing-secret"
        done={`/console/actions/${secret.id}`}
      />
    );
  }
  return (
    <CreatePage titleId="new-action-title" title="Create action">
      <ActionForm onSecret={(id, value) => setSecret({ id, value })} />
    </CreatePage>
  );
}

type AuthType = ActionAuth["type"];
type Group = RuleExpression[];

function rulesOf(rule: ActionOut["rule"]): Group[] {
  const r = rule as Rule | null;
  return r?.rules?.map((g) => g.expressions.map((e) => ({ ...e }))) ?? [];
}

function ActionForm({ action, onSaved, onSecret }: { action?: ActionOut; onSaved?: () => void; onSecret: (id: string, secret: string) => void }) {
  const { api, org } = useConsole();
  const { navigate } = useRouter();
  const types = useTypes();
  const [name, setName] = useState(action?.name ?? "");
  const [type, setType] = useState<ActionTypeName>((action?.type as ActionTypeName | undefined) ?? "preIssueAccessToken");
  const [description, setDescription] = useState(action?.description ?? "");
  const [endpoint, setEndpoint] = useState(action?.endpoint ?? "");
  const shownAuth = (action?.authentication.type ?? "none") as AuthType;
  const [authType, setAuthType] = useState<AuthType>(shownAuth);
  const [authName, setAuthName] = useState(action?.authentication.username ?? action?.authentication.header ?? "");
  const [authSecret, setAuthSecret] = useState("");
  const [timeout, setTimeoutMs] = useState(String(action?.timeout_ms ?? 2000));
  const [policy, setPolicy] = useState(action?.failure_policy === "fail_open" ? "fail_open" : "fail_closed");
  const [groups, setGroups] = useState<Group[]>(rulesOf(action?.rule ?? null));
  const [enabled, setEnabled] = useState(action?.enabled ?? true);
  const [signed, setSigned] = useState(action?.signed ?? false);
  const state = useForm();
  const error = state.error;
  const ruleFields = types?.find((t) => t.type === type)?.rule_fields ?? [];

  const setExpr = (g: number, i: number, change: Partial<RuleExpression>) =>
    setGroups(groups.map((grp, gi) => (gi !== g ? grp : grp.map((e, ei) => (ei === i ? { ...e, ...change } : e)))));
  const newExpr = (): RuleExpression => ({ field: ruleFields[0] ?? "", operator: "equals", value: "" });

  const submit = () => {
    const authChanged = !action || authType !== shownAuth || authSecret !== "" || authName !== (action.authentication.username ?? action.authentication.header ?? "");
    let authentication: ActionAuth;
    if (authType === "basic") authentication = { type: "basic", username: authName.trim(), password: authSecret };
    else if (authType === "bearer") authentication = { type: "bearer", token: authSecret };
    else if (authType === "api_key") authentication = { type: "api_key", header: authName.trim(), value: authSecret };
    else authentication = { type: "none" };
    const ms = Number(timeout);
    const rule: Rule | null = groups.length ? { condition: "OR", rules: groups.map((g) => ({ condition: "AND", expressions: g })) } : null;
    const check = invalid({
      name: !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name) || name.length > 100 ? "Letters, digits, '.', '_' or '-' (at most 100)." : false,
      endpoint: !httpsOrLoopback(endpoint.trim()) && "An absolute https URL (http only for localhost).",
      timeout_ms: (!Number.isInteger(ms) || ms < 100 || ms > 10000) && "From 100 to 10000 milliseconds.",
      authentication:
        authChanged && authType !== "none"
          ? (authType !== "bearer" && !authName.trim() ? (authType === "basic" ? "Enter the username." : "Enter the header name.") : false) ||
            (!authSecret && "Enter the secret (it is write-only: enter it again to change the authentication).")
          : false,
      rule: groups.some((g) => g.length === 0 || g.some((x) => !x.field || !x.value.trim())) && "Every condition needs a field and a value.",
    });
    void state.run(async () => {
      if (action) {
        const updated = await api.call("/api/v1/orgs/{org}/actions/{action_id}", "patch", {
          path: { org, action_id: action.id },
          body: {
            name,
            description,
            endpoint: endpoint.trim(),
            timeout_ms: ms,
            failure_policy: policy as "fail_closed" | "fail_open",
            rule,
            enabled,
            signed,
            ...(authChanged ? { authentication } : {}),
          },
          version: action.version,
        });
        setAuthSecret("");
        state.setSaved(true);
        if (updated.signing_secret) onSecret(updated.id, updated.signing_secret);
        onSaved?.();
      } else {
        const created = await api.call("/api/v1/orgs/{org}/actions", "post", {
          path: { org },
          body: {
            name,
            type,
            description,
            endpoint: endpoint.trim(),
            authentication,
            timeout_ms: ms,
            failure_policy: policy as "fail_closed" | "fail_open",
            rule,
            enabled,
            signed,
          },
        });
        if (created.signing_secret) onSecret(created.id, created.signing_secret);
        else navigate(`/console/actions/${created.id}`);
      }
    }, check);
  };

  return (
    <ResourceForm label={action ? "Action settings" : "New action"} editing={Boolean(action)} state={state} onSubmit={submit} cancel="/console/actions">
      <Field label="Name" hint="A flow refers to it as action:<name>." error={fieldError(error, "name")}>
        {(p) => <input {...p} value={name} onChange={(e) => setName(e.target.value)} required />}
      </Field>
      <Field label="Type" hint={types?.find((t) => t.type === type)?.description} error={fieldError(error, "type")}>
        {(p) => (
          <select {...p} value={type} disabled={Boolean(action)} onChange={(e) => setType(e.target.value as ActionTypeName)}>
            {ACTION_TYPES.map((t) => (
              <option key={t.type} value={t.type}>
                {typeLabel(t.type, types)}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field label="Description" error={fieldError(error, "description")}>
        {(p) => <input {...p} value={description} onChange={(e) => setDescription(e.target.value)} />}
      </Field>
      <Field label="Endpoint" hint="Your service's https URL." error={fieldError(error, "endpoint")}>
        {(p) => <input {...p} type="url" value={endpoint} onChange={(e) => setEndpoint(e.target.value)} />}
      </Field>
      <fieldset>
        <legend>Authentication to the endpoint</legend>
        <Field label="Method" error={fieldError(error, "authentication")}>
          {(p) => (
            <select {...p} value={authType} onChange={(e) => setAuthType(e.target.value as AuthType)}>
              <option value="none">None</option>
              <option value="basic">Basic (username and password)</option>
              <option value="bearer">Bearer token</option>
              <option value="api_key">API key header</option>
            </select>
          )}
        </Field>
        {(authType === "basic" || authType === "api_key") && (
          <Field label={authType === "basic" ? "Username" : "Header name"}>
            {(p) => <input {...p} autoComplete="off" value={authName} onChange={(e) => setAuthName(e.target.value)} />}
          </Field>
        )}
        {authType !== "none" && (
          <SecretField
            label={authType === "basic" ? "Password" : authType === "bearer" ? "Token" : "Key"}
            value={authSecret}
            onChange={setAuthSecret}
            isSet={Boolean(action) && shownAuth === authType}
            hint={["Write-only: leave empty to keep the current one.", "Write-only: never shown again."]}
          />
        )}
      </fieldset>
      <Field label="Timeout (milliseconds)" error={fieldError(error, "timeout_ms")}>
        {(p) => <input {...p} inputMode="numeric" value={timeout} onChange={(e) => setTimeoutMs(e.target.value)} />}
      </Field>
      <fieldset>
        <legend>When the endpoint fails or times out</legend>
        <label className="choice">
          <input type="radio" name="failure-policy" checked={policy === "fail_closed"} onChange={() => setPolicy("fail_closed")} /> Fail closed: stop
          the operation
        </label>
        <label className="choice">
          <input type="radio" name="failure-policy" checked={policy === "fail_open"} onChange={() => setPolicy("fail_open")} /> Fail open: go on
          without the action
        </label>
        {fieldError(error, "failure_policy") && <p className="field-error">{fieldError(error, "failure_policy")}</p>}
      </fieldset>
      <fieldset className="rule">
        <legend>Rule</legend>
        {groups.length === 0 ? (
          <p className="muted">The action always applies.</p>
        ) : (
          groups.map((g, gi) => (
            <div key={gi} className="rule-group" role="group" aria-label={`Condition group ${gi + 1}`}>
              {gi > 0 && <p className="rule-or">or</p>}
              {g.map((x, ei) => (
                <div key={ei} className="rule-expr">
                  {ei > 0 && <span className="rule-and">and</span>}
                  <label>
                    <span className="sr-only">Field</span>
                    <select value={x.field} onChange={(e) => setExpr(gi, ei, { field: e.target.value })}>
                      {!ruleFields.includes(x.field) && <option value={x.field}>{x.field || "(field)"}</option>}
                      {ruleFields.map((f) => (
                        <option key={f} value={f}>
                          {f}
                        </option>
                      ))}
                    </select>
                  </label>
                  <label>
                    <span className="sr-only">Operator</span>
                    <select value={x.operator} onChange={(e) => setExpr(gi, ei, { operator: e.target.value as RuleExpression["operator"] })}>
                      <option value="equals">equals</option>
                      <option value="notEquals">does not equal</option>
                    </select>
                  </label>
                  <label>
                    <span className="sr-only">Value</span>
                    <input value={x.value} onChange={(e) => setExpr(gi, ei, { value: e.target.value })} />
                  </label>
                  <button
                    type="button"
                    className="secondary small"
                    onClick={() => setGroups(groups.map((grp, i) => (i === gi ? grp.filter((_, j) => j !== ei) : grp)).filter((grp) => grp.length > 0))}
                  >
                    Remove condition
                  </button>
                </div>
              ))}
              <button type="button" className="secondary small" onClick={() => setGroups(groups.map((grp, i) => (i === gi ? [...grp, newExpr()] : grp)))}>
                Add “and” condition
              </button>
            </div>
          ))
        )}
        <button type="button" className="secondary small" onClick={() => setGroups([...groups, [newExpr()]])}>
          {groups.length ? "Add “or” alternative" : "Apply only when…"}
        </button>
        {fieldError(error, "rule") && <p className="field-error">{fieldError(error, "rule")}</p>}
      </fieldset>
      <Toggle label="Active" checked={enabled} onChange={setEnabled} />
      <Toggle label="Sign requests (Standard Webhooks)" hint="The signing secret is shown once." checked={signed} onChange={setSigned} />
    </ResourceForm>
  );
}

const ACTION: Kind<ActionOut> = {
  noun: "Action",
  titleId: "action-title",
  list: ["/console/actions", "Actions"],
  url: "/api/v1/orgs/{org}/actions/{id}",
  name: (a) => a.name,
};

function ActionDetail({ id }: { id: string }) {
  const { api, org } = useConsole();
  const [secret, setSecret] = useState<string | null>(null);
  return (
    <ResourcePage kind={ACTION} id={id}>
      {(action, reload) => (
        <>
          {secret && <ShownOnce label="New signing secret" value={secret} testId="signing-secret" />}
          <ActionForm key={action.id} action={action} onSaved={reload} onSecret={(_id, s) => setSecret(s)} />
          {action.signed && (
            <>
              <h2>Signing secret</h2>
              <RotateButton
                label="Rotate the signing secret"
                onRotate={async () => {
                  const r = await api.call("/api/v1/orgs/{org}/actions/{action_id}/signing-secret", "post", { path: { org, action_id: action.id } });
                  setSecret(r.signing_secret);
                  reload();
                }}
              />
            </>
          )}
        </>
      )}
    </ResourcePage>
  );
}
