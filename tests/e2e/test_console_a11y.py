"""Accessibility and small screens of the admin console (issue 7), in Debian Chromium.

Signs in to the console as the bootstrap administrator, then visits every section (lists, the
create forms and a detail page of each kind) at 1280x800 and at 360x740 (a small phone), and runs
axe-core (``console/node_modules/axe-core/axe.min.js``) on each: no serious or critical
violation. At phone width no page scrolls sideways (``scrollWidth <= innerWidth``), and the
section navigation is a menu button with ``aria-expanded`` that moves focus into the menu and
back on Escape.

This test's browser context is created with ``bypass_csp=True``, only so that axe's script can
be injected into the page: the console's CSP (``script-src 'self'``) rightly refuses injected
scripts. Every other console test (tests/e2e/test_console.py) keeps the CSP enforced, and
nothing here depends on the CSP being off except the injection.

The console must have been built (``npm --prefix console run build``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Page, expect

import identra
from identra.web import console
from tests.protocol.oidc.live import chromium
from tests.support import ADMIN_PASSWORD, LiveServer

ROOT = Path(__file__).resolve().parents[2]
BUILD = Path(identra.__file__).parent / "static" / "console"
AXE = ROOT / "console" / "node_modules" / "axe-core" / "axe.min.js"
NEEDS_BUILD = "the console is not built: run npm --prefix console run build"

SIZES = {"desktop": (1280, 800), "phone": (360, 740)}


def _mount(server: LiveServer) -> None:
    if not any(getattr(r, "path", "") == "/console" for r in server.app.router.routes):
        server.app.router.routes.extend(console.routes())


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    assert (BUILD / "index.html").is_file(), NEEDS_BUILD
    assert AXE.is_file(), "axe-core is missing: npm ci in console/"
    server = LiveServer(tmp_path_factory.mktemp("e2e-console-a11y"))
    _mount(server)
    with server:
        yield server


def _seed(live: LiveServer) -> dict[str, str]:
    """An app, user, group, role, user store, identity provider, action, webhook, sub-org, theme."""
    auth = httpx.BasicAuth("admin", ADMIN_PASSWORD)
    base = "/api/v1/orgs/root"
    ids: dict[str, str] = {}
    with httpx.Client(base_url=live.base_url, auth=auth) as client:

        def post(path: str, body: dict[str, Any]) -> str:
            resp = client.post(base + path, json=body)
            assert resp.status_code == 201, (path, resp.text)
            return str(resp.json().get("id", ""))

        ids["app"] = post(
            "/applications",
            {"name": "Billing", "type": "web", "redirect_uris": ["https://billing.example/cb"]},
        )
        ids["user"] = post("/users", {"username": "frank", "display_name": "Frank"})
        ids["group"] = post("/groups", {"name": "staff", "description": "Everyone"})
        resp = client.post(f"{base}/groups/{ids['group']}/members", json={"user_id": ids["user"]})
        assert resp.status_code == 204, resp.text
        ids["role"] = post("/roles", {"name": "auditor", "permissions": ["audit:read"]})
        post(f"/roles/{ids['role']}/assignments", {"user_id": ids["user"]})
        ids["store"] = post("/user-stores", {"identifier": "PARTNERS"})
        ids["idp"] = post(
            "/identity-providers",
            {"name": "Google", "kind": "google", "config": {"client_id": "g-client"}},
        )
        ids["action"] = post(
            "/actions",
            {
                "name": "enrich",
                "type": "preIssueAccessToken",
                "endpoint": "https://hooks.example/enrich",
                # Inactive: an unreachable fail-closed action would refuse the console's token.
                "enabled": False,
            },
        )
        ids["webhook"] = post("/webhooks", {"url": "https://hooks.example/events"})
        post("/children", {"handle": "acme", "name": "Acme"})
        theme = {"display_name": "Root", "primary_color": "#1f5fbf", "radius_px": 4}
        resp = client.put(f"{base}/branding", json=theme)
        assert resp.status_code == 200, resp.text
    return ids


def _pages(ids: dict[str, str]) -> list[tuple[str, str]]:
    """(path, the heading it shows) for every section."""
    return [
        ("/console/", "Overview"),
        ("/console/applications", "Applications"),
        ("/console/applications/new", "Create application"),
        (f"/console/applications/{ids['app']}", "Application Billing"),
        ("/console/users", "Users"),
        ("/console/users/new", "Create user"),
        (f"/console/users/{ids['user']}", "User frank"),
        ("/console/groups", "Groups"),
        ("/console/groups/new", "Create group"),
        (f"/console/groups/{ids['group']}", "Group staff"),
        ("/console/roles", "Roles"),
        ("/console/roles/new", "Create role"),
        (f"/console/roles/{ids['role']}", "Role auditor"),
        ("/console/user-stores", "User stores"),
        ("/console/user-stores/new", "Create user store"),
        (f"/console/user-stores/{ids['store']}", "User store PARTNERS (database)"),
        ("/console/identity-providers", "Identity providers"),
        ("/console/identity-providers/new", "Add identity provider"),
        (f"/console/identity-providers/{ids['idp']}", "Identity provider Google"),
        ("/console/organizations", "Organizations"),
        ("/console/branding", "Branding"),
        ("/console/flows", "Login flows"),
        ("/console/actions", "Actions"),
        ("/console/actions/new", "Create action"),
        (f"/console/actions/{ids['action']}", "Action enrich"),
        ("/console/webhooks", "Webhooks"),
        ("/console/webhooks/new", "Create webhook"),
        (f"/console/webhooks/{ids['webhook']}", "Webhook"),
        ("/console/audit", "Audit log"),
    ]


AXE_RUN = """async () => {
  const result = await axe.run(document, { resultTypes: ["violations"] });
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => v.id + ": " + v.help + " @ " + v.nodes.map((n) => n.target.join(" ")).join(", "));
}"""


async def _settled(page: Page, heading: str) -> None:
    await expect(page.get_by_role("heading", name=heading, exact=True).first).to_be_visible()
    # Lists and counts have loaded (no spinner text, no busy marker).
    await expect(page.locator("[aria-busy='true']")).to_have_count(0)
    await expect(page.get_by_text("Loading…", exact=True)).to_have_count(0)


async def _sign_in(page: Page, live: LiveServer) -> None:
    await page.goto(f"{live.base_url}/console/")
    await page.wait_for_selector("#username")
    await page.fill("#username", "admin")
    await page.fill("#password", ADMIN_PASSWORD)
    await page.click("button[value=login]")
    await _settled(page, "Overview")


@pytest.mark.browser
@pytest.mark.parametrize("size", sorted(SIZES))
async def test_every_section_passes_axe_and_fits(live: LiveServer, size: str) -> None:
    ids = _seed(live) if size == "desktop" else _known_ids(live)
    width, height = SIZES[size]
    failures: list[str] = []
    errors: list[str] = []
    async with chromium() as browser:
        context = await browser.new_context(
            viewport={"width": width, "height": height}, bypass_csp=True
        )
        page = await context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        await _sign_in(page, live)
        for path, heading in _pages(ids):
            await page.goto(f"{live.base_url}{path}")
            await _settled(page, heading)
            await page.add_script_tag(path=str(AXE))
            failures += [f"{path}: {v}" for v in await page.evaluate(AXE_RUN)]
            if size == "phone":
                widths = await page.evaluate(
                    "[document.documentElement.scrollWidth, window.innerWidth]"
                )
                if widths[0] > widths[1]:
                    failures.append(f"{path}: scrolls sideways ({widths[0]} > {widths[1]})")
        await context.close()
    assert errors == []
    assert failures == []


def _known_ids(live: LiveServer) -> dict[str, str]:
    """The ids of what the desktop run seeded (or seed now, if the phone run comes first)."""
    auth = httpx.BasicAuth("admin", ADMIN_PASSWORD)
    with httpx.Client(base_url=f"{live.base_url}/api/v1/orgs/root", auth=auth) as client:

        def first(path: str, **params: str) -> str | None:
            items = client.get(path, params=params).json()["items"]
            return str(items[0]["id"]) if items else None

        user = first("/users", username="frank")
        if user is None:
            return _seed(live)
        return {
            "app": first("/applications", name="Billing") or "",
            "user": user,
            "group": first("/groups", name="staff") or "",
            "role": first("/roles", name="auditor") or "",
            "store": first("/user-stores", identifier="PARTNERS") or "",
            "idp": first("/identity-providers", name="Google") or "",
            "action": first("/actions", name="enrich") or "",
            "webhook": first("/webhooks") or "",
        }


@pytest.mark.browser
async def test_phone_navigation_is_a_menu_button(live: LiveServer) -> None:
    async with chromium() as browser:
        context = await browser.new_context(viewport={"width": 360, "height": 740})
        page = await context.new_page()
        await _sign_in(page, live)
        nav = page.get_by_role("navigation", name="Sections")
        menu = page.get_by_role("button", name="Menu")
        await expect(nav).to_be_hidden()
        await expect(menu).to_have_attribute("aria-expanded", "false")
        await menu.click()
        close = page.get_by_role("button", name="Close menu")
        await expect(close).to_have_attribute("aria-expanded", "true")
        await expect(nav).to_be_visible()
        await expect(nav.get_by_role("link", name="Overview")).to_be_focused()
        await page.keyboard.press("Escape")
        await expect(nav).to_be_hidden()
        await expect(menu).to_be_focused()
        # Keyboard only: open the menu, go to Groups.
        await page.keyboard.press("Enter")
        await expect(nav).to_be_visible()
        await nav.get_by_role("link", name="Groups").focus()
        await page.keyboard.press("Enter")
        await expect(page.get_by_role("heading", name="Groups", exact=True)).to_be_visible()
        await expect(nav).to_be_hidden()
        # At desktop width the same page shows the navigation and no menu button.
        await page.set_viewport_size({"width": 1280, "height": 800})
        await expect(nav).to_be_visible()
        await expect(page.get_by_role("button", name="Menu")).to_be_hidden()
        await context.close()
