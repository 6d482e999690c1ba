import {
  Suspense,
  lazy,
  useCallback,
  useEffect,
  useMemo,
  useRef,
  useState,
  type ReactNode,
  type RefObject,
} from "react";
import { createClient, type ApiClient, type OrgOut } from "./api/client";
import { ConsoleContext } from "./context";
import { Link, useRouter } from "./router";
import { ApplicationCreate, ApplicationList } from "./sections/Applications";
import { Flows } from "./sections/Flows";
import { Overview } from "./sections/Overview";
import { UserCreateForm, UserDetail, UserList } from "./sections/Users";

// Sections beyond the first slice load on demand, so the first page stays small.
const ApplicationDetail = lazy(() => import("./sections/ApplicationDetail").then((m) => ({ default: m.ApplicationDetail })));
const Actions = lazy(() => import("./sections/Actions").then((m) => ({ default: m.Actions })));
const Branding = lazy(() => import("./sections/Branding").then((m) => ({ default: m.Branding })));
const AuditLog = lazy(() => import("./sections/Audit").then((m) => ({ default: m.AuditLog })));
const Groups = lazy(() => import("./sections/Groups").then((m) => ({ default: m.Groups })));
const IdentityProviders = lazy(() => import("./sections/IdentityProviders").then((m) => ({ default: m.IdentityProviders })));
const Organizations = lazy(() => import("./sections/Organizations").then((m) => ({ default: m.Organizations })));
const Roles = lazy(() => import("./sections/Roles").then((m) => ({ default: m.Roles })));
const UserStores = lazy(() => import("./sections/UserStores").then((m) => ({ default: m.UserStores })));
const Webhooks = lazy(() => import("./sections/Webhooks").then((m) => ({ default: m.Webhooks })));

export const NAV = [
  { to: "/console/", label: "Overview" },
  { to: "/console/applications", label: "Applications" },
  { to: "/console/users", label: "Users" },
  { to: "/console/groups", label: "Groups" },
  { to: "/console/roles", label: "Roles" },
  { to: "/console/user-stores", label: "User stores" },
  { to: "/console/identity-providers", label: "Identity providers" },
  { to: "/console/organizations", label: "Organizations" },
  { to: "/console/branding", label: "Branding" },
  { to: "/console/flows", label: "Flows" },
  { to: "/console/actions", label: "Actions" },
  { to: "/console/webhooks", label: "Webhooks" },
  { to: "/console/audit", label: "Audit log" },
];

/** Sections taking the rest of the path ("" for the list, "new", or an id). */
const SECTIONS: [string, (rest: string) => ReactNode][] = [
  ["/console/groups", (rest) => <Groups rest={rest} />],
  ["/console/roles", (rest) => <Roles rest={rest} />],
  ["/console/user-stores", (rest) => <UserStores rest={rest} />],
  ["/console/identity-providers", (rest) => <IdentityProviders rest={rest} />],
  ["/console/organizations", () => <Organizations />],
  ["/console/branding", () => <Branding />],
  ["/console/actions", (rest) => <Actions rest={rest} />],
  ["/console/webhooks", (rest) => <Webhooks rest={rest} />],
  ["/console/audit", () => <AuditLog />],
  ["/console/flows", () => <Flows />],
];

function Page() {
  const { path } = useRouter();
  const clean = path.replace(/\/+$/, "");
  for (const [prefix, render] of SECTIONS) {
    if (clean === prefix || clean.startsWith(`${prefix}/`)) {
      return render(decodeURIComponent(clean.slice(prefix.length + 1)));
    }
  }
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
  }
  if (clean.startsWith("/console/applications/")) {
    return <ApplicationDetail id={decodeURIComponent(clean.slice("/console/applications/".length))} />;
  }
  if (clean.startsWith("/console/users/")) return <UserDetail id={decodeURIComponent(clean.slice("/console/users/".length))} />;
  return (
    <section>
      <h1>Not found</h1>
      <p>
        <Link to="/console/">Back to the overview</Link>
      </p>
    </section>
  );
}

function OrgSwitcher({ api, org, version, onChange }: { api: ApiClient; org: string; version: number; onChange: (org: string) => void }) {
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
  }, [api, version]);
  if (orgs.length < 2) return null;
  return (
    <div className="org-switcher">
      <label htmlFor="org-switcher">Organization</label>
      <select id="org-switcher" value={org} onChange={(e) => onChange(e.target.value)}>
        {!orgs.some((o) => o.handle === org) && <option value={org}>{org}</option>}
        {orgs.map((o) => (
          <option key={o.id} value={o.handle}>
            {o.name}
          </option>
        ))}
      </select>
    </div>
  );
}

/** The section navigation: a side bar on wide screens, behind the header's menu button on narrow ones. */
function Navigation({ open, setOpen, button }: { open: boolean; setOpen: (open: boolean) => void; button: RefObject<HTMLButtonElement | null> }) {
  const { path } = useRouter();
  const nav = useRef<HTMLElement>(null);
  // Following a link closes the menu (the new page is announced by its heading).
  const [shownFor, setShownFor] = useState(path);
  if (shownFor !== path) {
    setShownFor(path);
    setOpen(false);
  }
  useEffect(() => {
    if (!open) return;
    nav.current?.querySelector<HTMLElement>("a")?.focus();
    // Escape closes the open menu wherever the focus is, and gives focus back to its button.
    const onKeyDown = (e: globalThis.KeyboardEvent) => {
      if (e.key === "Escape") {
        setOpen(false);
        button.current?.focus();
      }
    };
    document.addEventListener("keydown", onKeyDown);
    return () => document.removeEventListener("keydown", onKeyDown);
  }, [open, setOpen, button]);
  const current = (to: string) => {
    const p = path.replace(/\/+$/, "") || "/console";
    const t = to.replace(/\/+$/, "");
    return p === t || (t !== "/console" && p.startsWith(`${t}/`));
  };
  return (
    <nav aria-label="Sections" id="sections-nav" className={open ? "side open" : "side"} ref={nav}>
      <ul>
        {NAV.map((n) => (
          <li key={n.to}>
            <Link to={n.to} current={current(n.to)}>
              {n.label}
            </Link>
          </li>
        ))}
      </ul>
    </nav>
  );
}

export function App({
  token,
  user,
  subject,
  homeOrg,
  issuer,
  onSignOut,
  onUnauthorized,
}: {
  token: string;
  user: string;
  /** The signed-in user's id: when the ID token names no username, the API is asked for it. */
  subject?: string;
  homeOrg: string;
  /** The issuer from /console/config.json (links to the hosted pages). */
  issuer?: string;
  onSignOut: () => void;
  onUnauthorized: () => void;
}) {
  const [org, setOrg] = useState(homeOrg);
  const [orgsVersion, setOrgsVersion] = useState(0);
  const api = useMemo(() => createClient(() => token, onUnauthorized), [token, onUnauthorized]);
  const orgsChanged = useCallback(() => setOrgsVersion((v) => v + 1), []);
  const value = useMemo(() => ({ api, org, switchOrg: setOrg, orgsChanged, ...(issuer ? { issuer } : {}) }), [api, org, orgsChanged, issuer]);
  const [username, setUsername] = useState<string | null>(null);
  const [menuOpen, setMenuOpen] = useState(false);
  const menuButton = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (!subject || user !== subject) return;
    let live = true;
    api.call("/api/v1/orgs/{org}/users/{user_id}", "get", { path: { org: homeOrg, user_id: subject } }).then(
      (u) => live && setUsername(u.username),
      () => undefined, // without users:read the id stays
    );
    return () => {
      live = false;
    };
  }, [api, homeOrg, subject, user]);
  return (
    <ConsoleContext.Provider value={value}>
      <a href="#main" className="skip">
        Skip to content
      </a>
      <header className="top">
        <button
          type="button"
          className="menu-button secondary"
          ref={menuButton}
          aria-expanded={menuOpen}
          aria-controls="sections-nav"
          onClick={() => setMenuOpen(!menuOpen)}
        >
          {menuOpen ? "Close menu" : "Menu"}
        </button>
        <span className="brand">Identra console</span>
        <OrgSwitcher api={api} org={org} version={orgsVersion} onChange={setOrg} />
        <span className="user">
          Signed in as <strong>{username ?? user}</strong>
        </span>
        <button type="button" className="secondary" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      <div className="layout">
        <Navigation open={menuOpen} setOpen={setMenuOpen} button={menuButton} />
        <main id="main" key={org}>
          <Suspense fallback={<p role="status">Loading…</p>}>
            <Page />
          </Suspense>
        </main>
      </div>
    </ConsoleContext.Provider>
  );
}
