import { useState, type FormEvent } from "react";
import type { UserCreate, UserOut, UserPatch } from "../api/client";
import {
  ConfirmDelete,
  Field,
  PagedTable,
  ProblemBanner,
  Saved,
  fieldError,
  invalid,
  useLoad,
  usePaged,
  useSubmit,
} from "../components";
import { useConsole } from "../context";
import { Link, useRouter } from "../router";
import { Filter, ResourceList, ResourcePage, groupIdOf, type Kind } from "./common";

const PAGE = 20;
const STATUSES = ["active", "locked", "disabled", "unverified"] as const;
type Status = (typeof STATUSES)[number];

export function UserList() {
  const [status, setStatus] = useState<Status | "">("");
  return (
    <ResourceList
      path="/api/v1/orgs/{org}/users"
      query={{ status: status || null }}
      titleId="users-title"
      title="Users"
      create={["/console/users/new", "Create user"]}
      search="Username starts with"
      filters={<Filter id="user-status" label="Status" value={status} onChange={(v) => setStatus(v as Status | "")} options={STATUSES.map((s) => [s, s])} />}
      columns={["Username", "Display name", "Status"]}
      empty="No users found."
      row={(user) => (
        <tr key={user.id}>
          <td>
            <Link to={`/console/users/${user.id}`}>{user.username}</Link>
          </td>
          <td>{user.display_name ?? ""}</td>
          <td>{user.status}</td>
        </tr>
      )}
    />
  );
}

export function UserCreateForm() {
  const { api, org } = useConsole();
  const { navigate } = useRouter();
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [displayName, setDisplayName] = useState("");
  const [email, setEmail] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const check = invalid({
      username: !username.trim() ? "Enter a username." : (/^\s/.test(username) || username.includes("/")) && "No leading space and no '/'.",
    });
    if (check) return setError(check);
    setBusy(true);
    setError(null);
    const body: UserCreate = {
      username,
      password: password || null,
      display_name: displayName || null,
      emails: email ? [{ value: email, primary: true }] : [],
    };
    try {
      await api.call("/api/v1/orgs/{org}/users", "post", { path: { org }, body });
      navigate("/console/users");
    } catch (e) {
      setError(e);
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="new-user-title">
      <h1 id="new-user-title">Create user</h1>
      <form onSubmit={submit} noValidate>
        <ProblemBanner error={error} />
        <Field label="Username" error={fieldError(error, "username")}>
          {(p) => <input {...p} autoComplete="off" value={username} onChange={(e) => setUsername(e.target.value)} required />}
        </Field>
        <Field label="Password" hint="At least 8 characters; leave empty for none." error={fieldError(error, "password")}>
          {(p) => (
            <input {...p} type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} />
          )}
        </Field>
        <Field label="Display name" error={fieldError(error, "display_name")}>
          {(p) => <input {...p} value={displayName} onChange={(e) => setDisplayName(e.target.value)} />}
        </Field>
        <Field label="Email" error={fieldError(error, "emails")}>
          {(p) => <input {...p} type="email" value={email} onChange={(e) => setEmail(e.target.value)} />}
        </Field>
        <div className="actions">
          <button type="submit" disabled={busy}>
            Create
          </button>
          <Link to="/console/users">Cancel</Link>
        </div>
      </form>
    </section>
  );
}

const USER: Kind<UserOut> = {
  noun: "User",
  titleId: "user-title",
  list: ["/console/users", "Users"],
  url: "/api/v1/orgs/{org}/users/{id}",
  name: (u) => u.username,
};

/** One user: profile and status, password reset, groups and roles, delete. */
export function UserDetail({ id }: { id: string }) {
  return (
    <ResourcePage kind={USER} id={id}>
      {(user, reload) => (
        <>
          <p className="muted">
            Store {user.user_store} · status <strong data-testid="user-status">{user.status}</strong> · {user.has_password ? "has a password" : "no password"}
          </p>
          <StatusButtons user={user} onChanged={reload} />
          <Profile key={user.id} user={user} onSaved={reload} />
          <ResetPassword user={user} onSaved={reload} />
          <UserGroups userId={user.id} />
          <UserRoles userId={user.id} />
        </>
      )}
    </ResourcePage>
  );
}

function StatusButtons({ user, onChanged }: { user: UserOut; onChanged: () => void }) {
  const { api, org } = useConsole();
  const { busy, error, run } = useSubmit();
  const setStatus = (status: Status) =>
    void run(async () => {
      await api.call("/api/v1/orgs/{org}/users/{user_id}", "patch", { path: { org, user_id: user.id }, body: { status }, version: user.version });
      onChanged();
    });
  return (
    <div className="actions">
      <ProblemBanner error={error} />
      {user.status === "disabled" ? (
        <button type="button" className="secondary" disabled={busy} onClick={() => setStatus("active")}>
          Enable user
        </button>
      ) : (
        <button type="button" className="secondary" disabled={busy} onClick={() => setStatus("disabled")}>
          Disable user
        </button>
      )}
      {user.status === "locked" && (
        <button type="button" className="secondary" disabled={busy} onClick={() => setStatus("active")}>
          Unlock user
        </button>
      )}
    </div>
  );
}

function Profile({ user, onSaved }: { user: UserOut; onSaved: () => void }) {
  const { api, org } = useConsole();
  const primary = user.emails.find((e) => e.primary) ?? user.emails[0];
  const [displayName, setDisplayName] = useState(user.display_name ?? "");
  const [givenName, setGivenName] = useState(user.given_name ?? "");
  const [familyName, setFamilyName] = useState(user.family_name ?? "");
  const [email, setEmail] = useState(primary?.value ?? "");
  const [locale, setLocale] = useState(user.locale ?? "");
  const [status, setStatus] = useState<Status>((STATUSES as readonly string[]).includes(user.status) ? (user.status as Status) : "active");
  const [saved, setSaved] = useState(false);
  const { busy, error, run } = useSubmit();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setSaved(false);
    // The primary email is replaced; the others are kept as they are.
    const others = user.emails.filter((x) => x !== primary).map((x) => ({ value: x.value, type: x.type, primary: false, verified: x.verified }));
    const emails = email.trim()
      ? [{ value: email.trim(), type: primary?.type ?? null, primary: true, verified: primary?.value === email.trim() ? primary.verified : false }, ...others]
      : others;
    const body: UserPatch = {
      display_name: displayName || null,
      given_name: givenName || null,
      family_name: familyName || null,
      locale: locale || null,
      status,
      emails,
    };
    void run(
      async () => {
        await api.call("/api/v1/orgs/{org}/users/{user_id}", "patch", { path: { org, user_id: user.id }, body, version: user.version });
        setSaved(true);
        onSaved();
      },
      invalid({
        emails: email.trim() !== "" && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email.trim()) && "Enter an email address.",
        locale: locale !== "" && !/^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$/.test(locale) && "A language tag like en or pt-BR.",
      }),
    );
  };
  return (
    <form onSubmit={submit} noValidate aria-labelledby="profile-title">
      <h2 id="profile-title">Profile</h2>
      <ProblemBanner error={error} />
      <Field label="Display name" error={fieldError(error, "display_name")}>
        {(p) => <input {...p} value={displayName} onChange={(e) => setDisplayName(e.target.value)} />}
      </Field>
      <Field label="Given name" error={fieldError(error, "given_name")}>
        {(p) => <input {...p} value={givenName} onChange={(e) => setGivenName(e.target.value)} />}
      </Field>
      <Field label="Family name" error={fieldError(error, "family_name")}>
        {(p) => <input {...p} value={familyName} onChange={(e) => setFamilyName(e.target.value)} />}
      </Field>
      <Field label="Email" error={fieldError(error, "emails")}>
        {(p) => <input {...p} type="email" value={email} onChange={(e) => setEmail(e.target.value)} />}
      </Field>
      <Field label="Locale" error={fieldError(error, "locale")}>
        {(p) => <input {...p} value={locale} onChange={(e) => setLocale(e.target.value)} />}
      </Field>
      <Field label="Status" error={fieldError(error, "status")}>
        {(p) => (
          <select {...p} value={status} onChange={(e) => setStatus(e.target.value as Status)}>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        )}
      </Field>
      <button type="submit" disabled={busy}>
        Save profile
      </button>
      <Saved show={saved} />
    </form>
  );
}

function ResetPassword({ user, onSaved }: { user: UserOut; onSaved: () => void }) {
  const { api, org } = useConsole();
  const [password, setPassword] = useState("");
  const [done, setDone] = useState(false);
  const { busy, error, run } = useSubmit();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setDone(false);
    void run(
      async () => {
        await api.call("/api/v1/orgs/{org}/users/{user_id}", "patch", { path: { org, user_id: user.id }, body: { password } });
        setPassword("");
        setDone(true);
        onSaved();
      },
      invalid({ password: password.length < 8 ? "At least 8 characters." : password.length > 1024 && "At most 1024 characters." }),
    );
  };
  return (
    <form onSubmit={submit} noValidate aria-labelledby="password-title">
      <h2 id="password-title">Reset password</h2>
      <ProblemBanner error={error} />
      <Field label="New password" hint="At least 8 characters. Tell the user through a safe channel." error={fieldError(error, "password")}>
        {(p) => <input {...p} type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} />}
      </Field>
      <button type="submit" disabled={busy}>
        Set password
      </button>
      <p role="status">{done ? "The password was changed." : ""}</p>
    </form>
  );
}

function UserGroups({ userId }: { userId: string }) {
  const { api, org } = useConsole();
  const paged = usePaged(
    (cursor) => api.call("/api/v1/orgs/{org}/groups", "get", { path: { org }, query: { member: userId, limit: PAGE, cursor } }),
    `${org}|${userId}`,
  );
  const [name, setName] = useState("");
  const { busy, error, run } = useSubmit();
  const add = (e: FormEvent) => {
    e.preventDefault();
    void run(
      async () => {
        const groupId = await groupIdOf(api, org, name.trim());
        if (!groupId) throw invalid({ group: `There is no group named ${name.trim()}.` });
        await api.call("/api/v1/orgs/{org}/groups/{group_id}/members", "post", { path: { org, group_id: groupId }, body: { user_id: userId } });
        setName("");
        paged.reload();
      },
      invalid({ group: !name.trim() && "Enter a group name." }),
    );
  };
  return (
    <section aria-labelledby="user-groups-title">
      <h2 id="user-groups-title">Groups</h2>
      <PagedTable
        label="Group list"
        paged={paged}
        columns={["Group", ""]}
        empty="Not in any group."
        row={(g) => (
          <tr key={g.id}>
            <td>
              <Link to={`/console/groups/${g.id}`}>{g.name}</Link>
            </td>
            <td>
              <ConfirmDelete
                label="Remove"
                what={`the user from ${g.name}`}
                onConfirm={async () => {
                  await api.call("/api/v1/orgs/{org}/groups/{group_id}/members/{user_id}", "delete", {
                    path: { org, group_id: g.id, user_id: userId },
                  });
                  paged.reload();
                }}
              />
            </td>
          </tr>
        )}
      />
      <form onSubmit={add} noValidate className="inline-form" aria-label="Add to a group">
        <ProblemBanner error={error} />
        <Field label="Add to group (name)" error={fieldError(error, "group")}>
          {(p) => <input {...p} value={name} onChange={(e) => setName(e.target.value)} />}
        </Field>
        <button type="submit" disabled={busy}>
          Add to group
        </button>
      </form>
    </section>
  );
}

/**
 * Roles held directly by the user. The API lists assignments per role, so this reads the org's
 * roles (a page of 100; organizations have few) and asks each for the user's assignment.
 */
function UserRoles({ userId }: { userId: string }) {
  const { api, org } = useConsole();
  const { data, error, reload } = useLoad(async () => {
    const roles = await api.call("/api/v1/orgs/{org}/roles", "get", { path: { org }, query: { limit: 100 } });
    const held = await Promise.all(
      roles.items.map(async (role) => {
        const a = await api.call("/api/v1/orgs/{org}/roles/{role_id}/assignments", "get", {
          path: { org, role_id: role.id },
          query: { user_id: userId, limit: 1 },
        });
        return { role, assignment: a.items[0] ?? null };
      }),
    );
    return { held, more: Boolean(roles.next_cursor) };
  }, `${org}|${userId}`);
  const [roleId, setRoleId] = useState("");
  const { busy, error: assignError, run } = useSubmit();
  const assign = (e: FormEvent) => {
    e.preventDefault();
    void run(
      async () => {
        await api.call("/api/v1/orgs/{org}/roles/{role_id}/assignments", "post", { path: { org, role_id: roleId }, body: { user_id: userId } });
        setRoleId("");
        reload();
      },
      invalid({ role: !roleId && "Choose a role." }),
    );
  };
  const held = data?.held.filter((h) => h.assignment) ?? [];
  const free = data?.held.filter((h) => !h.assignment) ?? [];
  return (
    <section aria-labelledby="user-roles-title">
      <h2 id="user-roles-title">Roles</h2>
      <ProblemBanner error={error} />
      {data && (
        <>
          {held.length === 0 ? (
            <p className="muted">No roles assigned directly (roles may also come from groups).</p>
          ) : (
            <ul className="plain">
              {held.map(({ role, assignment }) => (
                <li key={role.id} className="tree-row">
                  <Link to={`/console/roles/${role.id}`}>{role.name}</Link>
                  <ConfirmDelete
                    label="Unassign"
                    what={`the role ${role.name}`}
                    onConfirm={async () => {
                      await api.call("/api/v1/orgs/{org}/roles/{role_id}/assignments/{assignment_id}", "delete", {
                        path: { org, role_id: role.id, assignment_id: assignment?.id ?? "" },
                      });
                      reload();
                    }}
                  />
                </li>
              ))}
            </ul>
          )}
          {data.more && <p className="muted">Only the first 100 roles are shown.</p>}
          {free.length > 0 && (
            <form onSubmit={assign} noValidate className="inline-form" aria-label="Assign a role">
              <ProblemBanner error={assignError} />
              <Field label="Assign role" error={fieldError(assignError, "role")}>
                {(p) => (
                  <select {...p} value={roleId} onChange={(e) => setRoleId(e.target.value)}>
                    <option value="">Choose…</option>
                    {free.map(({ role }) => (
                      <option key={role.id} value={role.id}>
                        {role.name}
                      </option>
                    ))}
                  </select>
                )}
              </Field>
              <button type="submit" disabled={busy}>
                Assign
              </button>
            </form>
          )}
        </>
      )}
    </section>
  );
}
