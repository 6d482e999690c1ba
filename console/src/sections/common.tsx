// Pieces the resource sections share: the list header, search form and name look-ups.
import { useEffect, useState, type FormEvent, type ReactNode } from "react";
import type { ApiClient } from "../api/client";
import { Link } from "../router";

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
