"""The admin console (``console/``, served by ``identra.web.console``).

Over HTTP: the SPA and its assets with a strict CSP, client routes falling back to index.html,
the ``identra-console`` OAuth client created once on first use, and the management API taking
the console's user tokens (the bootstrap admin may manage; a user without a role may not).
In Chromium: sign in to the console as the bootstrap admin through the real login page, create
an application (its secret shown once) and a user, and see both listed.

The console must have been built (``scripts/setup.sh`` runs ``npm run build`` in console/).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from playwright.async_api import ConsoleMessage, Page, Response, expect
from sqlalchemy import func, select

import identra
from identra.storage.models import Application
from identra.web import console
from tests.protocol.oidc.live import chromium
from tests.protocol.oidc.support import PASSWORD, bearer, forms, hidden, make_user, query
from tests.support import ADMIN_PASSWORD, Harness, LiveServer, harness

BUILD = Path(identra.__file__).parent / "static" / "console"
NEEDS_BUILD = "the console is not built: run scripts/setup.sh (npm run build in console/)"


def mount(app: FastAPI) -> None:
    """The console's routes, unless app.py mounts them already."""
    if not any(getattr(r, "path", "") == "/console" for r in app.router.routes):
        app.router.routes.extend(console.routes())


@pytest_asyncio.fixture
async def h(tmp_path: Path) -> AsyncIterator[Harness]:
    async with harness(tmp_path) as value:
        mount(value.app)
        yield value


def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).decode().rstrip("=")


async def _console_token(h: Harness, username: str, password: str) -> dict[str, str]:
    """The console's sign-in, done by hand: code flow with PKCE, state and nonce."""
    config = (await h.client.get("/console/config.json")).json()
    verifier, challenge = _pkce()
    params = {
        "response_type": "code",
        "client_id": config["client_id"],
        "redirect_uri": config["redirect_uri"],
        "scope": " ".join(config["scopes"]),
        "state": "st",
        "nonce": "nn",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    resp = await h.client.get(f"/oauth2/authorize?{urlencode(params)}")
    for _ in range(10):
        if resp.status_code == 200 and 'name="password"' in resp.text:
            data = {**hidden(resp.text), "username": username, "password": password}
            data["action"] = "login"
            resp = await h.client.post(forms(resp.text)[0]["action"], data=data)
            continue
        assert resp.status_code in (302, 303), (resp.status_code, resp.text[:500])
        location = resp.headers["location"]
        if location.startswith(config["redirect_uri"]):
            break
        resp = await h.client.get(location)
    else:
        raise AssertionError("no redirect to the console")
    back = query(location)
    assert back["state"] == "st", back
    token = await h.client.post(
        "/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": back["code"],
            "redirect_uri": config["redirect_uri"],
            "client_id": config["client_id"],
            "code_verifier": verifier,
        },
    )
    assert token.status_code == 200, token.text
    return dict(token.json())


async def test_index_and_client_routes_have_a_strict_csp(h: Harness) -> None:
    assert (BUILD / "index.html").is_file(), NEEDS_BUILD
    for path in ("/console", "/console/", "/console/applications/new", "/console/callback"):
        resp = await h.client.get(path)
        assert resp.status_code == 200, path
        assert resp.headers["content-type"].startswith("text/html")
        assert resp.headers["cache-control"] == "no-cache"
        csp = resp.headers["content-security-policy"]
        assert "script-src 'self';" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert '<div id="root">' in resp.text
        # No inline script: every script element loads a file from this origin.
        assert not re.search(r"<script(?![^>]*\bsrc=\"/console/assets/)[^>]*>", resp.text)


async def test_assets_are_served_and_missing_ones_are_404(h: Harness) -> None:
    index = (await h.client.get("/console/")).text
    script = re.search(r'src="(/console/assets/[^"]+\.js)"', index)
    assert script, index
    resp = await h.client.get(script.group(1))
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/javascript")
    assert "immutable" in resp.headers["cache-control"]
    again = await h.client.get(script.group(1), headers={"if-none-match": resp.headers["etag"]})
    assert again.status_code == 304
    for bad in (
        "/console/assets/nope.js",
        "/console/assets/..%2findex.html",
        "/console/assets/a/b",
    ):
        assert (await h.client.get(bad)).status_code == 404, bad


async def test_console_client_is_created_once(h: Harness) -> None:
    first = await h.client.get("/console/config.json")
    assert first.status_code == 200
    config = first.json()
    assert config["client_id"] == "identra-console"
    assert config["redirect_uri"] == f"{h.settings.issuer}/console/callback"
    assert config["org"] == "root"
    h.app.state.console_client_ready = False  # as on another node
    await h.client.get("/console/")
    async with h.services.sessions() as session:
        rows = (
            await session.scalars(
                select(Application).where(Application.client_id == "identra-console")
            )
        ).all()
        count = await session.scalar(select(func.count()).select_from(Application))
    assert len(rows) == 1 and count == 1
    app = rows[0]
    assert app.token_endpoint_auth_method == "none" and app.pkce_required
    assert app.redirect_uris == [f"{h.settings.issuer}/console/callback"]
    assert app.settings.get("skip_consent") is True
    assert "apps:write" in app.scopes and "users:write" in app.scopes


async def test_bootstrap_admin_token_manages_and_plain_user_token_cannot(h: Harness) -> None:
    tokens = await _console_token(h, "admin", ADMIN_PASSWORD)
    auth = bearer(tokens["access_token"])
    listed = await h.client.get("/api/v1/orgs/root/applications", headers=auth)
    assert listed.status_code == 200, listed.text
    assert [a["client_id"] for a in listed.json()["items"]] == ["identra-console"]
    created = await h.client.post(
        "/api/v1/orgs/root/users", json={"username": "carol", "password": PASSWORD}, headers=auth
    )
    assert created.status_code == 201, created.text

    # A user with no role signs in fine, but the token carries no management permission.
    await make_user(h, username="dave")
    h.client.cookies.clear()  # end the admin's browser session
    plain = await _console_token(h, "dave", PASSWORD)
    denied = await h.client.get("/api/v1/orgs/root/users", headers=bearer(plain["access_token"]))
    assert denied.status_code == 403
    assert denied.headers["content-type"].startswith("application/problem+json")


async def test_token_needs_the_pkce_verifier(h: Harness) -> None:
    """A public client: the code without the right verifier is refused."""
    config = (await h.client.get("/console/config.json")).json()
    _verifier, challenge = _pkce()
    params = {
        "response_type": "code",
        "client_id": config["client_id"],
        "redirect_uri": config["redirect_uri"],
        "scope": "openid",
        "state": "s",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    resp = await h.client.get(f"/oauth2/authorize?{urlencode(params)}")
    while resp.status_code in (302, 303) and "password" not in resp.text:
        resp = await h.client.get(resp.headers["location"])
    data = {**hidden(resp.text), "username": "admin", "password": ADMIN_PASSWORD}
    data["action"] = "login"
    resp = await h.client.post(forms(resp.text)[0]["action"], data=data)
    while not resp.headers.get("location", "").startswith(config["redirect_uri"]):
        assert resp.status_code in (302, 303), resp.text[:300]
        resp = await h.client.get(resp.headers["location"])
    code = query(resp.headers["location"])["code"]
    token = await h.client.post(
        "/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": config["redirect_uri"],
            "client_id": config["client_id"],
            "code_verifier": secrets.token_urlsafe(48),
        },
    )
    assert token.status_code == 400 and token.json()["error"] == "invalid_grant"


# --- Chromium -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    assert (BUILD / "index.html").is_file(), NEEDS_BUILD
    server = LiveServer(tmp_path_factory.mktemp("e2e-console"))
    mount(server.app)
    with server:
        yield server


@pytest.mark.browser
async def test_sign_in_create_application_and_user(live: LiveServer) -> None:
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        # Failed requests are logged as errors too; the form's 422 is expected, so those are
        # judged by status below instead.
        if "Failed to load resource" in message.text:
            return
        if message.type == "error" or "Content Security Policy" in message.text:
            problems.append(message.text)

    def on_response(response: Response) -> None:
        if response.status >= 500 or response.status in (401, 403, 404):
            problems.append(f"{response.status} {response.url}")

    async with chromium() as browser:
        context = await browser.new_context(viewport={"width": 1280, "height": 800})
        page = await context.new_page()
        page.on("console", on_console)
        page.on("pageerror", lambda exc: problems.append(str(exc)))
        page.on("response", on_response)
        await _run(page, live)
        await context.close()
    assert problems == []


async def _run(page: Page, live: LiveServer) -> None:
    await page.goto(f"{live.base_url}/console/applications")
    # The console sent us to Identra's own login page.
    await page.wait_for_selector("#username")
    assert urlsplit(page.url).path.startswith("/login") or "/oauth2/" in page.url
    await page.fill("#username", "admin")
    await page.fill("#password", ADMIN_PASSWORD)
    await page.click("button[value=login]")
    # Back in the console, where we started.
    await expect(page.get_by_role("heading", name="Applications")).to_be_visible()
    assert urlsplit(page.url).path == "/console/applications"
    await expect(page.get_by_role("cell", name="identra-console")).to_be_visible()

    # Create an application from the single-page template; an error from the API first.
    await page.get_by_role("link", name="Create application").click()
    await page.get_by_label("Single-page application").check()
    await page.get_by_label("Name").fill("Storefront")
    await page.get_by_label("Redirect URIs").fill("http://shop.example/cb")
    await page.get_by_role("button", name="Create").click()
    await expect(page.get_by_role("alert")).to_contain_text("must use https")
    await page.get_by_label("Redirect URIs").fill("https://shop.example/cb")
    await page.get_by_role("button", name="Create").click()
    await expect(page.get_by_role("heading", name="Application Storefront created")).to_be_visible()
    assert await page.get_by_test_id("client-secret").count() == 0  # public: no secret

    # A web application has a secret, shown once.
    await page.get_by_role("link", name="Done").click()
    await page.get_by_role("link", name="Create application").click()
    await page.get_by_label("Name").fill("Billing")
    await page.get_by_label("Redirect URIs").fill("https://billing.example/cb")
    await page.get_by_role("button", name="Create").click()
    secret = await page.get_by_test_id("client-secret").inner_text()
    assert len(secret) >= 32
    await page.get_by_role("link", name="Done").click()
    await expect(page.get_by_role("cell", name="Billing", exact=True)).to_be_visible()
    await expect(page.get_by_role("cell", name="Storefront", exact=True)).to_be_visible()
    assert secret not in await page.content()

    # Create a user and find it.
    await page.get_by_role("link", name="Users").click()
    await page.get_by_role("link", name="Create user").click()
    await page.get_by_label("Username").fill("erin")
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_label("Display name").fill("Erin Example")
    await page.get_by_role("button", name="Create").click()
    await expect(page.get_by_role("cell", name="Erin Example")).to_be_visible()
    await page.get_by_label("Username starts with").fill("eri")
    await page.get_by_role("button", name="Search").click()
    await expect(page.get_by_role("cell", name="admin", exact=True)).to_have_count(0)
    await expect(page.get_by_role("cell", name="erin", exact=True)).to_be_visible()

    # A group with erin in it (a missing name is caught before anything is sent), and a role
    # assigned to that group.
    await page.get_by_role("link", name="Groups", exact=True).click()
    await page.get_by_role("link", name="Create group").click()
    await page.get_by_role("button", name="Create").click()
    await expect(page.get_by_text("Enter a name.")).to_be_visible()
    await page.get_by_label("Name").fill("support")
    await page.get_by_role("button", name="Create").click()
    await expect(page.get_by_role("heading", name="Group support")).to_be_visible()
    await page.get_by_label("Add member (username)").fill("erin")
    await page.get_by_role("button", name="Add member").click()
    await expect(page.get_by_role("link", name="erin", exact=True)).to_be_visible()
    await page.get_by_role("link", name="Roles", exact=True).click()
    await page.get_by_role("link", name="Create role").click()
    await page.get_by_label("Name").fill("helpdesk")
    await page.get_by_label("users:read").check()
    await page.get_by_role("button", name="Create").click()
    await expect(page.get_by_role("heading", name="Role helpdesk")).to_be_visible()
    await page.get_by_label("a group").check()
    await page.get_by_label("Group name").fill("support")
    await page.get_by_role("button", name="Assign").click()
    await expect(page.get_by_role("link", name="support", exact=True)).to_be_visible()

    # The overview counts them (console + Storefront + Billing; admin + erin).
    await page.get_by_role("link", name="Overview").click()
    await expect(page.get_by_test_id("count-applications")).to_have_text("3")
    await expect(page.get_by_test_id("count-users")).to_have_text("2")

    # Branding: a primary color, saved, is worn by the organization's hosted pages.
    await page.get_by_role("link", name="Branding").click()
    await expect(page.get_by_role("heading", name="Branding", exact=True)).to_be_visible()
    await page.get_by_label("Primary color", exact=True).fill("#AA3300")
    await page.get_by_role("button", name="Save").click()
    await expect(page.get_by_role("status").filter(has_text="Saved.")).to_be_visible()
    await expect(page.get_by_label("Primary color", exact=True)).to_have_value("#aa3300")
    link = page.get_by_role("link", name="Open the real login page")
    assert await link.get_attribute("href") == f"{live.base_url}/device"
    async with httpx.AsyncClient(base_url=live.base_url) as client:
        html = ""
        for _ in range(30):  # themes are forgotten on every node within a second
            html = (await client.get("/device")).text
            if "--identra-primary: #aa3300;" in html:
                break
            await asyncio.sleep(0.1)
    assert "--identra-primary: #aa3300;" in html

    # What the browser did was real: the API has them.
    async with httpx.AsyncClient(base_url=live.base_url) as client:
        auth = httpx.BasicAuth("admin", ADMIN_PASSWORD)
        apps = (await client.get("/api/v1/orgs/root/applications", auth=auth)).json()["items"]
        users = (await client.get("/api/v1/orgs/root/users?q=erin", auth=auth)).json()["items"]
        groups = (await client.get("/api/v1/orgs/root/groups?name=support", auth=auth)).json()
        group = groups["items"][0]
        members = await client.get(f"/api/v1/orgs/root/groups/{group['id']}/members", auth=auth)
        roles = (await client.get("/api/v1/orgs/root/roles?name=helpdesk", auth=auth)).json()
        role = roles["items"][0]
        held = await client.get(f"/api/v1/orgs/root/roles/{role['id']}/assignments", auth=auth)
    assert {a["name"] for a in apps} == {console.CLIENT_NAME, "Storefront", "Billing"}
    assert [u["username"] for u in users] == ["erin"]
    assert [m["username"] for m in members.json()["items"]] == ["erin"]
    assert role["permissions"] == ["users:read"]
    assert [a["group_id"] for a in held.json()["items"]] == [group["id"]]
