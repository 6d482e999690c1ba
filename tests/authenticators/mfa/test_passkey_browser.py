"""Passkeys in a real browser: Debian Chromium through Playwright with a CDP virtual
authenticator (CTAP2, internal transport, resident keys, user verification), against Identra
served at ``http://localhost:PORT`` (WebAuthn refuses IP addresses as RP ids) with flows
applied by ``identra flows apply``. The page's script is ``/static/passkey.js``, loaded with
the CSP nonce; nothing on these pages may violate the Content-Security-Policy."""

from __future__ import annotations

import base64
import json
import os
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
import pytest_asyncio
import uvicorn
from playwright.async_api import Browser as PlaywrightBrowser
from playwright.async_api import BrowserContext, CDPSession, ConsoleMessage, Page
from sqlalchemy import select

from identra.app import create_app
from identra.storage.models.users import Credential
from tests.authenticators.mfa.flows import apply_flow
from tests.protocol.oidc.live import ClientSite, chromium, seeding
from tests.protocol.oidc.support import PASSWORD, App, pkce_pair, query
from tests.support import LiveServer, free_port, make_settings

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]
USER = "pat"

PASSKEY_FIRST = """\
flow "Passkey or password"
start login

step login
  options passkey, password
  next offer-passkey

enroll offer-passkey
  options passkey
  next done
  skippable true

allow done
"""

IDENTIFIER_FIRST = """\
flow "Identifier, then passkey"
start who

identify who
  next key

step key
  options passkey
  next done

allow done
"""


class LocalhostServer(LiveServer):
    """``tests.support.LiveServer`` whose issuer is ``http://localhost:PORT``."""

    def __init__(self, tmp_path: Path) -> None:
        self.port = free_port()
        self.base_url = f"http://localhost:{self.port}"
        self.settings = make_settings(tmp_path, issuer=self.base_url)
        self.app = create_app(self.settings)
        config = uvicorn.Config(
            self.app, host="127.0.0.1", port=self.port, log_config=None, lifespan="on"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)


class Apps:
    def __init__(self, passkey_first: App, identifier_first: App) -> None:
        self.passkey_first = passkey_first
        self.identifier_first = identifier_first


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("e2e-passkey")


@pytest.fixture(scope="module")
def site() -> Iterator[ClientSite]:
    with ClientSite() as value:
        yield value


@pytest.fixture(scope="module")
def server(folder: Path) -> Iterator[LocalhostServer]:
    with LocalhostServer(folder) as live:
        yield live


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def apps(server: LocalhostServer, site: ClientSite, folder: Path) -> Apps:
    async with seeding(server) as seed:
        await seed.user(USER)
        first = await seed.app(redirect_uris=[site.base + "/cb"])
        second = await seed.app(redirect_uris=[site.base + "/cb2"])
    await apply_flow(server.settings, folder, PASSKEY_FIRST, first.client_id)
    await apply_flow(server.settings, folder, IDENTIFIER_FIRST, second.client_id)
    return Apps(first, second)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def chrome() -> AsyncIterator[PlaywrightBrowser]:
    async with chromium() as browser:
        yield browser


class Tab:
    """One browser tab with a virtual authenticator and a CSP-violation recorder."""

    def __init__(self, context: BrowserContext, page: Page, cdp: CDPSession, authenticator: str):
        self.context = context
        self.page = page
        self.cdp = cdp
        self.authenticator = authenticator
        self.violations: list[str] = []
        page.on("console", self._console)

    def _console(self, message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Refused to" in message.text:
            self.violations.append(message.text)

    async def credentials(self) -> list[dict[str, Any]]:
        found = await self.cdp.send(
            "WebAuthn.getCredentials", {"authenticatorId": self.authenticator}
        )
        return list(found["credentials"])

    async def user_verified(self, value: bool) -> None:
        await self.cdp.send(
            "WebAuthn.setUserVerified",
            {"authenticatorId": self.authenticator, "isUserVerified": value},
        )


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def tab(chrome: PlaywrightBrowser) -> AsyncIterator[Tab]:
    context = await chrome.new_context()
    page = await context.new_page()
    cdp = await context.new_cdp_session(page)
    await cdp.send("WebAuthn.enable", {"enableUI": False})
    added = await cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    yield Tab(context, page, cdp, added["authenticatorId"])
    await context.close()


def authorize_url(server: LocalhostServer, app: App, **extra: str) -> tuple[str, str, str]:
    verifier, challenge = pkce_pair()
    params = {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": app.redirect_uri,
        "scope": "openid profile",
        "state": "st-" + os.urandom(4).hex(),
        "nonce": "n",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **extra,
    }
    url = f"{server.base_url}/oauth2/authorize?{urlencode(params)}"
    return url, params["state"], verifier


def b64u(standard_b64: str) -> str:
    """CDP gives credential ids in standard base64; WebAuthn JSON uses base64url."""
    raw = base64.b64decode(standard_b64 + "=" * (-len(standard_b64) % 4))
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


async def back_at_client(
    tab: Tab, site: ClientSite, app: App, mark: int, state: str
) -> dict[str, str]:
    """Wait for the redirect to the client (pressing Allow on the consent page if asked)."""
    for _ in range(300):
        for _method, url, _body in site.hits[mark:]:
            if url.startswith(app.redirect_uri):
                params = query(url)
                assert params.get("state") == state, params
                return params
        allow = tab.page.locator("button[value=allow]")
        if await allow.count():
            await allow.click()
        await tab.page.wait_for_timeout(100)
    raise AssertionError(f"never back at the client; page shows:\n{await tab.page.content()}")


async def id_token_claims(server: LocalhostServer, app: App, code: str, verifier: str) -> Any:
    assert app.client_secret is not None
    async with httpx.AsyncClient(base_url=server.base_url) as client:
        resp = await client.post(
            "/oauth2/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": app.redirect_uri,
                "code_verifier": verifier,
            },
            auth=(app.client_id, app.client_secret),
        )
    assert resp.status_code == 200, resp.text
    payload = resp.json()["id_token"].split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


async def passkey_rows(server: LocalhostServer) -> list[Credential]:
    async with seeding(server) as seed:
        async with seed.sessions() as session:
            rows = await session.scalars(select(Credential).where(Credential.kind == "passkey"))
            return list(rows)


async def test_enroll_a_passkey_after_a_password_then_sign_in_without_a_username(
    server: LocalhostServer, apps: Apps, site: ClientSite, tab: Tab
) -> None:
    app = apps.passkey_first
    page = tab.page
    url, state, _ = authorize_url(server, app)
    mark = len(site.hits)
    response = await page.goto(url)
    # Both options are offered; the page allows scripts with its nonce only.
    assert response is not None
    assert "script-src 'nonce-" in response.headers["content-security-policy"]
    await page.wait_for_selector("form[data-passkey=get] button")
    await page.fill("#username", USER)
    await page.fill("#password", PASSWORD)
    await page.click("button[value=login]")
    # Progressive enrollment: offered a passkey, which the user sets up.
    await page.click("button[value=choose]")
    await page.wait_for_selector("form[data-passkey=create]")
    await page.fill("#passkey-name", "Virtual laptop")
    await page.click("form[data-passkey=create] button[value=enroll]")
    await back_at_client(tab, site, app, mark, state)

    stored = await tab.credentials()
    assert len(stored) == 1 and stored[0]["isResidentCredential"] is True
    rows = await passkey_rows(server)
    assert len(rows) == 1 and rows[0].name == "Virtual laptop"
    assert rows[0].data["user_verified"] is True
    assert rows[0].lookup == b64u(stored[0]["credentialId"])

    # Signing in again: no username, no password, the passkey alone.
    url, state, verifier = authorize_url(server, app, prompt="login")
    mark = len(site.hits)
    await page.goto(url)
    await page.click("form[data-passkey=get] button")
    params = await back_at_client(tab, site, app, mark, state)
    claims = await id_token_claims(server, app, params["code"], verifier)
    assert "hwk" in claims["amr"] and "pwd" not in claims["amr"]
    assert claims["acr"] == "urn:identra:acr:mfa"
    rows = await passkey_rows(server)
    assert rows[0].data["sign_count"] == (await tab.credentials())[0]["signCount"]
    assert tab.violations == []


async def test_identifier_first_then_the_users_passkey_with_the_keyboard(
    server: LocalhostServer, apps: Apps, site: ClientSite, tab: Tab
) -> None:
    if not await tab.credentials():
        pytest.fail("runs after the enrollment test (module order)")
    app = apps.identifier_first
    page = tab.page
    url, state, _ = authorize_url(server, app, prompt="login")
    mark = len(site.hits)
    await page.goto(url)
    await page.fill("#username", USER)
    await page.keyboard.press("Enter")
    await page.wait_for_selector("form[data-passkey=get]")
    options = json.loads(await page.get_attribute("form[data-passkey=get]", "data-options") or "")
    known = (await tab.credentials())[0]["credentialId"]
    assert [c["id"] for c in options["allowCredentials"]] == [b64u(known)]
    await page.focus("form[data-passkey=get] button")
    await page.keyboard.press("Enter")
    await back_at_client(tab, site, app, mark, state)
    assert tab.violations == []


async def test_a_failed_ceremony_is_explained_on_the_page(
    server: LocalhostServer, apps: Apps, site: ClientSite, tab: Tab
) -> None:
    app = apps.passkey_first
    page = tab.page
    url, _state, _ = authorize_url(server, app, prompt="login")
    await page.goto(url)
    await tab.user_verified(False)  # the user fails the fingerprint check
    try:
        await page.click("form[data-passkey=get] button")
        status = page.locator("[data-passkey-status]")
        await status.wait_for(state="visible")
        assert "cancelled or timed out" in await status.inner_text()
        assert "/login/" in page.url  # still on the sign-in page, nothing was posted
    finally:
        await tab.user_verified(True)
    # Trying again works.
    url, state, _ = authorize_url(server, app, prompt="login")
    await page.goto(url)
    mark = len(site.hits)
    await page.click("form[data-passkey=get] button")
    await back_at_client(tab, site, app, mark, state)
    assert tab.violations == []


async def test_without_javascript_the_passkey_option_explains_itself(
    server: LocalhostServer, apps: Apps, chrome: PlaywrightBrowser
) -> None:
    context = await chrome.new_context(java_script_enabled=False)
    page = await context.new_page()
    url, _state, _ = authorize_url(server, apps.passkey_first)
    await page.goto(url)
    await page.click("form[data-passkey=get] button")
    alert = page.locator("#form-error")
    await alert.wait_for()
    assert "need JavaScript" in await alert.inner_text()
    # The password is still there to use.
    assert await page.locator("#password").count() == 1
    await context.close()
