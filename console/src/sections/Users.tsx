import { useEffect, useState, type FormEvent } from "react";
import type { UserCreate, UserOut } from "../api/client";
import { Field, Pager, ProblemBanner, fieldError, firstPage, nextPage, previousPage, type Cursors } from "../components";
import { useConsole } from "../context";
import { Link, useRouter } from "../router";

const PAGE = 20;

export function UserList() {
  const { api, org } = useConsole();
  const [search, setSearch] = useState("");
  const [query, setQuery] = useState("");
  const [cursors, setCursors] = useState<Cursors>(firstPage);
  const [page, setPage] = useState<{ items: UserOut[]; next: string | null } | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    let live = true;
    api
      .call("/api/v1/orgs/{org}/users", "get", {
        path: { org },
        query: { limit: PAGE, cursor: cursors.current, q: query || null },
      })
      .then(
        (p) => {
          if (!live) return;
          setError(null);
          setPage({ items: p.items, next: p.next_cursor ?? null });
        },
        (e: unknown) => live && setError(e),
      );
    return () => {
      live = false;
    };
  }, [api, org, cursors, query]);
  const onSearch = (event: FormEvent) => {
    event.preventDefault();
    setQuery(search.trim());
    setCursors(firstPage);
  };
  return (
    <section aria-labelledby="users-title">
      <div className="title-row">
        <h1 id="users-title">Users</h1>
        <Link to="/console/users/new" className="button">
          Create user
        </Link>
      </div>
      <form role="search" onSubmit={onSearch} className="search">
        <label htmlFor="user-search">Username starts with</label>
        <input id="user-search" type="search" value={search} onChange={(e) => setSearch(e.target.value)} />
        <button type="submit">Search</button>
      </form>
      <ProblemBanner error={error} />
      {page && (
        <>
          <table>
            <thead>
              <tr>
                <th scope="col">Username</th>
                <th scope="col">Display name</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {page.items.map((user) => (
                <tr key={user.id}>
                  <td>{user.username}</td>
                  <td>{user.display_name ?? ""}</td>
                  <td>{user.status}</td>
                </tr>
              ))}
              {page.items.length === 0 && (
                <tr>
                  <td colSpan={3}>No users found.</td>
                </tr>
              )}
            </tbody>
          </table>
          <Pager
            hasPrevious={cursors.stack.length > 0}
            hasNext={page.next !== null}
            onPrevious={() => setCursors(previousPage(cursors))}
            onNext={() => page.next && setCursors(nextPage(cursors, page.next))}
          />
        </>
      )}
    </section>
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
