// Pieces the resource sections share: lists with search and pages, the create/edit form frame,
// a resource's page with its delete step, write-only secrets, name look-ups.
import { useEffect, useState, type FormEvent, type ReactNode } from "react";
import type { ApiClient, ItemOf, ListPath, ListQuery } from "../api/client";
import { ConfirmDelete, Field, PagedTable, ProblemBanner, Saved, ShownOnce, Toggle, useLoad, usePaged, useSubmit, type Paged } from "../components";
import { useConsole } from "../context";
import { Link, useRouter } from "../router";

export const PAGE = 20;
export const CONTROL = /[\x00-\x1f\x7f]/; // eslint-disable-line no-control-regex

export function ListHeader({ id, title, create, createLabel }: { id: string; title: string; create?: string; createLabel?: string }) {
  return (
    <div className="title-row">
      <h1 id={id}>{title}</h1>
      {create && (
        <Link to={create} className="button">
          {createLabel}
        </Link>
      )}
    </div>
  );
}

/** A search box that applies its value on submit. */
export function SearchForm({ label, onSearch, children }: { label: string; onSearch: (value: string) => void; children?: ReactNode }) {
  const [value, setValue] = useState("");
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onSearch(value.trim());
  };
  const id = `search-${label.replace(/\W+/g, "-").toLowerCase()}`;
  return (
    <form role="search" onSubmit={submit} className="search">
      <label htmlFor={id}>{label}</label>
      <input id={id} type="search" value={value} onChange={(e) => setValue(e.target.value)} />
      {children}
      <button type="submit">Search</button>
    </form>
  );
}

/** The user id of a username in the org, or null. */
export async function userIdOf(api: ApiClient, org: string, username: string): Promise<string | null> {
  const page = await api.call("/api/v1/orgs/{org}/users", "get", { path: { org }, query: { username, limit: 1 } });
  return page.items[0]?.id ?? null;
}

export async function groupIdOf(api: ApiClient, org: string, name: string): Promise<string | null> {
  const page = await api.call("/api/v1/orgs/{org}/groups", "get", { path: { org }, query: { name, limit: 1 } });
  return page.items[0]?.id ?? null;
}

/** A user's or group's name for an id, loaded on demand (the id when it cannot be read). */
export function NameOf({ api, org, kind, id }: { api: ApiClient; org: string; kind: "user" | "group"; id: string }) {
  const [name, setName] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    const load =
      kind === "user"
        ? api.call("/api/v1/orgs/{org}/users/{user_id}", "get", { path: { org, user_id: id } }).then((u) => u.username)
        : api.call("/api/v1/orgs/{org}/groups/{group_id}", "get", { path: { org, group_id: id } }).then((g) => g.name);
    load.then(
      (n) => live && setName(n),
      () => live && setName(id),
    );
    return () => {
      live = false;
    };
  }, [api, org, kind, id]);
  const to = kind === "user" ? `/console/users/${id}` : `/console/groups/${id}`;
  return <Link to={to}>{name ?? "…"}</Link>;
}

/** An absolute https URL, or http on a loopback host (what the API accepts for endpoints). */
export function httpsOrLoopback(value: string): boolean {
  try {
    const u = new URL(value);
    return u.protocol === "https:" || (u.protocol === "http:" && ["localhost", "127.0.0.1", "[::1]"].includes(u.hostname));
  } catch {
    return false;
  }
}

/**
 * A page of the list at `path` in the current organization: `query` holds the filters (and `q`,
 * the case-insensitive prefix search); a change of filters starts again at the first page.
 * `params` fills the path's other parameters (a group's members...).
 */
export function usePagedList<P extends ListPath>(
  path: P,
  query: Partial<ListQuery<P>> = {},
  params: Record<string, string> = {},
): Paged<ItemOf<P>> {
  const { api, org } = useConsole();
  const load = (cursor: string | null) =>
    api.send<{ items: ItemOf<P>[]; next_cursor?: string | null }>("GET", listUrl(path, { org, ...params }, { limit: PAGE, cursor, ...query }));
  return usePaged(load, `${org}|${JSON.stringify(params)}|${JSON.stringify(query)}`);
}

function listUrl(path: string, params: Record<string, string>, query: Record<string, unknown>): string {
  const url = path.replace(/\{(\w+)\}/g, (_m, name: string) => encodeURIComponent(params[name] ?? ""));
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v !== undefined && v !== null && v !== "") q.set(k, String(v));
  }
  return [...q].length ? `${url}?${q.toString()}` : url;
}

/**
 * A list section: its title (and create link), an introduction, the prefix search box (`q`) and
 * filters (`query`, applied as they change), and the paged table of `path`.
 */
export function ResourceList<P extends ListPath>({
  path,
  query = {},
  titleId,
  title,
  create,
  intro,
  search,
  filters,
  columns,
  empty,
  row,
}: {
  path: P;
  query?: Partial<ListQuery<P>>;
  titleId: string;
  title: string;
  create?: [to: string, label: string];
  intro?: string;
  /** The label of the search box; its value goes as `q` on submit. */
  search: string;
  filters?: ReactNode;
  columns: string[];
  empty: string;
  row: (item: ItemOf<P>) => ReactNode;
}) {
  const [q, setQ] = useState("");
  const paged = usePagedList(path, { ...query, q });
  return (
    <section aria-labelledby={titleId}>
      <ListHeader id={titleId} title={title} {...(create ? { create: create[0], createLabel: create[1] } : {})} />
      {intro && <p className="muted">{intro}</p>}
      <SearchForm label={search} onSearch={setQ}>
        {filters}
      </SearchForm>
      <PagedTable label={title} paged={paged} columns={columns} empty={empty} row={row} />
    </section>
  );
}

/** A labelled select applied as it changes (a list's filter). */
export function Filter({ id, label, value, onChange, options }: { id: string; label: string; value: string; onChange: (v: string) => void; options: [string, string][] }) {
  return (
    <>
      <label htmlFor={id}>{label}</label>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">Any</option>
        {options.map(([v, text]) => (
          <option key={v} value={v}>
            {text}
          </option>
        ))}
      </select>
    </>
  );
}

/** A create or edit form's state: the submit (busy, error) and "Saved." after an edit. */
export function useForm() {
  const submit = useSubmit();
  const [saved, setSaved] = useState(false);
  return { ...submit, saved, setSaved };
}
export type FormState = ReturnType<typeof useForm>;

/**
 * The frame of a create or edit form: the problem above, the fields, Create (with Cancel back to
 * the list) or Save (with "Saved."). `onSubmit` runs after the default is prevented and "Saved." cleared.
 */
export function ResourceForm({
  label,
  labelledBy,
  editing,
  state,
  onSubmit,
  cancel,
  children,
}: {
  label?: string;
  labelledBy?: string;
  editing: boolean;
  state: FormState;
  onSubmit: () => void;
  /** Where Cancel goes on a create form. */
  cancel?: string;
  children: ReactNode;
}) {
  const submit = (e: FormEvent) => {
    e.preventDefault();
    state.setSaved(false);
    onSubmit();
  };
  return (
    <form onSubmit={submit} noValidate {...(labelledBy ? { "aria-labelledby": labelledBy } : { "aria-label": label })}>
      <ProblemBanner error={state.error} />
      {children}
      <div className="actions">
        <button type="submit" disabled={state.busy}>
          {editing ? "Save" : "Create"}
        </button>
        {!editing && cancel && <Link to={cancel}>Cancel</Link>}
      </div>
      {editing && <Saved show={state.saved} />}
    </form>
  );
}

/** A page with a title around a create form (or anything). */
export function CreatePage({ titleId, title, children }: { titleId: string; title: string; children: ReactNode }) {
  return (
    <section aria-labelledby={titleId}>
      <h1 id={titleId}>{title}</h1>
      {children}
    </section>
  );
}

/**
 * A resource's page: "Loading…" (or the problem) under a plain title until `loaded` has the
 * resource, then the way back to the list, the title, the content and the delete step.
 */
export function DetailPage<T>({
  titleId,
  noun,
  back,
  loaded,
  heading,
  children,
  remove,
}: {
  titleId: string;
  noun: string;
  back: [to: string, label: string];
  loaded: { data: T | null; error: unknown };
  heading: (item: T) => ReactNode;
  children: (item: T) => ReactNode;
  /** What is deleted ("the group staff") and the API call; the page then goes back to the list. */
  remove?: (item: T) => [what: string, call: () => Promise<unknown>];
}) {
  const { navigate } = useRouter();
  const item = loaded.data;
  if (item === null) {
    return (
      <section aria-labelledby={titleId}>
        <h1 id={titleId}>{noun}</h1>
        <ProblemBanner error={loaded.error} />
        {!loaded.error && <p aria-busy="true">Loading…</p>}
      </section>
    );
  }
  const deletion = remove?.(item);
  return (
    <section aria-labelledby={titleId}>
      <p>
        <Link to={back[0]}>← {back[1]}</Link>
      </p>
      <h1 id={titleId}>{heading(item)}</h1>
      {children(item)}
      {deletion && (
        <>
          <h2>Delete</h2>
          <ConfirmDelete
            what={deletion[0]}
            onConfirm={async () => {
              await deletion[1]();
              navigate(back[0]);
            }}
          />
        </>
      )}
    </section>
  );
}

/**
 * A write-only secret: a password field that is never filled from the API, a hint saying whether
 * one is set, and (when one is set and `remove` is given) a toggle to remove it.
 */
export function SecretField({
  label,
  value,
  onChange,
  isSet,
  error,
  hint,
  remove,
}: {
  label: string;
  value: string;
  onChange: (v: string) => void;
  isSet: boolean;
  error?: string | undefined;
  /** [when one is set, when none is] (defaults speak of "a secret"). */
  hint?: [string, string];
  remove?: [label: string, checked: boolean, onChange: (v: boolean) => void];
}) {
  const [whenSet, whenNot] = hint ?? ["A secret is set; it is never shown. Enter a new one to replace it.", "Write-only: never shown again."];
  return (
    <>
      <Field label={label} hint={isSet ? whenSet : whenNot} error={error}>
        {(p) => <input {...p} type="password" autoComplete="new-password" value={value} onChange={(e) => onChange(e.target.value)} />}
      </Field>
      {isSet && remove && <Toggle label={remove[0]} checked={remove[1]} onChange={remove[2]} />}
    </>
  );
}

/** A new secret on demand (the old one stops working): the new one shown once by the caller. */
export function RotateButton({ label, onRotate }: { label: string; onRotate: () => Promise<void> }) {
  const rotate = useSubmit();
  return (
    <>
      <ProblemBanner error={rotate.error} />
      <button type="button" className="secondary" disabled={rotate.busy} onClick={() => void rotate.run(onRotate)}>
        {label}
      </button>
    </>
  );
}

/** The page after creating something with a secret: the secret shown once, then Done. */
export function SecretCreated({ titleId, title, label, value, testId, done }: { titleId: string; title: string; label: string; value: string; testId: string; done: string }) {
  return (
    <CreatePage titleId={titleId} title={title}>
      <ShownOnce label={label} value={value} testId={testId} />
      <Link to={done} className="button">
        Done
      </Link>
    </CreatePage>
  );
}

/** What a resource's page needs to know about its kind. */
export interface Kind<T extends { id: string }> {
  /** "Group": the title before the name, and "the group …" in the delete question. */
  noun: string;
  titleId: string;
  /** The list: its path and its name ("← Groups"). */
  list: [to: string, label: string];
  /** The resource in the management API, with {org} and {id}. */
  url: string;
  name: (item: T) => string;
  /** The title when it is not "{noun} {name}". */
  heading?: (item: T) => ReactNode;
  /** What is deleted when it is not "the {noun} {name}". */
  what?: (item: T) => string;
}

/** A resource's page read from the API (GET), with its delete step (DELETE, then back to the list). */
export function ResourcePage<T extends { id: string }>({ kind, id, children }: { kind: Kind<T>; id: string; children: (item: T, reload: () => void) => ReactNode }) {
  const { api, org } = useConsole();
  const url = (rid: string) => kind.url.replace("{org}", encodeURIComponent(org)).replace("{id}", encodeURIComponent(rid));
  const loaded = useLoad(() => api.send<T>("GET", url(id)), `${org}|${id}`);
  return (
    <DetailPage
      titleId={kind.titleId}
      noun={kind.noun}
      back={kind.list}
      loaded={loaded}
      heading={kind.heading ?? ((item) => `${kind.noun} ${kind.name(item)}`)}
      remove={(item) => [kind.what?.(item) ?? `the ${kind.noun.toLowerCase()} ${kind.name(item)}`, () => api.send("DELETE", url(item.id))]}
    >
      {(item) => children(item, loaded.reload)}
    </DetailPage>
  );
}
