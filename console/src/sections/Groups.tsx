import { useState, type FormEvent } from "react";
import type { GroupOut } from "../api/client";
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
import { CONTROL, ListHeader, PAGE, SearchForm, userIdOf } from "./common";

export function Groups({ rest }: { rest: string }) {
  if (rest === "") return <GroupList />;
  if (rest === "new") return <GroupForm />;
  return <GroupDetail id={rest} />;
}

function GroupList() {
  const { api, org } = useConsole();
  const [q, setQ] = useState("");
  const paged = usePaged(
    (cursor) => api.call("/api/v1/orgs/{org}/groups", "get", { path: { org }, query: { limit: PAGE, cursor, q: q || null } }),
    `${org}|${q}`,
  );
  return (
    <section aria-labelledby="groups-title">
      <ListHeader id="groups-title" title="Groups" create="/console/groups/new" createLabel="Create group" />
      <SearchForm label="Group name starts with" onSearch={setQ} />
      <PagedTable
        label="Groups"
        paged={paged}
        columns={["Name", "Description"]}
        empty="No groups found."
        row={(g) => (
          <tr key={g.id}>
            <td>
              <Link to={`/console/groups/${g.id}`}>{g.name}</Link>
            </td>
            <td>{g.description}</td>
          </tr>
        )}
      />
    </section>
  );
}

function check(name: string, description: string) {
  return invalid({
    name: !name.trim() ? "Enter a name." : CONTROL.test(name) ? "No control characters." : name.length > 255 && "At most 255 characters.",
    description: description.length > 1000 && "At most 1000 characters.",
  });
}

/** Create a group, or edit one (`group`). */
function GroupForm({ group, onSaved }: { group?: GroupOut; onSaved?: (g: GroupOut) => void }) {
  const { api, org } = useConsole();
  const { navigate } = useRouter();
  const [name, setName] = useState(group?.name ?? "");
  const [description, setDescription] = useState(group?.description ?? "");
  const [saved, setSaved] = useState(false);
  const { busy, error, run } = useSubmit();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setSaved(false);
    void run(async () => {
      if (group) {
        const updated = await api.call("/api/v1/orgs/{org}/groups/{group_id}", "patch", {
          path: { org, group_id: group.id },
          body: { name, description },
          version: group.version,
        });
        setSaved(true);
        onSaved?.(updated);
      } else {
        const created = await api.call("/api/v1/orgs/{org}/groups", "post", { path: { org }, body: { name, description } });
        navigate(`/console/groups/${created.id}`);
      }
    }, check(name, description));
  };
  const form = (
    <form onSubmit={submit} noValidate aria-label={group ? "Group settings" : "New group"}>
      <ProblemBanner error={error} />
      <Field label="Name" error={fieldError(error, "name")}>
        {(p) => <input {...p} value={name} onChange={(e) => setName(e.target.value)} required />}
      </Field>
      <Field label="Description" error={fieldError(error, "description")}>
        {(p) => <textarea {...p} rows={2} value={description} onChange={(e) => setDescription(e.target.value)} />}
      </Field>
      <div className="actions">
        <button type="submit" disabled={busy}>
          {group ? "Save" : "Create"}
        </button>
        {!group && <Link to="/console/groups">Cancel</Link>}
      </div>
      {group && <Saved show={saved} />}
    </form>
  );
  if (group) return form;
  return (
    <section aria-labelledby="new-group-title">
      <h1 id="new-group-title">Create group</h1>
      {form}
    </section>
  );
}

function GroupDetail({ id }: { id: string }) {
  const { api, org } = useConsole();
  const { navigate } = useRouter();
  const { data: group, error, reload } = useLoad(
    () => api.call("/api/v1/orgs/{org}/groups/{group_id}", "get", { path: { org, group_id: id } }),
    `${org}|${id}`,
  );
  if (!group) {
    return (
      <section aria-labelledby="group-title">
        <h1 id="group-title">Group</h1>
        <ProblemBanner error={error} />
        {!error && <p aria-busy="true">Loading…</p>}
      </section>
    );
  }
  return (
    <section aria-labelledby="group-title">
      <p>
        <Link to="/console/groups">← Groups</Link>
      </p>
      <h1 id="group-title">Group {group.name}</h1>
      <GroupForm key={group.id} group={group} onSaved={reload} />
      <Members groupId={group.id} onChange={reload} />
      <h2>Delete</h2>
      <ConfirmDelete
        what={`the group ${group.name}`}
        onConfirm={async () => {
          await api.call("/api/v1/orgs/{org}/groups/{group_id}", "delete", { path: { org, group_id: group.id } });
          navigate("/console/groups");
        }}
      />
    </section>
  );
}

function Members({ groupId, onChange }: { groupId: string; onChange: () => void }) {
  const { api, org } = useConsole();
  const paged = usePaged(
    (cursor) =>
      api.call("/api/v1/orgs/{org}/groups/{group_id}/members", "get", { path: { org, group_id: groupId }, query: { limit: PAGE, cursor } }),
    `${org}|${groupId}`,
  );
  const [username, setUsername] = useState("");
  const { busy, error, run } = useSubmit();
  const add = (e: FormEvent) => {
    e.preventDefault();
    void run(
      async () => {
        const userId = await userIdOf(api, org, username.trim());
        if (!userId) throw invalid({ user_id: `There is no user named ${username.trim()}.` });
        await api.call("/api/v1/orgs/{org}/groups/{group_id}/members", "post", {
          path: { org, group_id: groupId },
          body: { user_id: userId },
        });
        setUsername("");
        paged.reload();
        onChange();
      },
      invalid({ user_id: !username.trim() && "Enter a username." }),
    );
  };
  return (
    <section aria-labelledby="members-title">
      <h2 id="members-title">Members</h2>
      <PagedTable
        label="Member list"
        paged={paged}
        columns={["Username", ""]}
        empty="No members yet."
        row={(m) => (
          <tr key={m.user_id}>
            <td>
              <Link to={`/console/users/${m.user_id}`}>{m.username}</Link>
            </td>
            <td>
              <ConfirmDelete
                label="Remove"
                what={`${m.username} from the group`}
                onConfirm={async () => {
                  await api.call("/api/v1/orgs/{org}/groups/{group_id}/members/{user_id}", "delete", {
                    path: { org, group_id: groupId, user_id: m.user_id },
                  });
                  paged.reload();
                  onChange();
                }}
              />
            </td>
          </tr>
        )}
      />
      <form onSubmit={add} noValidate className="inline-form" aria-label="Add a member">
        <ProblemBanner error={error} />
        <Field label="Add member (username)" error={fieldError(error, "user_id")}>
          {(p) => <input {...p} autoComplete="off" value={username} onChange={(e) => setUsername(e.target.value)} />}
        </Field>
        <button type="submit" disabled={busy}>
          Add member
        </button>
      </form>
    </section>
  );
}
