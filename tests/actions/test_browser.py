"""A custom authenticator (an authentication action) in Debian Chromium: the login page offers
it, the browser goes to the sample service's PIN page (samples/actions/python), a wrong PIN is
refused there, the right one sends the browser back, and the application gets its code."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterator
from urllib.parse import urlencode

import httpx
import pytest
import pytest_asyncio
from playwright.async_api import Browser as PlaywrightBrowser
from playwright.async_api import ConsoleMessage

from identra.clock import Clock
from tests.actions.samples import Sample
from tests.actions.support import claims_of, mount
from tests.protocol.oidc.live import ClientSite, ClockedLiveServer, chromium, seeding
from tests.protocol.oidc.support import pkce_pair, query
from tests.support import ADMIN

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]
FLOW = {
    "schema": "identra.flow/1",
    "name": "Password or PIN",
    "start": "login",
    "nodes": [
        {"id": "login", "type": "step", "options": ["password", "action:pin"], "next": "ok"},
        {"id": "ok", "type": "allow"},
    ],
}


@pytest.fixture(scope="module")
def site() -> Iterator[ClientSite]:
    with ClientSite() as value:
        yield value


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClockedLiveServer]:
    live = ClockedLiveServer(tmp_path_factory.mktemp("actions-browser"), Clock())
    mount(live.app)
    with live:
        yield live


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def chrome() -> AsyncIterator[PlaywrightBrowser]:
    async with chromium() as browser:
        yield browser


async def test_pin_page_round_trip(
    server: ClockedLiveServer, site: ClientSite, chrome: PlaywrightBrowser
) -> None:
    async with seeding(server) as seed:
        user_id = await seed.user("alice")
        app = await seed.app(redirect_uris=[site.base + "/cb"], settings={"skip_consent": True})
    async with httpx.AsyncClient(base_url=server.base_url) as api:
        created = await api.post(
            "/api/v1/orgs/root/actions",
            json={
                "name": "pin",
                "type": "authentication",
                "endpoint": "https://placeholder.example.com/",
                "config": {"label": "Sign in with a PIN"},
                "signed": True,
            },
            headers=ADMIN,
        )
        assert created.status_code == 201, created.text
        action = created.json()
        applied = await api.put(
            f"/api/v1/orgs/root/flows/apps/{app.client_id}", json=FLOW, headers=ADMIN
        )
        assert applied.status_code in (200, 201), applied.text
        with Sample("python", "authentication", "--secret", action["signing_secret"]) as sample:
            patched = await api.patch(
                f"/api/v1/orgs/root/actions/{action['id']}",
                json={"endpoint": sample.url + "/"},
                headers=ADMIN,
            )
            assert patched.status_code == 200, patched.text

            verifier, challenge = pkce_pair()
            state = secrets.token_urlsafe(8)
            params = {
                "response_type": "code",
                "client_id": app.client_id,
                "redirect_uri": app.redirect_uri,
                "scope": "openid",
                "state": state,
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            }
            context = await chrome.new_context()
            page = await context.new_page()
            problems: list[str] = []

            def console(message: ConsoleMessage) -> None:
                # A favicon 404 at the sample is not a problem; a blocked script or form is.
                if message.type == "error" and "Failed to load resource" not in message.text:
                    problems.append(message.text)

            page.on("console", console)
            await page.goto(f"{server.base_url}/oauth2/authorize?{urlencode(params)}")
            button = page.get_by_role("button", name="Sign in with a PIN")
            await button.focus()
            await page.keyboard.press("Enter")
            await page.wait_for_url(f"{sample.url}/pin*")
            assert await page.title() == "Enter your PIN"
            await page.get_by_label("Username").fill("alice")
            await page.get_by_label("PIN").fill("9999")
            await page.get_by_role("button", name="Continue").click()
            await page.get_by_role("alert").wait_for()
            assert "not correct" in (await page.get_by_role("alert").inner_text())
            await page.get_by_label("Username").fill("alice")
            await page.get_by_label("PIN").fill("1234")
            await page.keyboard.press("Enter")
            hit = await site.wait(site.base + "/cb")
            await context.close()
        got = query(hit[1])
        assert got["state"] == state, hit
        token = await api.post(
            "/oauth2/token",
            data={
                "grant_type": "authorization_code",
                "code": got["code"],
                "redirect_uri": app.redirect_uri,
                "code_verifier": verifier,
            },
            auth=(app.client_id, app.client_secret or ""),
        )
        assert token.status_code == 200, token.text
        assert claims_of(token.json()["access_token"])["sub"] == user_id
    assert problems == [], problems
