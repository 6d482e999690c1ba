import { useState, type FormEvent } from "react";
import type { GroupOut } from "../api/client";
import { ConfirmDelete, Field, PagedTable, ProblemBanner, fieldError, invalid, useSubmit } from "../components";
import { useConsole } from "../context";
import { Link, useRouter } from "../router";
import { CONTROL, CreatePage, ResourceForm, ResourceList, ResourcePage, useForm, usePagedList, userIdOf, type Kind } from "./common";

export function Groups({ rest }: { rest: string }) {
  if (rest === "") return <GroupList />;
  if (rest === "new") return <GroupForm />;
  return <GroupDetail id={rest} />;
}

function GroupList() {
  return (
    <ResourceList
      path="/api/v1/orgs/{org}/groups"
      titleId="groups-title"
      title="Groups"
      create={["/console/groups/new", "Create group"]}
      search="Group name starts with"
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
  const state = useForm();
  const submit = () =>
    void state.run(async () => {
      if (group) {
        const updated = await api.call("/api/v1/orgs/{org}/groups/{group_id}", "patch", {
          path: { org, group_id: group.id },
          body: { name, description },
          version: group.version,
        });
        state.setSaved(true);
        onSaved?.(updated);
      } else {
        const created = await api.call("/api/v1/orgs/{org}/groups", "post", { path: { org }, body: { name, description } });
        navigate(`/console/groups/${created.id}`);
      }
    }, check(name, description));
  const form = (
    <ResourceForm label={group ? "Group settings" : "New group"} editing={Boolean(group)} state={state} onSubmit={submit} cancel="/console/groups">
      <Field label="Name" error={fieldError(state.error, "name")}>
        {(p) => <input {...p} value={name} onChange={(e) => setName(e.target.value)} required />}
      </Field>
      <Field label="Description" error={fieldError(state.error, "description")}>
        {(p) => <textarea {...p} rows={2} value={description} onChange={(e) => setDescription(e.target.value)} />}
      </Field>
    </ResourceForm>
  );
  if (group) return form;
  return (
    <CreatePage titleId="new-group-title" title="Create group">
      {form}
    </CreatePage>
  );
}

const GROUP: Kind<GroupOut> = {
  noun: "Group",
  titleId: "group-title",
  list: ["/console/groups", "Groups"],
  url: "/api/v1/orgs/{org}/groups/{id}",
  name: (g) => g.name,
};

function GroupDetail({ id }: { id: string }) {
  return (
    <ResourcePage kind={GROUP} id={id}>
      {(group, reload) => (
        <>
          <GroupForm key={group.id} group={group} onSaved={reload} />
          <Members groupId={group.id} onChange={reload} />
        </>
      )}
    </ResourcePage>
  );
}

function Members({ groupId, onChange }: { groupId: string; onChange: () => void }) {
  const { api, org } = useConsole();
  const paged = usePagedList("/api/v1/orgs/{org}/groups/{group_id}/members", {}, { group_id: groupId });
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
