import { cleanup, fireEvent, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it } from "vitest";
import { brandingTheme, fixtureApi } from "../fixtures";
import { fakeFetch, renderWithApi } from "../test-utils";
import { Branding, loginPage } from "./Branding";

afterEach(cleanup);

const problem = (status: number, title: string, detail: string, errors: unknown[] = []) => ({
  status,
  body: { type: "about:blank", title, status, detail, errors },
});

async function loaded() {
  const primary = (await screen.findByLabelText("Primary color")) as HTMLInputElement;
  await waitFor(() => expect(primary.value).toBe("#aa3300"));
  return primary;
}

describe("Branding", () => {
  it("checks the values before sending anything", async () => {
    const api = fakeFetch(fixtureApi());
    renderWithApi(<Branding />, api.impl);
    const user = userEvent.setup();
    const primary = await loaded();
    await user.clear(primary);
    await user.type(primary, "red");
    const radius = screen.getByLabelText("Corner radius (pixels)");
    await user.clear(radius);
    await user.type(radius, "30");
    await user.type(screen.getByLabelText("Logo URL"), "http://cdn.example/logo.png");
    await user.click(screen.getByRole("button", { name: "Save" }));
    expect(primary).toHaveAttribute("aria-invalid", "true");
    expect(screen.getByText("A color like #1f5fbf.")).toBeInTheDocument();
    expect(screen.getByText("A whole number from 0 to 24.")).toBeInTheDocument();
    expect(screen.getByText(/An https URL without credentials/)).toBeInTheDocument();
    expect(api.calls.filter((c) => c.method !== "GET")).toEqual([]);
    // an SVG data: logo is refused like the server does
    const logo = screen.getByLabelText("Logo URL");
    await user.clear(logo);
    fireEvent.change(logo, { target: { value: "data:image/svg+xml;base64,PHN2Zz4=" } });
    await user.click(screen.getByRole("button", { name: "Save" }));
    expect(screen.getByText(/no SVG/)).toBeInTheDocument();
  });

  it("saves the theme with PUT (empty fields as null) and previews it", async () => {
    const api = fakeFetch(
      fixtureApi((req) => (req.method === "PUT" ? { status: 200, body: { ...brandingTheme, ...(req.body as object), primary_color: "#00aa44" } } : undefined)),
    );
    renderWithApi(<Branding />, api.impl);
    const user = userEvent.setup();
    const primary = await loaded();
    // the picker sets the text field
    fireEvent.input(screen.getByLabelText("Primary color (picker)"), { target: { value: "#00aa44" } });
    expect(primary.value).toBe("#00aa44");
    expect(screen.getByTestId("brand-preview").style.getPropertyValue("--identra-primary")).toBe("#00aa44");
    expect(screen.getByTestId("brand-preview").style.getPropertyValue("--identra-radius")).toBe("4px");
    await user.click(screen.getByRole("button", { name: "Save" }));
    expect(await screen.findByText("Saved.")).toBeInTheDocument();
    const put = api.calls.find((c) => c.method === "PUT");
    expect(put).toMatchObject({ url: "/api/v1/orgs/root/branding" });
    expect(put?.body).toEqual({ ...brandingTheme, primary_color: "#00aa44" });
    // the link to the real page: the root organization has no /o/{handle}
    expect(screen.getByRole("link", { name: /Open the real login page/ })).toHaveAttribute("href", `${window.location.origin}/device`);
    expect(screen.getByRole("link", { name: /Open the real login page/ })).toHaveAttribute("target", "_blank");
  });

  it("shows the API's error under its field", async () => {
    const api = fakeFetch(
      fixtureApi((req) =>
        req.method === "PUT"
          ? problem(422, "Unprocessable Content", "the theme is not valid: display_name: must be 1 to 100 characters", [
              { pointer: "/display_name", detail: "must be 1 to 100 characters" },
            ])
          : undefined,
      ),
    );
    renderWithApi(<Branding />, api.impl);
    const user = userEvent.setup();
    await loaded();
    await user.click(screen.getByRole("button", { name: "Save" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Unprocessable Content");
    const name = screen.getByLabelText("Display name");
    expect(name).toHaveAttribute("aria-invalid", "true");
    const described = name.getAttribute("aria-describedby") ?? "";
    expect(document.getElementById(described.split(" ").pop() ?? "")?.textContent).toBe("must be 1 to 100 characters");
  });

  it("resets to the default look after confirming (DELETE)", async () => {
    const api = fakeFetch(fixtureApi());
    renderWithApi(<Branding />, api.impl);
    const user = userEvent.setup();
    const primary = await loaded();
    await user.click(screen.getByRole("button", { name: "Reset to default" }));
    expect(api.calls.filter((c) => c.method === "DELETE")).toEqual([]);
    expect(screen.getByRole("button", { name: "Cancel" })).toHaveFocus();
    await user.click(screen.getByRole("button", { name: "Yes, reset to default" }));
    expect(await screen.findByText("Back to the default look.")).toBeInTheDocument();
    expect(api.calls.filter((c) => c.method === "DELETE").map((c) => c.url)).toEqual(["/api/v1/orgs/root/branding"]);
    expect(primary.value).toBe("");
    expect(screen.getByTestId("brand-preview").style.getPropertyValue("--identra-primary")).toBe("#1f5fbf");
  });

  it("links a sub-organization's login page under /o/{handle}", () => {
    expect(loginPage("https://id.example/", "acme", false)).toBe("https://id.example/o/acme/device");
    expect(loginPage("https://id.example", "root", true)).toBe("https://id.example/device");
  });
});
