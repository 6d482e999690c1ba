import { useEffect, useState } from "react";
import type { ApiClient, OrgOut } from "../api/client";
import { ProblemBanner } from "../components";
import { useConsole } from "../context";
import { Link } from "../router";

const LIMIT = 200;

type PageLike = { items: unknown[]; next_cursor?: string | null };
function count(page: PageLike): string {
  return page.next_cursor ? `${LIMIT}+` : String(page.items.length);
}

/** The sections with a count: a page of at most LIMIT items each, "200+" beyond. */
const COUNTED: { key: string; label: string; to: string; load: (api: ApiClient, org: string) => Promise<PageLike> }[] = [
  { key: "applications", label: "Applications", to: "/console/applications", load: (api, org) => api.call("/api/v1/orgs/{org}/applications", "get", { path: { org }, query: { limit: LIMIT } }) },
  { key: "users", label: "Users", to: "/console/users", load: (api, org) => api.call("/api/v1/orgs/{org}/users", "get", { path: { org }, query: { limit: LIMIT } }) },
  { key: "groups", label: "Groups", to: "/console/groups", load: (api, org) => api.call("/api/v1/orgs/{org}/groups", "get", { path: { org }, query: { limit: LIMIT } }) },
  { key: "roles", label: "Roles", to: "/console/roles", load: (api, org) => api.call("/api/v1/orgs/{org}/roles", "get", { path: { org }, query: { limit: LIMIT } }) },
  { key: "user-stores", label: "User stores", to: "/console/user-stores", load: (api, org) => api.call("/api/v1/orgs/{org}/user-stores", "get", { path: { org }, query: { limit: LIMIT } }) },
  {
    key: "identity-providers",
    label: "Identity providers",
    to: "/console/identity-providers",
    load: (api, org) => api.call("/api/v1/orgs/{org}/identity-providers", "get", { path: { org }, query: { limit: LIMIT } }),
  },
  { key: "organizations", label: "Sub-organizations", to: "/console/organizations", load: (api, org) => api.call("/api/v1/orgs/{org}/children", "get", { path: { org }, query: { limit: LIMIT } }) },
  { key: "actions", label: "Actions", to: "/console/actions", load: (api, org) => api.call("/api/v1/orgs/{org}/actions", "get", { path: { org }, query: { limit: LIMIT } }) },
  { key: "webhooks", label: "Webhooks", to: "/console/webhooks", load: (api, org) => api.call("/api/v1/orgs/{org}/webhooks", "get", { path: { org }, query: { limit: LIMIT } }) },
];

export function Overview() {
  const { api, org } = useConsole();
  const [current, setCurrent] = useState<OrgOut | null>(null);
  const [counts, setCounts] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    let live = true;
    api.call("/api/v1/orgs/{org}", "get", { path: { org } }).then(
      (o) => live && setCurrent(o),
      (e: unknown) => live && setError(e),
    );
    for (const c of COUNTED) {
      // A section the user may not read shows a dash instead of failing the page.
      c.load(api, org).then(
        (page) => live && setCounts((prev) => ({ ...prev, [c.key]: count(page) })),
        () => live && setCounts((prev) => ({ ...prev, [c.key]: "—" })),
      );
    }
    return () => {
      live = false;
    };
  }, [api, org]);
  return (
    <section aria-labelledby="overview-title">
      <h1 id="overview-title">Overview</h1>
      <ProblemBanner error={error} />
      {current && (
        <p>
          Organization <strong>{current.name}</strong> <span className="muted">({current.handle})</span>
        </p>
      )}
      <ul className="stats">
        {COUNTED.map((c) => (
          <li key={c.key}>
            <Link to={c.to}>
              <span className="stat-label">{c.label}</span>
              <span className="stat-value" data-testid={`count-${c.key}`}>
                {counts[c.key] ?? "…"}
              </span>
            </Link>
          </li>
        ))}
        <li>
          <Link to="/console/flows">
            <span className="stat-label">Login flows</span>
            <span className="stat-value">Design</span>
          </Link>
        </li>
        <li>
          <Link to="/console/audit">
            <span className="stat-label">Audit log</span>
            <span className="stat-value">View</span>
          </Link>
        </li>
      </ul>
    </section>
  );
}
