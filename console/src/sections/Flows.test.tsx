import { cleanup, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { installFlowMocks, memoryApi } from "../designer/testing";
import { fakeFetch, renderWithApi } from "../test-utils";
import { Flows } from "./Flows";

beforeAll(installFlowMocks);
afterEach(cleanup);

const noHttp = fakeFetch(() => ({ status: 500 }));

describe("Flows section", { timeout: 30_000 }, () => {
  it("loads the default flow, shows the diff and saves a new revision", async () => {
    const user = userEvent.setup();
    const m = memoryApi();
    renderWithApi(<Flows api={m.api} />, noHttp.impl);
    expect(await screen.findByRole("heading", { name: "Login flows" }, { timeout: 15_000 })).toBeInTheDocument();
    await screen.findByTestId("node-login", {}, { timeout: 15_000 });
    expect(screen.getByRole("button", { name: "Review changes" })).toBeDisabled(); // nothing changed
    await user.click(screen.getByRole("button", { name: "Add TOTP" }));
    await user.selectOptions(screen.getByLabelText("Then go to"), "done");
    await waitFor(() => expect(screen.getByRole("button", { name: "Review changes" })).toBeEnabled());
    await user.click(screen.getByRole("button", { name: "Review changes" }));
    const diff = screen.getByTestId("flow-diff");
    expect(diff.querySelector(".diff-add")).toHaveTextContent("+ step totp totp -> done");
    await user.click(screen.getByRole("button", { name: "Save as new version" }));
    expect(await screen.findByText("Saved revision 2.")).toBeInTheDocument();
    const save = m.calls.find((c) => c.op === "save")?.arg as { clientId: string | null; doc: { nodes: { id: string }[] } };
    expect(save.clientId).toBeNull();
    expect(save.doc.nodes.map((n) => n.id)).toEqual(["login", "done", "totp"]);
    await waitFor(() => expect(screen.getByRole("table", { name: "History" })).toHaveTextContent("2 (active)"));
    expect(screen.getByRole("button", { name: "Review changes" })).toBeDisabled();
  });

  it("cannot save while the flow is invalid", async () => {
    const user = userEvent.setup();
    renderWithApi(<Flows api={memoryApi().api} />, noHttp.impl);
    await screen.findByTestId("node-login", {}, { timeout: 15_000 });
    await user.click(screen.getByRole("button", { name: "Add Step" })); // empty step, no next
    await screen.findByText("Fix the problems to save.");
    expect(screen.getByRole("button", { name: "Review changes" })).toBeDisabled();
    expect(screen.getByRole("alert")).toHaveTextContent("missing field(s): next");
  });

  it("switches to an application's flow", async () => {
    const user = userEvent.setup();
    const m = memoryApi();
    renderWithApi(<Flows api={m.api} />, noHttp.impl);
    await screen.findByTestId("node-login", {}, { timeout: 15_000 });
    await user.selectOptions(screen.getByLabelText("Flow of"), "app-1");
    await screen.findByTestId("node-login", {}, { timeout: 15_000 });
    await user.click(screen.getByRole("button", { name: "Add Magic link" }));
    await user.selectOptions(screen.getByLabelText("Then go to"), "done");
    await waitFor(() => expect(screen.getByRole("button", { name: "Review changes" })).toBeEnabled());
    await user.click(screen.getByRole("button", { name: "Review changes" }));
    await user.click(screen.getByRole("button", { name: "Save as new version" }));
    await screen.findByText(/Saved revision/);
    expect((m.calls.find((c) => c.op === "save")?.arg as { clientId: string }).clientId).toBe("app-1");
  });

  it("generates a flow from a description for review, with another reading, and asks questions", async () => {
    const user = userEvent.setup();
    const m = memoryApi();
    renderWithApi(<Flows api={m.api} />, noHttp.impl);
    await screen.findByTestId("node-login", {}, { timeout: 15_000 });
    await user.type(screen.getByLabelText("Describe the login flow"), "password then done");
    await user.click(screen.getByRole("button", { name: "Generate" }));
    expect(await screen.findByText(/Reading 0\./)).toBeInTheDocument();
    expect(screen.getByText("Users are in PRIMARY.")).toBeInTheDocument();
    const first = await screen.findByTestId("node-first");
    expect(within(first).getByText("Password")).toBeInTheDocument();
    expect(m.calls.some((c) => c.op === "save")).toBe(false); // not saved
    await user.click(screen.getByRole("button", { name: "Try another reading" }));
    await waitFor(() => expect(within(screen.getByTestId("node-first")).getByText("Magic link")).toBeInTheDocument());
    expect(screen.queryByRole("button", { name: "Try another reading" })).toBeNull(); // 2 readings
    // the generated flow is one undo step
    await user.click(screen.getByRole("button", { name: "Undo" }));
    await waitFor(() => expect(within(screen.getByTestId("node-first")).getByText("Password")).toBeInTheDocument());

    await user.clear(screen.getByLabelText("Describe the login flow"));
    await user.type(screen.getByLabelText("Describe the login flow"), "TOTP for the boss?");
    await user.click(screen.getByRole("button", { name: "Generate" }));
    expect(await screen.findByText(/Which role is “boss”\? \(admin, manager\)/)).toBeInTheDocument();
  });
});
