import { useState, type FormEvent } from "react";
import type { Permission, RoleOut } from "../api/client";
import { ConfirmDelete, Field, PagedTable, ProblemBanner, fieldError, invalid, useSubmit } from "../components";
import { useConsole } from "../context";
import { Link, useRouter } from "../router";
import {
  CONTROL,
  CreatePage,
  Filter,
  NameOf,
  ResourceForm,
  ResourceList,
  ResourcePage,
  groupIdOf,
  useForm,
  usePagedList,
  userIdOf,
  type Kind,
} from "./common";

/** Every management permission, by resource (the API's enum). */
export const PERMISSIONS: Permission[] = [
  "orgs:read",
  "orgs:write",
  "userstores:read",
  "userstores:write",
  "users:read",
  "users:write",
  "groups:read",
  "groups:write",
  "roles:read",
  "roles:write",
  "apps:read",
  "apps:write",
  "idps:read",
  "idps:write",
  "claims:read",
  "claims:write",
  "audit:read",
  "audit:write",
  "keys:read",
  "keys:write",
  "flows:read",
  "flows:write",
  "actions:read",
  "actions:write",
];
const RESOURCES = [...new Set(PERMISSIONS.map((p) => p.split(":")[0] ?? p))];

export function Roles({ rest }: { rest: string }) {
  if (rest === "") return <RoleList />;
  if (rest === "new") return <RoleForm />;
  return <RoleDetail id={rest} />;
}

function RoleList() {
  const [permission, setPermission] = useState("");
  return (
    <ResourceList
      path="/api/v1/orgs/{org}/roles"
      query={{ permission: (permission || null) as Permission | null }}
      titleId="roles-title"
      title="Roles"
      create={["/console/roles/new", "Create role"]}
      search="Role name starts with"
      filters={<Filter id="role-permission" label="Granting permission" value={permission} onChange={setPermission} options={PERMISSIONS.map((p) => [p, p])} />}
      columns={["Name", "Permissions"]}
      empty="No roles found."
      row={(r) => (
        <tr key={r.id}>
          <td>
            <Link to={`/console/roles/${r.id}`}>{r.name}</Link>
          </td>
          <td>{r.permissions.join(", ")}</td>
        </tr>
      )}
    />
  );
}

function RoleForm({ role, onSaved }: { role?: RoleOut; onSaved?: () => void }) {
  const { api, org } = useConsole();
  const { navigate } = useRouter();
  const [name, setName] = useState(role?.name ?? "");
  const [description, setDescription] = useState(role?.description ?? "");
  const [perms, setPerms] = useState<Set<string>>(new Set(role?.permissions ?? []));
  const state = useForm();
  const error = state.error;
  const toggle = (p: string, on: boolean) => {
    const next = new Set(perms);
    if (on) next.add(p);
    else next.delete(p);
    setPerms(next);
  };
  const submit = () => {
    const permissions = PERMISSIONS.filter((p) => perms.has(p));
    void state.run(
      async () => {
        if (role) {
          await api.call("/api/v1/orgs/{org}/roles/{role_id}", "patch", {
            path: { org, role_id: role.id },
            body: { name, description, permissions },
            version: role.version,
          });
          state.setSaved(true);
          onSaved?.();
        } else {
          const created = await api.call("/api/v1/orgs/{org}/roles", "post", { path: { org }, body: { name, description, permissions } });
          navigate(`/console/roles/${created.id}`);
        }
      },
      invalid({
        name: !name.trim() ? "Enter a name." : CONTROL.test(name) && "No control characters.",
        description: description.length > 1000 && "At most 1000 characters.",
      }),
    );
  };
  const form = (
    <ResourceForm label={role ? "Role settings" : "New role"} editing={Boolean(role)} state={state} onSubmit={submit} cancel="/console/roles">
      <Field label="Name" error={fieldError(error, "name")}>
        {(p) => <input {...p} value={name} onChange={(e) => setName(e.target.value)} required />}
      </Field>
      <Field label="Description" error={fieldError(error, "description")}>
        {(p) => <textarea {...p} rows={2} value={description} onChange={(e) => setDescription(e.target.value)} />}
      </Field>
      <fieldset className="permissions">
        <legend>Permissions</legend>
        <div className="perm-grid">
          {RESOURCES.map((res) => (
            <div key={res} className="perm-row">
              <span className="perm-name">{res}</span>
              {(["read", "write"] as const).map((level) => {
                const p = `${res}:${level}`;
                return (
                  <label key={p} className="choice">
                    <input type="checkbox" checked={perms.has(p)} onChange={(e) => toggle(p, e.target.checked)} aria-label={p} />
                    {level}
                  </label>
                );
              })}
            </div>
          ))}
        </div>
        {fieldError(error, "permissions") && <p className="field-error">{fieldError(error, "permissions")}</p>}
      </fieldset>
    </ResourceForm>
  );
  if (role) return form;
  return (
    <CreatePage titleId="new-role-title" title="Create role">
      {form}
    </CreatePage>
  );
}

const ROLE: Kind<RoleOut> = {
  noun: "Role",
  titleId: "role-title",
  list: ["/console/roles", "Roles"],
  url: "/api/v1/orgs/{org}/roles/{id}",
  name: (r) => r.name,
};

function RoleDetail({ id }: { id: string }) {
  return (
    <ResourcePage kind={ROLE} id={id}>
      {(role, reload) => (
        <>
          <RoleForm key={role.id} role={role} onSaved={reload} />
          <Assignments roleId={role.id} onChange={reload} />
        </>
      )}
    </ResourcePage>
  );
}

function Assignments({ roleId, onChange }: { roleId: string; onChange: () => void }) {
  const { api, org } = useConsole();
  const paged = usePagedList("/api/v1/orgs/{org}/roles/{role_id}/assignments", {}, { role_id: roleId });
  const [kind, setKind] = useState<"user" | "group">("user");
  const [name, setName] = useState("");
  const { busy, error, run } = useSubmit();
  const assign = (e: FormEvent) => {
    e.preventDefault();
    const who = name.trim();
    void run(
      async () => {
        const target = kind === "user" ? await userIdOf(api, org, who) : await groupIdOf(api, org, who);
        if (!target) throw invalid({ name: `There is no ${kind} named ${who}.` });
        await api.call("/api/v1/orgs/{org}/roles/{role_id}/assignments", "post", {
          path: { org, role_id: roleId },
          body: kind === "user" ? { user_id: target } : { group_id: target },
        });
        setName("");
        paged.reload();
        onChange();
      },
      invalid({ name: !who && `Enter a ${kind} name.` }),
    );
  };
  return (
    <section aria-labelledby="assignments-title">
      <h2 id="assignments-title">Assigned to</h2>
      <PagedTable
        label="Assignment list"
        paged={paged}
        columns={["Kind", "Name", ""]}
        empty="Nobody holds this role yet."
        row={(a) => (
          <tr key={a.id}>
            <td>{a.user_id ? "User" : "Group"}</td>
            <td>
              <NameOf api={api} org={org} kind={a.user_id ? "user" : "group"} id={a.user_id ?? a.group_id ?? ""} />
            </td>
            <td>
              <ConfirmDelete
                label="Unassign"
                what="this assignment"
                onConfirm={async () => {
                  await api.call("/api/v1/orgs/{org}/roles/{role_id}/assignments/{assignment_id}", "delete", {
                    path: { org, role_id: roleId, assignment_id: a.id },
                  });
                  paged.reload();
                  onChange();
                }}
              />
            </td>
          </tr>
        )}
      />
      <form onSubmit={assign} noValidate className="inline-form" aria-label="Assign the role">
        <ProblemBanner error={error} />
        <fieldset>
          <legend>Assign to</legend>
          <label className="choice">
            <input type="radio" name="assign-kind" checked={kind === "user"} onChange={() => setKind("user")} /> a user
          </label>
          <label className="choice">
            <input type="radio" name="assign-kind" checked={kind === "group"} onChange={() => setKind("group")} /> a group
          </label>
        </fieldset>
        <Field label={kind === "user" ? "Username" : "Group name"} error={fieldError(error, "name") ?? fieldError(error, "user_id") ?? fieldError(error, "group_id")}>
          {(p) => <input {...p} autoComplete="off" value={name} onChange={(e) => setName(e.target.value)} />}
        </Field>
        <button type="submit" disabled={busy}>
          Assign
        </button>
      </form>
    </section>
  );
}
