import { useEffect, useMemo, useState } from "react";
import { createClient, type ApiClient, type OrgOut } from "./api/client";
import { ConsoleContext } from "./context";
import { Link, useRouter } from "./router";
import { ApplicationCreate, ApplicationList } from "./sections/Applications";
import { Flows } from "./sections/Flows";
import { Overview } from "./sections/Overview";
import { UserCreateForm, UserList } from "./sections/Users";

const NAV = [
  { to: "/console/", label: "Overview" },
  { to: "/console/applications", label: "Applications" },
  { to: "/console/users", label: "Users" },
  { to: "/console/flows", label: "Flows" },
];

function Page() {
  const { path } = useRouter();
  const clean = path.replace(/\/+$/, "");
  if (clean === "/console/flows" || clean.startsWith("/console/flows/")) return <Flows />;
  switch (clean) {
    case "/console/applications":
      return <ApplicationList />;
    case "/console/applications/new":
      return <ApplicationCreate />;
    case "/console/users":
      return <UserList />;
    case "/console/users/new":
      return <UserCreateForm />;
    case "/console":
      return <Overview />;
    default:
      return (
        <section>
          <h1>Not found</h1>
          <p>
            <Link to="/console/">Back to the overview</Link>
          </p>
        </section>
      );
  }
}

function OrgSwitcher({ api, org, onChange }: { api: ApiClient; org: string; onChange: (org: string) => void }) {
  const [orgs, setOrgs] = useState<OrgOut[]>([]);
  useEffect(() => {
    let live = true;
    api.call("/api/v1/orgs", "get", { query: { limit: 200 } }).then(
      (p) => live && setOrgs(p.items),
      () => undefined, // without orgs:read the switcher just stays hidden
    );
    return () => {
      live = false;
    };
  }, [api]);
  if (orgs.length < 2) return null;
  return (
    <div className="org-switcher">
      <label htmlFor="org-switcher">Organization</label>
      <select id="org-switcher" value={org} onChange={(e) => onChange(e.target.value)}>
        {orgs.map((o) => (
          <option key={o.id} value={o.handle}>
            {o.name}
          </option>
        ))}
      </select>
    </div>
  );
}

export function App({
  token,
  user,
  homeOrg,
  onSignOut,
  onUnauthorized,
}: {
  token: string;
  user: string;
  homeOrg: string;
  onSignOut: () => void;
  onUnauthorized: () => void;
}) {
  const [org, setOrg] = useState(homeOrg);
  const api = useMemo(() => createClient(() => token, onUnauthorized), [token, onUnauthorized]);
  const value = useMemo(() => ({ api, org }), [api, org]);
  return (
    <ConsoleContext.Provider value={value}>
      <a href="#main" className="skip">
        Skip to content
      </a>
      <header className="top">
        <span className="brand">Identra console</span>
        <OrgSwitcher api={api} org={org} onChange={setOrg} />
        <span className="user">
          Signed in as <strong>{user}</strong>
        </span>
        <button type="button" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      <div className="layout">
        <nav aria-label="Sections" className="side">
          <ul>
            {NAV.map((n) => (
              <li key={n.to}>
                <Link to={n.to}>{n.label}</Link>
              </li>
            ))}
          </ul>
        </nav>
        <main id="main" key={org}>
          <Page />
        </main>
      </div>
    </ConsoleContext.Provider>
  );
}
