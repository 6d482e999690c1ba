import type React from "react";
import { cleanup, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { App } from "../App";
import { alice, auditor, event, fixtureApi, staff } from "../fixtures";
import { Router } from "../router";
import { fakeFetch, renderWithApi } from "../test-utils";
import { Actions } from "./Actions";
import { ApplicationDetail } from "./ApplicationDetail";
import { ApplicationList } from "./Applications";
import { AuditLog } from "./Audit";
import { Groups } from "./Groups";
import { IdentityProviders } from "./IdentityProviders";
import { Organizations } from "./Organizations";
import { Roles } from "./Roles";
import { UserStores } from "./UserStores";
import { UserDetail } from "./Users";
import { Webhooks } from "./Webhooks";

afterEach(cleanup);

const problem = (status: number, title: string, detail: string, errors: unknown[] = []) => ({
  status,
  body: { type: "about:blank", title, status, detail, errors },
});

describe("Groups", () => {
  it("validates before sending, then shows the API's conflict on the form", async () => {
    const api = fakeFetch(fixtureApi(() => problem(409, "Conflict", "a group named staff exists")));
    renderWithApi(<Groups rest="new" />, api.impl);
    const user = userEvent.setup();
    await user.click(screen.getByRole("button", { name: "Create" }));
    expect(screen.getByLabelText("Name")).toHaveAttribute("aria-invalid", "true");
    expect(screen.getByText("Enter a name.")).toBeInTheDocument();
    expect(api.calls).toHaveLength(0);
    await user.type(screen.getByLabelText("Name"), "staff");
    await user.click(screen.getByRole("button", { name: "Create" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Conflict: a group named staff exists");
    expect(api.calls.at(-1)).toMatchObject({ method: "POST", url: "/api/v1/orgs/root/groups", body: { name: "staff", description: "" } });
  });

  it("adds a member by username and removes one after confirming", async () => {
    const api = fakeFetch(fixtureApi());
    renderWithApi(<Groups rest="g1" />, api.impl);
    const user = userEvent.setup();
    await screen.findByRole("heading", { name: "Group staff" });
    await user.type(screen.getByLabelText("Add member (username)"), "alice");
    await user.click(screen.getByRole("button", { name: "Add member" }));
    await waitFor(() => expect(api.calls.some((c) => c.method === "POST")).toBe(true));
    expect(api.calls.find((c) => c.url.includes("username=alice"))?.url).toBe("/api/v1/orgs/root/users?username=alice&limit=1");
    expect(api.calls.find((c) => c.method === "POST")).toMatchObject({ url: "/api/v1/orgs/root/groups/g1/members", body: { user_id: "u1" } });

    const members = screen.getByRole("region", { name: "Member list" });
    await user.click(within(members).getByRole("button", { name: "Remove" }));
    expect(api.calls.some((c) => c.method === "DELETE")).toBe(false); // asked first
    const confirm = screen.getByRole("group", { name: /remove alice from the group/i });
    expect(within(confirm).getByRole("button", { name: "Cancel" })).toHaveFocus();
    await user.click(within(confirm).getByRole("button", { name: "Yes, remove" }));
    await waitFor(() => expect(api.calls.find((c) => c.method === "DELETE")?.url).toBe("/api/v1/orgs/root/groups/g1/members/u1"));
  });

  it("says so when the username is unknown", async () => {
    const api = fakeFetch((req) =>
      req.url.includes("username=") ? { status: 200, body: { items: [], next_cursor: null } } : fixtureApi()(req),
    );
    renderWithApi(<Groups rest="g1" />, api.impl);
    const user = userEvent.setup();
    await screen.findByRole("heading", { name: "Group staff" });
    await user.type(screen.getByLabelText("Add member (username)"), "nobody");
    await user.click(screen.getByRole("button", { name: "Add member" }));
    expect(await screen.findByText("There is no user named nobody.")).toBeInTheDocument();
    expect(api.calls.some((c) => c.method === "POST")).toBe(false);
  });

  it("sends the version it read as If-Match when saving", async () => {
    const api = fakeFetch(fixtureApi((req) => (req.method === "PATCH" ? { status: 200, body: staff } : undefined)));
    renderWithApi(<Groups rest="g1" />, api.impl);
    const user = userEvent.setup();
    await screen.findByRole("heading", { name: "Group staff" });
    await user.clear(screen.getByLabelText("Description"));
    await user.type(screen.getByLabelText("Description"), "All staff");
    await user.click(screen.getByRole("button", { name: "Save" }));
    expect(await screen.findByText("Saved.")).toBeInTheDocument();
    expect(api.calls.find((c) => c.method === "PATCH")).toMatchObject({ ifMatch: '"3"', body: { name: "staff", description: "All staff" } });
  });
});

describe("Roles", () => {
  it("creates a role with the chosen permissions and shows a 403 from the API", async () => {
    const api = fakeFetch(fixtureApi(() => problem(403, "Forbidden", "you cannot grant permissions you do not hold: keys:write")));
    renderWithApi(<Roles rest="new" />, api.impl);
    const user = userEvent.setup();
    await user.type(screen.getByLabelText("Name"), "ops");
    await user.click(screen.getByLabelText("keys:write"));
    await user.click(screen.getByLabelText("users:read"));
    await user.click(screen.getByRole("button", { name: "Create" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("you cannot grant permissions you do not hold");
    expect(api.calls.at(-1)?.body).toEqual({ name: "ops", description: "", permissions: ["users:read", "keys:write"] });
  });

  it("assigns the role to a group found by name", async () => {
    const api = fakeFetch(fixtureApi((req) => (req.method === "POST" ? { status: 201, body: { id: "as2", role_id: "r1", user_id: null, group_id: "g1" } } : undefined)));
    renderWithApi(<Roles rest="r1" />, api.impl);
    const user = userEvent.setup();
    await screen.findByRole("heading", { name: "Role auditor" });
    expect(await screen.findByRole("link", { name: "alice" })).toHaveAttribute("href", "/console/users/u1");
    await user.click(screen.getByLabelText("a group"));
    await user.type(screen.getByLabelText("Group name"), "staff");
    await user.click(screen.getByRole("button", { name: "Assign" }));
    await waitFor(() => expect(api.calls.find((c) => c.method === "POST")).toMatchObject({ url: "/api/v1/orgs/root/roles/r1/assignments", body: { group_id: "g1" } }));
  });
});

describe("Users", () => {
  it("disables a user and resets a password after checking its length", async () => {
    const api = fakeFetch(fixtureApi((req) => (req.method === "PATCH" ? { status: 200, body: alice } : undefined)));
    renderWithApi(<UserDetail id="u1" />, api.impl);
    const user = userEvent.setup();
    await screen.findByRole("heading", { name: "User alice" });
    await user.click(screen.getByRole("button", { name: "Disable user" }));
    await waitFor(() => expect(api.calls.find((c) => c.method === "PATCH")).toMatchObject({ url: "/api/v1/orgs/root/users/u1", body: { status: "disabled" }, ifMatch: '"3"' }));

    await user.type(screen.getByLabelText("New password"), "short");
    await user.click(screen.getByRole("button", { name: "Set password" }));
    expect(screen.getByText("At least 8 characters.")).toBeInTheDocument();
    expect(api.calls.filter((c) => c.method === "PATCH")).toHaveLength(1);
    await user.clear(screen.getByLabelText("New password"));
    await user.type(screen.getByLabelText("New password"), "a-long-new-password");
    await user.click(screen.getByRole("button", { name: "Set password" }));
    expect(await screen.findByText("The password was changed.")).toBeInTheDocument();
    expect(api.calls.filter((c) => c.method === "PATCH").at(-1)?.body).toEqual({ password: "a-long-new-password" });
  });

  it("lists the user's groups and directly assigned roles", async () => {
    const api = fakeFetch(fixtureApi());
    renderWithApi(<UserDetail id="u1" />, api.impl);
    await screen.findByRole("heading", { name: "User alice" });
    expect(await screen.findByRole("link", { name: staff.name })).toHaveAttribute("href", "/console/groups/g1");
    expect(await screen.findByRole("link", { name: auditor.name })).toHaveAttribute("href", "/console/roles/r1");
    expect(api.calls.some((c) => c.url === "/api/v1/orgs/root/groups?member=u1&limit=20")).toBe(true);
    expect(api.calls.some((c) => c.url === "/api/v1/orgs/root/roles/r1/assignments?user_id=u1&limit=1")).toBe(true);
  });
});

describe("Identity providers", () => {
  it("keeps the write-only secret unless a new one is typed", async () => {
    const api = fakeFetch(fixtureApi((req) => (req.method === "PATCH" ? { status: 200, body: {} } : undefined)));
    renderWithApi(<IdentityProviders rest="i1" />, api.impl);
    const user = userEvent.setup();
    await screen.findByRole("heading", { name: "Identity provider Google" });
    expect(screen.getByLabelText("Client secret")).toHaveValue("");
    await user.click(screen.getByRole("button", { name: "Save" }));
    await waitFor(() => expect(api.calls.some((c) => c.method === "PATCH")).toBe(true));
    const body = api.calls.find((c) => c.method === "PATCH")?.body as Record<string, unknown>;
    expect(body).not.toHaveProperty("client_secret");
    expect(body.config).toMatchObject({ client_id: "gid", issuer: "https://accounts.google.com" });
  });

  it("asks an OIDC provider for an issuer or endpoints before sending", async () => {
    const api = fakeFetch(fixtureApi());
    renderWithApi(<IdentityProviders rest="new" />, api.impl);
    const user = userEvent.setup();
    await user.type(screen.getByLabelText("Name"), "Corp");
    await user.type(screen.getByLabelText("Client ID"), "cid");
    await user.type(screen.getByLabelText("Token endpoint"), "http://corp.example/token");
    await user.click(screen.getByRole("button", { name: "Create" }));
    expect(screen.getByText("An absolute https URL.")).toBeInTheDocument();
    expect(screen.getByText(/Enter an issuer, a discovery URL/)).toBeInTheDocument();
    expect(api.calls.filter((c) => c.method === "POST")).toHaveLength(0);
  });
});

describe("Organizations", () => {
  it("creates a sub-organization and switches to it", async () => {
    const switchOrg = vi.fn();
    const orgsChanged = vi.fn();
    const api = fakeFetch(
      fixtureApi((req) =>
        req.method === "POST" ? { status: 201, body: { id: "o3", created_at: "", updated_at: "", version: 1, handle: "beta", name: "Beta", status: "active", parent: "root" } } : undefined,
      ),
    );
    renderWithApi(<Organizations />, api.impl, "root", { switchOrg, orgsChanged });
    const user = userEvent.setup();
    expect(await screen.findByText("Acme")).toBeInTheDocument();
    await user.type(screen.getByLabelText("Handle"), "Beta!");
    await user.type(screen.getByLabelText("Name", { selector: "form[aria-label='New sub-organization'] input" }), "Beta");
    await user.click(screen.getByRole("button", { name: "Create sub-organization" }));
    expect(screen.getByText(/lower-case letters/)).toBeInTheDocument();
    await user.clear(screen.getByLabelText("Handle"));
    await user.type(screen.getByLabelText("Handle"), "beta");
    await user.click(screen.getByRole("button", { name: "Create sub-organization" }));
    await screen.findByText("Created Beta.", { exact: false });
    expect(api.calls.find((c) => c.method === "POST")).toMatchObject({ url: "/api/v1/orgs/root/children", body: { handle: "beta", name: "Beta" } });
    expect(orgsChanged).toHaveBeenCalled();
    await user.click(screen.getByRole("button", { name: "Switch to Beta" }));
    expect(switchOrg).toHaveBeenCalledWith("beta");
    await user.click(screen.getByRole("button", { name: "Sub-organizations of Acme" }));
    expect(screen.getByRole("button", { name: "Sub-organizations of Acme" })).toHaveAttribute("aria-expanded", "true");
    await waitFor(() => expect(api.calls.some((c) => c.url.startsWith("/api/v1/orgs/acme/children"))).toBe(true));
  });
});

describe("Actions", () => {
  it("creates a signed action with basic auth and a rule, and shows the secret once", async () => {
    const api = fakeFetch(
      fixtureApi((req) => (req.method === "POST" ? { status: 201, body: { id: "a9", signing_secret: "whsec_once" } } : undefined)),
    );
    renderWithApi(<Actions rest="new" />, api.impl);
    const user = userEvent.setup();
    await screen.findByRole("option", { name: "Pre Issue Access Token" });
    await user.type(screen.getByLabelText("Name"), "enrich");
    await user.type(screen.getByLabelText("Endpoint"), "https://hooks.example/x");
    await user.selectOptions(screen.getByLabelText("Method"), "basic");
    await user.type(screen.getByLabelText("Username"), "identra");
    await user.type(screen.getByLabelText("Password"), "pw");
    await user.click(screen.getByRole("button", { name: "Apply only when…" }));
    await user.selectOptions(screen.getByLabelText("Field"), "grantType");
    await user.type(screen.getByLabelText("Value"), "client_credentials");
    await user.click(screen.getByLabelText("Fail open: go on without the action", { exact: false }));
    await user.click(screen.getByLabelText("Sign requests (Standard Webhooks)"));
    await user.click(screen.getByRole("button", { name: "Create" }));
    expect(await screen.findByTestId("signing-secret")).toHaveTextContent("whsec_once");
    expect(api.calls.find((c) => c.method === "POST")?.body).toEqual({
      name: "enrich",
      type: "preIssueAccessToken",
      description: "",
      endpoint: "https://hooks.example/x",
      authentication: { type: "basic", username: "identra", password: "pw" },
      timeout_ms: 2000,
      failure_policy: "fail_open",
      rule: { condition: "OR", rules: [{ condition: "AND", expressions: [{ field: "grantType", operator: "equals", value: "client_credentials" }] }] },
      enabled: true,
      signed: true,
    });
  });

  it("does not resend write-only credentials it never had when saving other changes", async () => {
    const api = fakeFetch(fixtureApi((req) => (req.method === "PATCH" ? { status: 200, body: {} } : undefined)));
    renderWithApi(<Actions rest="a1" />, api.impl);
    const user = userEvent.setup();
    await screen.findByRole("heading", { name: "Action enrich" });
    await user.click(screen.getByLabelText("Active"));
    await user.click(screen.getByRole("button", { name: "Save" }));
    await waitFor(() => expect(api.calls.some((c) => c.method === "PATCH")).toBe(true));
    const body = api.calls.find((c) => c.method === "PATCH")?.body as Record<string, unknown>;
    expect(body).toMatchObject({ enabled: false });
    expect(body).not.toHaveProperty("authentication");
  });
});

describe("Audit log", () => {
  it("filters by action and time range, and shows an event's details", async () => {
    const api = fakeFetch(fixtureApi());
    renderWithApi(<AuditLog />, api.impl);
    const user = userEvent.setup();
    await screen.findByText("user.create");
    await user.type(screen.getByLabelText("Action", { exact: false }), "user.create");
    await user.type(screen.getByLabelText("From"), "2026-01-03T09:00");
    await user.type(screen.getByLabelText("Until"), "2026-01-02T09:00");
    await user.click(screen.getByRole("button", { name: "Filter" }));
    expect(screen.getByText("Must be after “from”.")).toBeInTheDocument();
    await user.clear(screen.getByLabelText("Until"));
    await user.click(screen.getByRole("button", { name: "Filter" }));
    await waitFor(() => expect(api.calls.at(-1)?.url).toContain("action=user.create"));
    const url = new URL(api.calls.at(-1)?.url ?? "", "http://x");
    expect(url.searchParams.get("since")).toBe(new Date("2026-01-03T09:00").toISOString());
    expect(url.searchParams.has("until")).toBe(false);

    await user.click(screen.getByRole("button", { name: `Details of event ${event.seq}` }));
    const heading = screen.getByRole("heading", { name: "Event 42: user.create" });
    expect(heading).toHaveFocus();
    expect(screen.getByLabelText("Event details (JSON)")).toHaveTextContent('"username": "alice"');
  });
});

describe("Navigation", () => {
  it("is a menu button with aria-expanded that focuses the first link and closes on Escape", async () => {
    const api = fakeFetch(fixtureApi());
    const original = globalThis.fetch;
    globalThis.fetch = api.impl;
    window.history.replaceState(null, "", "/console/");
    try {
      render(
        <Router>
          <App token="t" user="admin" homeOrg="root" onSignOut={() => undefined} onUnauthorized={() => undefined} />
        </Router>,
      );
      const user = userEvent.setup();
      const menu = screen.getByRole("button", { name: "Menu" });
      expect(menu).toHaveAttribute("aria-expanded", "false");
      expect(menu).toHaveAttribute("aria-controls", "sections-nav");
      await user.click(menu);
      expect(screen.getByRole("button", { name: "Close menu" })).toHaveAttribute("aria-expanded", "true");
      expect(screen.getByRole("link", { name: "Overview" })).toHaveFocus();
      await user.keyboard("{Escape}");
      expect(menu).toHaveAttribute("aria-expanded", "false");
      expect(menu).toHaveFocus();
      await user.click(menu);
      const nav = screen.getByRole("navigation", { name: "Sections" });
      await user.click(within(nav).getByRole("link", { name: "Groups" }));
      expect(menu).toHaveAttribute("aria-expanded", "false");
      expect(window.location.pathname).toBe("/console/groups");
      expect(within(nav).getByRole("link", { name: "Groups" })).toHaveAttribute("aria-current", "page");
      expect(await screen.findByRole("heading", { name: "Groups" })).toBeInTheDocument();
    } finally {
      globalThis.fetch = original;
    }
  });
});

describe("Application detail", () => {
  it("saves protocol settings with If-Match and shows a new secret once", async () => {
    const api = fakeFetch(
      fixtureApi((req) =>
        req.method === "PATCH"
          ? { status: 200, body: {} }
          : req.url.endsWith("/secret")
            ? { status: 200, body: { client_id: "cid-1", client_secret: "new-secret-once" } }
            : undefined,
      ),
    );
    renderWithApi(<ApplicationDetail id="p1" />, api.impl);
    const user = userEvent.setup();
    await screen.findByRole("heading", { name: "Application Billing" });
    await user.type(screen.getByLabelText("Access token lifetime (seconds)"), "30");
    await user.click(screen.getByRole("button", { name: "Save" }));
    expect(screen.getByText("Seconds, from 60 to a year; empty for the default.")).toBeInTheDocument();
    expect(api.calls.some((c) => c.method === "PATCH")).toBe(false);
    await user.clear(screen.getByLabelText("Access token lifetime (seconds)"));
    await user.type(screen.getByLabelText("Redirect URIs"), "\nhttps://billing.example/cb2");
    await user.click(screen.getByRole("button", { name: "Save" }));
    await waitFor(() => expect(api.calls.some((c) => c.method === "PATCH")).toBe(true));
    expect(api.calls.find((c) => c.method === "PATCH")).toMatchObject({
      url: "/api/v1/orgs/root/applications/p1",
      ifMatch: '"3"',
      body: { redirect_uris: ["https://billing.example/cb", "https://billing.example/cb2"], access_token_ttl: null, refresh_token_ttl: 86400 },
    });
    await user.click(screen.getByRole("button", { name: "Generate a new secret" }));
    expect(await screen.findByTestId("client-secret")).toHaveTextContent("new-secret-once");
  });
});

describe("search in every list", () => {
  const lists: [string, () => React.ReactNode, string, string][] = [
    ["applications", () => <ApplicationList />, "Name or client ID starts with", "/applications"],
    ["groups", () => <Groups rest="" />, "Group name starts with", "/groups"],
    ["roles", () => <Roles rest="" />, "Role name starts with", "/roles"],
    ["user stores", () => <UserStores rest="" />, "Identifier starts with", "/user-stores"],
    ["identity providers", () => <IdentityProviders rest="" />, "Name starts with", "/identity-providers"],
    ["actions", () => <Actions rest="" />, "Action name starts with", "/actions"],
    ["webhooks", () => <Webhooks rest="" />, "URL or description starts with", "/webhooks"],
  ];
  it.each(lists)("%s sends q and starts again at the first page", async (_name, ui, label, path) => {
    // Every list answers a next page, so the search is made from page 2.
    const fixtures = fixtureApi();
    const api = fakeFetch((req) => {
      const answer = fixtures(req);
      const list = new URL(req.url, "http://x").pathname === `/api/v1/orgs/root${path}`;
      return list ? { ...answer, body: { ...(answer.body as object), next_cursor: "c2" } } : answer;
    });
    renderWithApi(ui(), api.impl);
    const user = userEvent.setup();
    const next = await screen.findByRole("button", { name: "Next page" });
    await waitFor(() => expect(next).toBeEnabled());
    await user.click(next);
    await waitFor(() => expect(api.calls.at(-1)?.url).toBe(`/api/v1/orgs/root${path}?limit=20&cursor=c2`));
    await user.type(screen.getByLabelText(label), "Ab c");
    await user.click(screen.getByRole("button", { name: "Search" }));
    await waitFor(() => expect(api.calls.at(-1)?.url).toBe(`/api/v1/orgs/root${path}?limit=20&q=Ab+c`));
  });
});
