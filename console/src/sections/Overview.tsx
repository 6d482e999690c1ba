import { useEffect, useState } from "react";
import type { OrgOut } from "../api/client";
import { ProblemBanner } from "../components";
import { useConsole } from "../context";

interface Counts {
  org: OrgOut;
  applications: string;
  users: string;
}

const LIMIT = 200;

function count(page: { items: unknown[]; next_cursor?: string | null }): string {
  return page.next_cursor ? `${LIMIT}+` : String(page.items.length);
}

export function Overview() {
  const { api, org } = useConsole();
  const [data, setData] = useState<Counts | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    let live = true;
    Promise.all([
      api.call("/api/v1/orgs/{org}", "get", { path: { org } }),
      api.call("/api/v1/orgs/{org}/applications", "get", { path: { org }, query: { limit: LIMIT } }),
      api.call("/api/v1/orgs/{org}/users", "get", { path: { org }, query: { limit: LIMIT } }),
    ]).then(
      ([o, a, u]) => live && setData({ org: o, applications: count(a), users: count(u) }),
      (e: unknown) => live && setError(e),
    );
    return () => {
      live = false;
    };
  }, [api, org]);
  return (
    <section aria-labelledby="overview-title">
      <h1 id="overview-title">Overview</h1>
      <ProblemBanner error={error} />
      {data ? (
        <dl className="stats">
          <div>
            <dt>Organization</dt>
            <dd>
              {data.org.name} <span className="muted">({data.org.handle})</span>
            </dd>
          </div>
          <div>
            <dt>Applications</dt>
            <dd data-testid="count-applications">{data.applications}</dd>
          </div>
          <div>
            <dt>Users</dt>
            <dd data-testid="count-users">{data.users}</dd>
          </div>
        </dl>
      ) : (
        !error && <p aria-busy="true">Loading…</p>
      )}
    </section>
  );
}
