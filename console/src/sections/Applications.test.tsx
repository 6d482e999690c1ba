import { cleanup, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it } from "vitest";
import { fakeFetch, renderWithApi } from "../test-utils";
import { ApplicationCreate, ApplicationList } from "./Applications";

afterEach(cleanup);

const created = {
  id: "a1",
  name: "Billing",
  type: "web",
  client_id: "cid-123",
  client_secret: "s3cret-shown-once",
};

describe("ApplicationCreate", () => {
  it("shows the API's problem details on the form and on the offending field", async () => {
    const api = fakeFetch(() => ({
      status: 422,
      body: {
        type: "about:blank",
        title: "Unprocessable Content",
        status: 422,
        detail: "'http://example.com/cb' must use https (http only for loopback)",
        errors: [{ pointer: "/redirect_uris", detail: "'http://example.com/cb' must use https (http only for loopback)" }],
      },
    }));
    renderWithApi(<ApplicationCreate />, api.impl);
    const user = userEvent.setup();
    await user.type(screen.getByLabelText("Name"), "Billing");
    await user.type(screen.getByLabelText("Redirect URIs"), "http://example.com/cb");
    await user.click(screen.getByRole("button", { name: "Create" }));

    expect(await screen.findByRole("alert")).toHaveTextContent("Unprocessable Content: 'http://example.com/cb' must use https");
    const field = screen.getByLabelText("Redirect URIs");
    expect(field).toHaveAttribute("aria-invalid", "true");
    const described = field.getAttribute("aria-describedby") ?? "";
    expect(described).toMatch(/error/);
    expect(document.getElementById(described.split(" ").pop() ?? "")?.textContent).toMatch(/must use https/);
    expect(api.calls).toHaveLength(1);
    expect(api.calls[0]).toMatchObject({
      method: "POST",
      url: "/api/v1/orgs/root/applications",
      authorization: "Bearer test-token",
      body: { name: "Billing", type: "web", redirect_uris: ["http://example.com/cb"], scopes: [] },
    });
  });

  it("sends no redirect URIs for a machine-to-machine template", async () => {
    const api = fakeFetch(() => ({ status: 201, body: { ...created, type: "m2m" } }));
    renderWithApi(<ApplicationCreate />, api.impl);
    const user = userEvent.setup();
    await user.click(screen.getByLabelText(/Machine to machine/));
    expect(screen.queryByLabelText("Redirect URIs")).toBeNull();
    await user.type(screen.getByLabelText("Name"), "Worker");
    await user.type(screen.getByLabelText("Scopes"), "read:invoices  write:invoices");
    await user.click(screen.getByRole("button", { name: "Create" }));
    await screen.findByText(/created/);
    expect(api.calls[0]?.body).toMatchObject({ type: "m2m", redirect_uris: [], scopes: ["read:invoices", "write:invoices"] });
  });

  it("shows the client secret once, and not after leaving the page", async () => {
    const api = fakeFetch((req) =>
      req.method === "POST" ? { status: 201, body: created } : { status: 200, body: { items: [{ ...created, client_secret: undefined }], next_cursor: null } },
    );
    const { unmount } = renderWithApi(<ApplicationCreate />, api.impl);
    const user = userEvent.setup();
    await user.type(screen.getByLabelText("Name"), "Billing");
    await user.type(screen.getByLabelText("Redirect URIs"), "https://billing.example/cb");
    await user.click(screen.getByRole("button", { name: "Create" }));

    expect(await screen.findByTestId("client-secret")).toHaveTextContent("s3cret-shown-once");
    expect(screen.getByTestId("client-id")).toHaveTextContent("cid-123");
    expect(screen.getByRole("note")).toHaveTextContent(/shown only this once/);
    unmount();

    renderWithApi(<ApplicationList />, api.impl);
    expect(await screen.findByText("cid-123")).toBeInTheDocument();
    expect(document.body.textContent).not.toContain("s3cret-shown-once");
  });
});

describe("ApplicationList", () => {
  it("pages with the cursor", async () => {
    const api = fakeFetch((req) =>
      req.url.includes("cursor=c2")
        ? { status: 200, body: { items: [{ ...created, id: "a2", name: "Second", client_id: "cid-2" }], next_cursor: null } }
        : { status: 200, body: { items: [created], next_cursor: "c2" } },
    );
    renderWithApi(<ApplicationList />, api.impl);
    const user = userEvent.setup();
    expect(await screen.findByText("Billing")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Previous page" })).toBeDisabled();
    await user.click(screen.getByRole("button", { name: "Next page" }));
    expect(await screen.findByText("Second")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Next page" })).toBeDisabled();
    await user.click(screen.getByRole("button", { name: "Previous page" }));
    await waitFor(() => expect(screen.getByText("Billing")).toBeInTheDocument());
    expect(api.calls.map((c) => c.url)).toEqual([
      "/api/v1/orgs/root/applications?limit=20",
      "/api/v1/orgs/root/applications?limit=20&cursor=c2",
      "/api/v1/orgs/root/applications?limit=20",
    ]);
  });
});
