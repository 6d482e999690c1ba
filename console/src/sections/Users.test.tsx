import { cleanup, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it } from "vitest";
import { fakeFetch, renderWithApi } from "../test-utils";
import { UserCreateForm, UserList } from "./Users";

afterEach(cleanup);

const alice = { id: "u1", username: "alice", display_name: "Alice", status: "active" };

describe("UserCreateForm", () => {
  it("shows a conflict from the API and stays on the form", async () => {
    const api = fakeFetch(() => ({
      status: 409,
      body: { type: "about:blank", title: "Conflict", status: 409, detail: "a user named alice exists" },
    }));
    window.history.replaceState(null, "", "/console/users/new");
    renderWithApi(<UserCreateForm />, api.impl);
    const user = userEvent.setup();
    await user.type(screen.getByLabelText("Username"), "alice");
    await user.type(screen.getByLabelText("Password"), "long-enough-password");
    await user.click(screen.getByRole("button", { name: "Create" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Conflict: a user named alice exists");
    expect(window.location.pathname).toBe("/console/users/new");
    expect(screen.getByRole("button", { name: "Create" })).toBeEnabled();
    expect(api.calls[0]?.body).toMatchObject({ username: "alice", password: "long-enough-password", emails: [] });
  });

  it("marks the fields named by validation errors", async () => {
    const api = fakeFetch(() => ({
      status: 422,
      body: {
        title: "Unprocessable Content",
        status: 422,
        detail: "the request is invalid",
        errors: [
          { pointer: "/password", detail: "String should have at least 8 characters" },
          { pointer: "/emails/0/value", detail: "value is not a valid email address" },
        ],
      },
    }));
    renderWithApi(<UserCreateForm />, api.impl);
    const user = userEvent.setup();
    await user.type(screen.getByLabelText("Username"), "bob");
    await user.type(screen.getByLabelText("Password"), "short");
    await user.type(screen.getByLabelText("Email"), "nope");
    await user.click(screen.getByRole("button", { name: "Create" }));
    expect(await screen.findByText("String should have at least 8 characters")).toBeInTheDocument();
    expect(screen.getByText("value is not a valid email address")).toBeInTheDocument();
    expect(screen.getByLabelText("Password")).toHaveAttribute("aria-invalid", "true");
    expect(screen.getByLabelText("Username")).toHaveAttribute("aria-invalid", "false");
  });

  it("goes back to the list when the user is created", async () => {
    const api = fakeFetch(() => ({ status: 201, body: alice }));
    window.history.replaceState(null, "", "/console/users/new");
    renderWithApi(<UserCreateForm />, api.impl);
    const user = userEvent.setup();
    await user.type(screen.getByLabelText("Username"), "alice");
    await user.click(screen.getByRole("button", { name: "Create" }));
    await vi_waitForPath("/console/users");
    expect(api.calls[0]?.body).toMatchObject({ username: "alice", password: null });
  });
});

async function vi_waitForPath(path: string) {
  const { waitFor } = await import("@testing-library/react");
  await waitFor(() => expect(window.location.pathname).toBe(path));
}

describe("UserList", () => {
  it("searches by username prefix", async () => {
    const api = fakeFetch((req) => ({
      status: 200,
      body: { items: req.url.includes("q=ali") ? [alice] : [alice, { ...alice, id: "u2", username: "bob" }], next_cursor: null },
    }));
    renderWithApi(<UserList />, api.impl);
    const user = userEvent.setup();
    expect(await screen.findByText("bob")).toBeInTheDocument();
    await user.type(screen.getByLabelText("Username starts with"), "ali");
    await user.click(screen.getByRole("button", { name: "Search" }));
    await screen.findByText("alice");
    await waitForGone("bob");
    expect(api.calls.at(-1)?.url).toBe("/api/v1/orgs/root/users?limit=20&q=ali");
  });
});

async function waitForGone(text: string) {
  const { waitFor } = await import("@testing-library/react");
  await waitFor(() => expect(screen.queryByText(text)).toBeNull());
}
