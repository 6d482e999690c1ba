// axe-core on every section, rendered in jsdom with canned API answers: no serious or critical
// violations. Rules jsdom cannot evaluate (colour contrast needs layout) are off; the browser
// test (tests/e2e/test_console_a11y.py) runs axe with them in Chromium.
import { cleanup, render, screen, waitFor } from "@testing-library/react";
import axe from "axe-core";
import type { ReactNode } from "react";
import { afterEach, describe, expect, it } from "vitest";
import { App } from "./App";
import { fixtureApi } from "./fixtures";
import { fakeFetch, renderWithApi } from "./test-utils";
import { Router } from "./router";
import { Actions } from "./sections/Actions";
import { ApplicationDetail } from "./sections/ApplicationDetail";
import { ApplicationCreate, ApplicationList } from "./sections/Applications";
import { AuditLog } from "./sections/Audit";
import { Branding } from "./sections/Branding";
import { Groups } from "./sections/Groups";
import { IdentityProviders } from "./sections/IdentityProviders";
import { Organizations } from "./sections/Organizations";
import { Overview } from "./sections/Overview";
import { Roles } from "./sections/Roles";
import { UserStores } from "./sections/UserStores";
import { UserCreateForm, UserDetail, UserList } from "./sections/Users";
import { Webhooks } from "./sections/Webhooks";

afterEach(cleanup);

async function violations(container: HTMLElement) {
  const result = await axe.run(container, {
    rules: { "color-contrast": { enabled: false } },
    resultTypes: ["violations"],
  });
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`);
}

async function settled() {
  await waitFor(() => expect(document.querySelector("[aria-busy='true']")).toBeNull());
  // Counts and names still loading show a lone ellipsis.
  await waitFor(() => expect([...document.querySelectorAll("a, span, dd")].filter((e) => e.textContent === "…")).toEqual([]));
}

const pages: [string, ReactNode][] = [
  ["overview", <Overview />],
  ["applications", <ApplicationList />],
  ["new application", <ApplicationCreate />],
  ["application detail", <ApplicationDetail id="p1" />],
  ["users", <UserList />],
  ["new user", <UserCreateForm />],
  ["user detail", <UserDetail id="u1" />],
  ["groups", <Groups rest="" />],
  ["new group", <Groups rest="new" />],
  ["group detail", <Groups rest="g1" />],
  ["roles", <Roles rest="" />],
  ["new role", <Roles rest="new" />],
  ["role detail", <Roles rest="r1" />],
  ["user stores", <UserStores rest="" />],
  ["new user store", <UserStores rest="new" />],
  ["user store detail", <UserStores rest="s1" />],
  ["identity providers", <IdentityProviders rest="" />],
  ["new identity provider", <IdentityProviders rest="new" />],
  ["identity provider detail", <IdentityProviders rest="i1" />],
  ["organizations", <Organizations />],
  ["branding", <Branding />],
  ["actions", <Actions rest="" />],
  ["new action", <Actions rest="new" />],
  ["action detail", <Actions rest="a1" />],
  ["webhooks", <Webhooks rest="" />],
  ["new webhook", <Webhooks rest="new" />],
  ["webhook detail", <Webhooks rest="w1" />],
  ["audit log", <AuditLog />],
];

describe("accessibility (axe-core)", () => {
  it.each(pages)("%s has no serious or critical violations", async (_name, ui) => {
    const api = fakeFetch(fixtureApi());
    const { container } = renderWithApi(<main>{ui}</main>, api.impl);
    await settled();
    expect(await violations(container)).toEqual([]);
  });

  it("would catch a violation (an unlabelled field)", async () => {
    const { container } = render(
      <main>
        <input type="text" />
      </main>,
    );
    expect((await violations(container)).join()).toMatch(/^label:/);
  });

  it("the whole shell (header, navigation, overview) has none either", async () => {
    const api = fakeFetch(fixtureApi());
    window.history.replaceState(null, "", "/console/");
    const original = globalThis.fetch;
    globalThis.fetch = api.impl;
    try {
      const { container } = render(
        <Router>
          <App token="t" user="admin" homeOrg="root" onSignOut={() => undefined} onUnauthorized={() => undefined} />
        </Router>,
      );
      await screen.findByLabelText("Organization");
      await settled();
      expect(await violations(container)).toEqual([]);
    } finally {
      globalThis.fetch = original;
    }
  });
});
