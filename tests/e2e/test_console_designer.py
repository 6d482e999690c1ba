"""The console's flow designer in Debian Chromium.

Sign in to the console as the bootstrap admin, create an application through the console,
build "password or magic link, then TOTP for the admin role" by drag and drop (palette items
onto the canvas and onto a step, connections dragged from handle to node), review the diff,
save it, then log in to that application through the real hosted pages: the admin user with
a password and a TOTP code, a user without the role with a password only. The designer stays
responsive with a 60-node flow (dragging a node, typing in the side panel), and the console
page causes no CSP violation.

The console must have been built (``npm --prefix console run build``).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pyotp
import pytest
import pytest_asyncio
from playwright.async_api import Browser as PlaywrightBrowser
from playwright.async_api import Locator, Page, expect

from identra.authenticators.totp.store import TotpStore, secret_context
from identra.storage.repositories import orgs
from tests.e2e.test_console import BUILD, NEEDS_BUILD, mount
from tests.mailserver import MailServer
from tests.protocol.oidc.live import ClientSite, authorize_url, chromium, seeding, watch_csp
from tests.protocol.oidc.support import PASSWORD, App, query
from tests.support import ADMIN_PASSWORD, LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]

ADMIN = httpx.BasicAuth("admin", ADMIN_PASSWORD)
TOTP_SECRET = pyotp.random_base32()


@pytest.fixture(scope="module")
def mail() -> Iterator[MailServer]:
    with MailServer() as server:
        yield server


@pytest.fixture(scope="module")
def site() -> Iterator[ClientSite]:
    with ClientSite() as value:
        yield value


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, mail: MailServer) -> Iterator[LiveServer]:
    assert (BUILD / "index.html").is_file(), NEEDS_BUILD
    server = LiveServer(tmp_path_factory.mktemp("e2e-designer"), smtp=mail.smtp_settings())
    mount(server.app)
    with server:
        yield server


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def chrome() -> AsyncIterator[PlaywrightBrowser]:
    async with chromium() as browser:
        yield browser


async def _api(live: LiveServer, method: str, path: str, **kw: Any) -> Any:
    async with httpx.AsyncClient(base_url=live.base_url, auth=ADMIN) as client:
        resp = await client.request(method, f"/api/v1/orgs/root{path}", **kw)
    assert resp.status_code < 300, (method, path, resp.status_code, resp.text)
    return resp.json() if resp.content else None


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def people(live: LiveServer) -> dict[str, str]:
    """ada has the admin role and a TOTP authenticator app; ned has neither."""
    async with seeding(live) as seed:
        ada = await seed.user("ada")
        ned = await seed.user("ned")
        async with seed.sessions() as session:
            root = await orgs.by_handle(session, "root")
            assert root is not None
            org_id = root.id
        sealed = seed.box.encrypt(TOTP_SECRET, secret_context(org_id, ada))
        await TotpStore(seed.sessions).replace(org_id, ada, sealed, -1, int(time.time()), None)
    roles = (await _api(live, "GET", "/roles", params={"name": "admin"}))["items"]
    role = roles[0] if roles else await _api(live, "POST", "/roles", json={"name": "admin"})
    await _api(live, "POST", f"/roles/{role['id']}/assignments", json={"user_id": ada})
    return {"ada": ada, "ned": ned}


async def _sign_in_to_console(page: Page, live: LiveServer, path: str) -> None:
    await page.goto(f"{live.base_url}{path}")
    await page.wait_for_selector("#username")
    await page.fill("#username", "admin")
    await page.fill("#password", ADMIN_PASSWORD)
    await page.click("button[value=login]")


def _node(page: Page, node_id: str) -> Locator:
    return page.locator(f'.react-flow__node[data-id="{node_id}"]')


async def _drop_on_canvas(page: Page, item: str, x: float, y: float) -> None:
    """Drag a palette item onto the canvas at (x, y) relative to the canvas."""
    source = page.locator(f'[data-palette="{item}"]')
    await source.drag_to(page.locator(".react-flow__pane"), target_position={"x": x, "y": y})


async def _connect(page: Page, source: str, handle: str, target: str) -> None:
    """Drag from a node's source handle (next / then / else) to another node's input handle."""
    start = _node(page, source).locator(f'.react-flow__handle[data-handleid="{handle}"]')
    box = await start.bounding_box()
    end = await _node(page, target).locator(".react-flow__handle.target").bounding_box()
    assert box and end
    await page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    await page.mouse.down()
    await page.mouse.move(end["x"] + end["width"] / 2, end["y"] - 30, steps=8)
    await page.mouse.move(end["x"] + end["width"] / 2, end["y"] + end["height"] / 2, steps=4)
    await page.mouse.up()
    await expect(page.locator(f'.react-flow__edge[data-id="{source}:{handle}"]')).to_have_count(1)


async def test_build_save_and_log_in_through_the_designed_flow(
    live: LiveServer, site: ClientSite, chrome: PlaywrightBrowser, people: dict[str, str]
) -> None:
    context = await chrome.new_context(viewport={"width": 1280, "height": 800})
    page = await context.new_page()
    violations = watch_csp(page)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await _sign_in_to_console(page, live, "/console/applications")

    # An application, created through the console.
    await expect(page.get_by_role("heading", name="Applications")).to_be_visible()
    await page.get_by_role("link", name="Create application").click()
    await page.get_by_label("Single-page application").check()
    await page.get_by_label("Name").fill("Shop")
    await page.get_by_label("Redirect URIs").fill(f"{site.base}/shop")
    await page.get_by_role("button", name="Create").click()
    client_id = await page.get_by_test_id("client-id").inner_text()
    assert client_id

    # The designer, on that application's (inherited) flow.
    await page.get_by_role("link", name="Flows").click()
    await expect(page.get_by_role("heading", name="Login flows")).to_be_visible()
    await page.get_by_label("Flow of").select_option(client_id)
    await expect(page.locator(".react-flow__node").first).to_be_visible()
    # Start from an empty canvas: select each node and press Delete.
    while await page.locator(".react-flow__node").count():
        await page.locator(".react-flow__node").first.click()
        await page.keyboard.press("Delete")
    await expect(page.get_by_test_id("validation-status")).to_contain_text("problem")

    # Palette -> canvas: a password step, magic link dropped onto it, a condition, TOTP, allow.
    await _drop_on_canvas(page, "password", 200, 40)
    await expect(_node(page, "password")).to_be_visible()
    await page.locator('[data-palette="magic-link"]').drag_to(_node(page, "password"))
    await expect(_node(page, "password")).to_contain_text("or")
    await expect(_node(page, "password")).to_contain_text("Link by email")
    # Problems on a node (no "next" yet) are shown accessibly too.
    await expect(_node(page, "password")).to_contain_text("missing field(s): next")
    assert await _axe(page) == []
    await _drop_on_canvas(page, "condition", 200, 160)
    await _drop_on_canvas(page, "totp", 80, 290)
    await _drop_on_canvas(page, "allow", 280, 410)
    for node_id in ("condition", "totp", "allow"):
        await expect(_node(page, node_id)).to_be_visible()

    # The condition, in the side panel: role any of ["admin"].
    await _node(page, "condition").click()
    await page.get_by_label("Test", exact=True).select_option("role")
    await page.get_by_label("Match").select_option("any")
    await page.get_by_label("Names (comma separated)").fill("admin")
    await expect(_node(page, "condition")).to_contain_text("role any admin")

    # Connections, dragged from handle to handle (the whole canvas in view: 576 of 800 px).
    await page.get_by_test_id("canvas").evaluate("(e) => e.scrollIntoView({ block: 'start' })")
    await _connect(page, "password", "next", "condition")
    await _connect(page, "condition", "then", "totp")
    await _connect(page, "condition", "else", "allow")
    await _connect(page, "totp", "next", "allow")
    await expect(page.get_by_test_id("validation-status")).to_have_text("Valid flow")
    # A link is removed with Delete and comes back with Ctrl+Z.
    edge = page.locator('.react-flow__edge[data-id="totp:next"]')
    await edge.click()
    await page.keyboard.press("Delete")
    await expect(edge).to_have_count(0)
    await expect(page.get_by_test_id("validation-status")).to_contain_text("1 problem")
    await page.keyboard.press("Control+z")
    await expect(edge).to_have_count(1)
    await expect(page.get_by_test_id("validation-status")).to_have_text("Valid flow")
    text_form = await page.get_by_label("Text form").input_value()
    assert 'if role any ["admin"]' in text_form, text_form

    # The real login page of the first step, rendered by the server for the unsaved flow.
    await _node(page, "password").click()
    await page.get_by_role("button", name="Preview").click()
    frame = page.frame_locator('iframe[title="Preview of the page for password"]')
    await expect(frame.locator("#password")).to_be_visible()
    await expect(frame.locator("section.option")).to_have_count(2)
    assert await page.locator("iframe.preview__frame").get_attribute("sandbox") == ""
    assert await _axe(page) == []

    # Review the diff against the inherited flow, then save.
    await page.get_by_role("button", name="Review changes").click()
    await expect(page.get_by_test_id("flow-diff")).to_contain_text("+ step totp")
    await page.get_by_role("button", name="Save as new version").click()
    await expect(page.get_by_text("Saved revision 1.")).to_be_visible()
    await expect(page.get_by_role("table", name="History")).to_contain_text("1 (active)")

    stored = await _api(live, "GET", f"/flows/apps/{client_id}")
    assert not stored["inherited"]
    nodes = {n["id"]: n for n in stored["document"]["nodes"]}
    assert stored["document"]["start"] == "password"
    assert nodes["password"] == {
        "id": "password",
        "type": "step",
        "options": ["password", "magic-link"],
        "next": "condition",
    }
    assert nodes["condition"]["if"] == {"role": {"any": ["admin"]}}
    assert (nodes["condition"]["then"], nodes["condition"]["else"]) == ("totp", "allow")
    assert nodes["totp"] == {"id": "totp", "type": "step", "options": ["totp"], "next": "allow"}
    assert nodes["allow"] == {"id": "allow", "type": "allow"}
    assert violations == [] and errors == []
    await context.close()

    # The real hosted pages, through that flow.
    app = App(id="", client_id=client_id, client_secret=None, redirect_uri=f"{site.base}/shop")
    await _log_in(live, site, chrome, app, "ada", with_totp=True)
    await _log_in(live, site, chrome, app, "ned", with_totp=False)


AXE = Path(__file__).resolve().parents[2] / "console" / "node_modules" / "axe-core" / "axe.min.js"


async def _axe(page: Page) -> list[str]:
    """Serious and critical axe-core violations of the page (run through DevTools)."""
    if not await page.evaluate("typeof window.axe !== 'undefined'"):
        await page.evaluate(AXE.read_text())
    found = await page.evaluate(
        """async () => {
          const r = await axe.run(document, { resultTypes: ['violations'] });
          return r.violations
            .filter((v) => v.impact === 'serious' || v.impact === 'critical')
            .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
        }"""
    )
    return list(found)


async def _log_in(
    live: LiveServer,
    site: ClientSite,
    chrome: PlaywrightBrowser,
    app: App,
    username: str,
    *,
    with_totp: bool,
) -> None:
    context = await chrome.new_context()
    page = await context.new_page()
    violations = watch_csp(page)
    url, state = authorize_url(live, app)
    mark = len(site.hits)
    await page.goto(url)
    # The first step offers both options on one page.
    await expect(page.locator("section.option")).to_have_count(2)
    await page.fill("#username", username)
    await page.fill("#password", PASSWORD)
    await page.click("button[value=login]")
    if with_totp:
        await page.wait_for_selector("#totp-code")
        await page.fill("#totp-code", pyotp.TOTP(TOTP_SECRET).now())
        await page.keyboard.press("Enter")
    else:
        assert await page.locator("#totp-code").count() == 0
    # A first-party consent page may come first.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if any(hit[1].startswith(app.redirect_uri) for hit in site.hits[mark:]):
            break
        allow = page.locator("button[name=decision][value=allow]")
        if await allow.count():
            await allow.click()
        await page.wait_for_timeout(100)
    _method, callback, _body = await site.wait(app.redirect_uri, mark)
    params = query(callback)
    assert params["state"] == state and "code" in params, params
    assert violations == []
    await context.close()


def _big_flow(count: int) -> dict[str, Any]:
    nodes: list[dict[str, Any]] = []
    for i in range(count - 1):
        nxt = f"n{i + 1}"
        if i % 10 == 5 and i + 2 < count - 1:
            nodes.append(
                {
                    "id": f"n{i}",
                    "type": "condition",
                    "if": {"role": {"any": ["admin"]}},
                    "then": nxt,
                    "else": f"n{i + 2}",
                }
            )
        else:
            nodes.append({"id": f"n{i}", "type": "step", "options": ["password"], "next": nxt})
    nodes.append({"id": f"n{count - 1}", "type": "allow"})
    return {"schema": "identra.flow/1", "name": "Sixty", "start": "n0", "nodes": nodes}


# One keystroke into a React-controlled field, timed to the next painted frame.
TYPE_AND_TIME = """
async ([selector, count]) => {
  const field = document.querySelector(selector);
  const setter = Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, 'value').set;
  const frame = () => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
  const times = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    setter.call(field, field.value + 'x');
    field.dispatchEvent(new Event('input', { bubbles: true }));
    await frame();
    times.push(performance.now() - t0);
  }
  return times;
}
"""


async def test_sixty_node_flow_stays_responsive(
    live: LiveServer, chrome: PlaywrightBrowser, people: dict[str, str]
) -> None:
    # On an application of its own (the default flow is also the console's sign-in).
    async with seeding(live) as seed:
        app = await seed.app(redirect_uris=["https://big.example/cb"])
    await _api(live, "PUT", f"/flows/apps/{app.client_id}", json=_big_flow(60))
    context = await chrome.new_context(viewport={"width": 1280, "height": 800})
    page = await context.new_page()
    violations = watch_csp(page)
    await _sign_in_to_console(page, live, "/console/flows")
    await expect(page.get_by_role("heading", name="Login flows")).to_be_visible()
    await page.get_by_label("Flow of").select_option(app.client_id)
    await expect(page.locator(".react-flow__node")).to_have_count(60)
    await expect(page.get_by_test_id("validation-status")).to_have_text("Valid flow")

    # Dragging a node: each mouse move is one interaction.
    canvas = page.get_by_test_id("canvas")
    await canvas.evaluate("(e) => e.scrollIntoView({ block: 'start' })")
    area = await canvas.bounding_box()
    assert area
    node, box = None, None
    for i in range(60):  # a node fully inside the visible canvas
        candidate = _node(page, f"n{i}")
        b = await candidate.bounding_box()
        if b and b["y"] > area["y"] + 20 and b["y"] + b["height"] < area["y"] + area["height"] - 80:
            node, box = candidate, b
            break
    assert node is not None and box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + 8
    await page.mouse.move(x, y)
    await page.mouse.down()
    moves = 20
    t0 = await page.evaluate("performance.now()")
    for i in range(1, moves + 1):
        await page.mouse.move(x + 4 * i, y + 2 * i)
    t1 = await page.evaluate(
        "new Promise((r) => requestAnimationFrame(() => r(performance.now())))"
    )
    await page.mouse.up()
    moved = await node.bounding_box()
    assert moved and moved["x"] - box["x"] > 40, (box, moved)  # the node followed the mouse
    per_move = (t1 - t0) / moves
    assert per_move < 200, f"{per_move:.0f} ms per drag step"

    # Typing in the side panel: a deny node's message (a React-controlled textarea).
    await page.get_by_role("button", name="Add Deny").click()
    await expect(page.get_by_label("Message")).to_be_visible()
    times = await page.evaluate(TYPE_AND_TIME, ["#insp-message", 15])
    times.sort()
    median = times[len(times) // 2]
    assert median < 200, f"keystrokes took {times} ms"
    await expect(_node(page, "deny")).to_contain_text("xxxxxxxxxxxxxxx")
    print(f"60-node flow: {per_move:.1f} ms per drag step, median keystroke {median:.1f} ms")

    # Issue 8: a description becomes a flow on the canvas, for review (nothing saved). "admin"
    # could be the role admin or administrator: the compiler asks.
    prompt = page.get_by_label("Describe the login flow")
    await prompt.fill("Password or magic link, then TOTP for the admin role")
    await page.get_by_role("button", name="Generate").click()
    await expect(page.locator(".flows__question")).to_contain_text("administrator")
    await _api(live, "POST", "/roles", json={"name": "finance"})
    await prompt.fill("Password or magic link, then TOTP for the finance role")
    await page.get_by_role("button", name="Generate").click()
    await expect(page.get_by_text("Generated for review (not saved).")).to_be_visible()
    await expect(page.locator(".react-flow__node")).to_have_count(4, timeout=10_000)
    await expect(page.get_by_test_id("validation-status")).to_have_text("Valid flow")
    text_form = await page.get_by_label("Text form").input_value()
    assert "password, magic-link" in text_form, text_form
    assert 'role any ["finance"]' in text_form, text_form
    stored = await _api(live, "GET", f"/flows/apps/{app.client_id}")
    assert len(stored["document"]["nodes"]) == 60

    # At phone width the designer stacks (palette, canvas, side panel) and fits the screen.
    await page.set_viewport_size({"width": 390, "height": 844})
    await expect(page.get_by_test_id("canvas")).to_be_visible()
    widths = await page.evaluate(
        """() => [...document.querySelectorAll('.designer, .palette, .inspector, .flows__prompt')]
              .map((e) => [e.className, e.getBoundingClientRect().right,
                           e.scrollWidth - e.clientWidth])"""
    )
    for name, right, overflow in widths:
        assert right <= 390 and overflow <= 1, (name, right, overflow)
    assert violations == []
    await context.close()
