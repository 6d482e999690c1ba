import { act, cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { createClient } from "../api/client";
import { httpFlowApi } from "./api";
import { DRAG_TYPE, Designer, type DesignerState } from "./Designer";
import { CATALOG, START, installFlowMocks, memoryApi } from "./testing";

beforeAll(installFlowMocks);
afterEach(cleanup);

function setup(api = memoryApi().api) {
  const states: DesignerState[] = [];
  const utils = render(<Designer api={api} clientId={null} initial={START} catalog={CATALOG} onState={(s) => states.push(s)} />);
  return { ...utils, states, last: () => states[states.length - 1] };
}

const node = (id: string) => screen.getByTestId(`node-${id}`);

function dataTransfer(payload: object) {
  const store: Record<string, string> = { [DRAG_TYPE]: JSON.stringify(payload) };
  return {
    types: [DRAG_TYPE],
    getData: (t: string) => store[t] ?? "",
    setData: (t: string, v: string) => {
      store[t] = v;
    },
    dropEffect: "none",
    effectAllowed: "all",
  };
}

describe("Designer", { timeout: 30_000 }, () => {
  it("adds a node from the palette with the keyboard, and undoes/redoes it", async () => {
    const user = userEvent.setup();
    const { last } = setup();
    await waitFor(() => expect(last()?.valid).toBe(true));
    await user.click(screen.getByRole("button", { name: "Add Deny" }));
    expect(node("deny")).toHaveTextContent("You cannot sign in here.");
    await user.click(screen.getByRole("button", { name: "Undo" }));
    expect(screen.queryByTestId("node-deny")).toBeNull();
    await user.click(screen.getByRole("button", { name: "Redo" }));
    expect(node("deny")).toBeInTheDocument();
    // Ctrl+Z / Ctrl+Shift+Z on the designer (outside text fields)
    fireEvent.keyDown(screen.getByRole("toolbar"), { key: "z", ctrlKey: true });
    expect(screen.queryByTestId("node-deny")).toBeNull();
    fireEvent.keyDown(screen.getByRole("toolbar"), { key: "Z", ctrlKey: true, shiftKey: true });
    expect(node("deny")).toBeInTheDocument();
  });

  it("adds an authenticator as an 'or' option of the selected step, or as a new step", async () => {
    const user = userEvent.setup();
    const { last } = setup();
    await user.click(screen.getByRole("button", { name: "Add TOTP" })); // nothing selected: a new step
    expect(node("totp")).toHaveTextContent("TOTP");
    expect(screen.getByRole("heading", { name: /Step totp/ })).toBeInTheDocument(); // selected
    await user.click(screen.getByRole("button", { name: "Add Magic link" })); // into the selected step
    expect(within(node("totp")).getByText(/Magic link/)).toBeInTheDocument();
    expect(within(node("totp")).getByText(/or/)).toBeInTheDocument();
    await waitFor(() => expect(last()?.doc.nodes.find((n) => n.id === "totp")?.options).toEqual(["totp", "magic-link"]));
  });

  it("drops an authenticator on a step (option) and on the canvas (new step)", async () => {
    const { last } = setup();
    fireEvent.dragOver(node("login"), { dataTransfer: dataTransfer({ kind: "option", option: "magic-link" }) });
    fireEvent.drop(node("login"), { dataTransfer: dataTransfer({ kind: "option", option: "magic-link" }), clientX: 10, clientY: 10 });
    expect(within(node("login")).getByText(/Magic link/)).toBeInTheDocument();
    const pane = document.querySelector(".react-flow__pane") as Element;
    fireEvent.drop(pane, { dataTransfer: dataTransfer({ kind: "option", option: "totp" }), clientX: 300, clientY: 300 });
    expect(node("totp")).toBeInTheDocument();
    fireEvent.drop(pane, { dataTransfer: dataTransfer({ kind: "node", type: "condition" }), clientX: 200, clientY: 400 });
    expect(node("condition")).toHaveTextContent("role any admin");
    await waitFor(() => expect(last()?.doc.nodes.map((n) => n.id)).toEqual(["login", "done", "totp", "condition"]));
  });

  it("connects nodes from the side panel and shows validation problems on the node", async () => {
    const user = userEvent.setup();
    const { last } = setup();
    await user.click(screen.getByRole("button", { name: "Add TOTP" }));
    // the new step has no "next": the server's problem shows on it, and the flow cannot be saved
    await waitFor(() => expect(within(node("totp")).getByRole("note")).toHaveTextContent("missing field(s): next"));
    expect(within(node("totp")).getByText("1 problem(s)")).toBeInTheDocument();
    expect(screen.getByTestId("validation-status")).toHaveTextContent("1 problem(s)");
    expect(last()?.valid).toBe(false);
    await user.selectOptions(screen.getByLabelText("Then go to"), "done");
    await waitFor(() => expect(screen.getByTestId("validation-status")).toHaveTextContent("Valid flow"));
    expect(within(node("totp")).queryByRole("note")).toBeNull();
    expect(last()?.valid).toBe(true);
    expect(last()?.doc.nodes.find((n) => n.id === "totp")?.next).toBe("done");
  });

  it("edits a condition with the structured editor and deletes a node with Delete", async () => {
    const user = userEvent.setup();
    const { last } = setup();
    await user.click(screen.getByRole("button", { name: "Add Condition" }));
    await user.selectOptions(screen.getByLabelText("Test"), "group");
    await user.clear(screen.getByLabelText("Names (comma separated)"));
    await user.type(screen.getByLabelText("Names (comma separated)"), "staff, ops");
    expect(node("condition")).toHaveTextContent("group any staff, ops");
    await user.selectOptions(screen.getByLabelText("Match"), "all");
    expect(node("condition")).toHaveTextContent("group all staff, ops");
    expect((screen.getByLabelText(/Expression \(JSON/) as HTMLTextAreaElement).value).toContain('"all"');
    await user.click(screen.getByRole("button", { name: "Undo" }));
    expect(node("condition")).toHaveTextContent("group any staff, ops");
    // the typing was one undo step
    await user.click(screen.getByRole("button", { name: "Undo" }));
    expect(node("condition")).toHaveTextContent("group any admin");
    // Delete on the focused, selected node removes it
    const wrapper = document.querySelector('.react-flow__node[data-id="condition"]') as HTMLElement;
    act(() => wrapper.focus());
    fireEvent.keyDown(wrapper, { key: "Delete" });
    await waitFor(() => expect(screen.queryByTestId("node-condition")).toBeNull());
    await waitFor(() => expect(last()?.doc.nodes.map((n) => n.id)).toEqual(["login", "done"]));
  });

  it("renames a node in place, following its links", async () => {
    const user = userEvent.setup();
    const { last } = setup();
    fireEvent.click(node("done")); // no mousedown: d3-drag needs a real window in the event
    const wrapper = () => document.querySelector('.react-flow__node[data-id="done"], .react-flow__node[data-id="finish"]') as HTMLElement;
    const start = wrapper().style.transform;
    act(() => wrapper().focus());
    fireEvent.keyDown(wrapper(), { key: "ArrowRight", shiftKey: true }); // moves the selected node
    await waitFor(() => expect(wrapper().style.transform).not.toBe(start));
    const before = wrapper().style.transform;
    const field = screen.getByLabelText("Node id");
    await user.clear(field);
    await user.type(field, "Bad id");
    expect(screen.getByText(/Use a-z, 0-9/)).toBeInTheDocument();
    await user.clear(field);
    await user.type(field, "finish{Enter}");
    expect(node("finish")).toBeInTheDocument();
    expect(wrapper().style.transform).toBe(before);
    await waitFor(() => expect(last()?.doc.nodes[0]?.next).toBe("finish"));
    expect(screen.getByRole("heading", { name: /Allow finish/ })).toBeInTheDocument();
  });

  it("previews the selected step in a sandboxed frame", async () => {
    const user = userEvent.setup();
    const m = memoryApi();
    setup(m.api);
    await user.click(screen.getByRole("button", { name: "Add TOTP" }));
    await user.click(screen.getByRole("button", { name: "Preview" }));
    const frame = await screen.findByTitle("Preview of the page for totp");
    expect(frame.tagName).toBe("IFRAME");
    expect(frame.getAttribute("sandbox")).toBe("");
    expect(frame.getAttribute("srcdoc")).toContain("Sign in: totp");
    expect(m.calls.find((c) => c.op === "preview")?.arg).toBe("totp");
  });

  it("round-trips the text form through /validate (text/plain) with a mocked fetch", async () => {
    const edited = {
      schema: "identra.flow/1",
      name: "Default",
      start: "login",
      nodes: [
        { id: "login", type: "step", options: ["password", "magic-link"], next: "done" },
        { id: "done", type: "allow" },
      ],
    };
    const texts: string[] = [];
    const impl: typeof fetch = async (_input, init) => {
      const type = (init?.headers as Record<string, string>)["content-type"] ?? "";
      if (type.startsWith("text/plain")) {
        const body = String(init?.body);
        texts.push(body);
        if (body.includes("oops")) {
          return new Response(JSON.stringify({ title: "Unprocessable Content", status: 422, detail: "the flow is not valid", errors: [{ pointer: "line 3", detail: "unknown word 'oops'" }] }), { status: 422, headers: { "content-type": "application/problem+json" } });
        }
        return new Response(JSON.stringify({ document: edited, text: "TEXT-2\n" }), { status: 200 });
      }
      const doc = JSON.parse(String(init?.body)) as { nodes: { options?: string[] }[] };
      const text = doc.nodes[0]?.options?.length === 2 ? "TEXT-2\n" : "TEXT-1\n";
      return new Response(JSON.stringify({ document: doc, text }), { status: 200 });
    };
    const api = httpFlowApi("root", createClient(() => "tok", () => undefined, impl));
    const { last } = setup(api);
    const text = screen.getByLabelText("Text form") as HTMLTextAreaElement;
    await waitFor(() => expect(text.value).toBe("TEXT-1\n"));
    // invalid text: problems shown, the graph untouched
    fireEvent.change(text, { target: { value: "oops" } });
    expect(await screen.findByText(/unknown word 'oops'/)).toBeInTheDocument();
    expect(text).toHaveAttribute("aria-invalid", "true");
    expect(within(node("login")).queryByText(/Magic link/)).toBeNull();
    // valid text: the graph follows
    fireEvent.change(text, { target: { value: "step login password, magic-link" } });
    await waitFor(() => expect(within(node("login")).getByText(/Magic link/)).toBeInTheDocument());
    expect(texts).toEqual(["oops", "step login password, magic-link"]);
    fireEvent.blur(text);
    await waitFor(() => expect(text.value).toBe("TEXT-2\n"));
    await waitFor(() => expect(last()?.text).toBe("TEXT-2\n"));
  });
});
