"""openid-client (npm, v6) as the relying party against a live Identra, the user's part done
in Debian Chromium through Playwright.

Shown: discovery validation; authorization code + PKCE + state + nonce with the ID token
validated by openid-client; userinfo; refresh with rotation (the old refresh token rejected);
client credentials; RP-initiated logout; and the negative cases: wrong PKCE verifier, reused
code, unregistered redirect URI not redirected to, wrong client secret, expired code.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import pytest_asyncio
from playwright.async_api import Browser as PlaywrightBrowser
from playwright.async_api import Page

from tests.protocol.oidc.live import (
    ClientSite,
    ClockedLiveServer,
    RelyingParty,
    ShiftedClock,
    chromium,
    relying_party,
    seeding,
)
from tests.protocol.oidc.support import PASSWORD, App, query

pytestmark = [
    pytest.mark.node,
    pytest.mark.browser,
    pytest.mark.asyncio(loop_scope="module"),
]
USER = "rp-user"
CALLBACK = "/rp/callback"  # on the relying party's own server (ClientSite)
LOGOUT_CALLBACK = "/rp/bye"


@pytest.fixture(scope="module")
def clock() -> ShiftedClock:
    return ShiftedClock()


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, clock: ShiftedClock
) -> Iterator[ClockedLiveServer]:
    with ClockedLiveServer(tmp_path_factory.mktemp("live"), clock) as live:
        yield live


@pytest.fixture(scope="module")
def site() -> Iterator[ClientSite]:
    with ClientSite() as value:
        yield value


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def apps(server: ClockedLiveServer, site: ClientSite) -> dict[str, App]:
    async with seeding(server) as seed:
        await seed.user(USER)
        return {
            "web": await seed.app(
                redirect_uris=[site.base + CALLBACK],
                post_logout_redirect_uris=[site.base + LOGOUT_CALLBACK],
            ),
            "spa": await seed.app(type="spa", redirect_uris=[site.base + CALLBACK]),
            "m2m": await seed.app(type="m2m", scopes=["api:read"]),
        }


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def chrome() -> AsyncIterator[PlaywrightBrowser]:
    async with chromium() as browser:
        yield browser


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def rp() -> AsyncIterator[RelyingParty]:
    async with relying_party() as value:
        yield value


@pytest_asyncio.fixture(loop_scope="module")
async def page(chrome: PlaywrightBrowser) -> AsyncIterator[Page]:
    context = await chrome.new_context()
    try:
        yield await context.new_page()
    finally:
        await context.close()


def _client(server: ClockedLiveServer, app: App, **extra: Any) -> dict[str, Any]:
    return {
        "issuer": server.base_url,
        "client_id": app.client_id,
        "client_secret": app.client_secret,
        **extra,
    }


async def _login_in_browser(page: Page, site: ClientSite, url: str) -> str:
    """Go to the authorization URL, log in and consent when asked; the client's callback URL."""
    mark = len(site.hits)
    await page.goto(url)
    if await page.locator("#password").count():
        await page.fill("#username", USER)
        await page.fill("#password", PASSWORD)
        await page.click("button[value=login]")
    for _ in range(600):
        if any(hit[1].startswith(site.base + CALLBACK) for hit in site.hits[mark:]):
            break
        allow = page.locator("button[value=allow]")
        if await allow.count():
            await allow.click()
        await asyncio.sleep(0.05)
    return (await site.wait(site.base + CALLBACK, mark, timeout=5))[1]


async def test_discovery_is_valid_for_openid_client(
    server: ClockedLiveServer, apps: dict[str, App], rp: RelyingParty
) -> None:
    found = await rp("discover", **_client(server, apps["web"]))
    assert "error" not in found, found
    meta = found["metadata"]
    assert meta["issuer"] == server.base_url
    assert meta["authorization_endpoint"] == f"{server.base_url}/oauth2/authorize"
    assert meta["code_challenge_methods_supported"] == ["S256"]


async def test_code_flow_userinfo_refresh_and_logout(
    server: ClockedLiveServer,
    apps: dict[str, App],
    page: Page,
    site: ClientSite,
    rp: RelyingParty,
) -> None:
    web = apps["web"]
    client = _client(server, web)
    started = await rp(
        "start", **client, redirect_uri=site.base + CALLBACK, scope="openid profile email"
    )
    callback_url = await _login_in_browser(page, site, started["url"])
    done = await rp(
        "callback",
        **client,
        callback_url=callback_url,
        verifier=started["verifier"],
        state=started["state"],
        nonce=started["nonce"],
        userinfo=True,
    )
    assert "error" not in done, done
    claims = done["claims"]
    assert claims["iss"] == server.base_url and claims["aud"] == web.client_id
    assert claims["nonce"] == started["nonce"] and claims["amr"] == ["pwd"]
    assert done["userinfo"]["sub"] == claims["sub"]
    assert done["userinfo"]["email"] == f"{USER}@example.com"
    tokens = done["tokens"]

    refreshed = await rp("refresh", **client, refresh_token=tokens["refresh_token"])
    assert "error" not in refreshed, refreshed
    assert refreshed["tokens"]["refresh_token"] != tokens["refresh_token"]
    assert refreshed["claims"]["sub"] == claims["sub"]
    info = await rp(
        "userinfo", **client, access_token=refreshed["tokens"]["access_token"], sub=claims["sub"]
    )
    assert info["userinfo"]["preferred_username"] == USER
    old = await rp("refresh", **client, refresh_token=tokens["refresh_token"])
    assert old["error"] == "invalid_grant", old

    # RP-initiated logout, in the browser; then the SSO session is gone.
    ended = await rp(
        "end_session_url",
        **client,
        id_token=tokens["id_token"],
        post_logout_redirect_uri=site.base + LOGOUT_CALLBACK,
        state="see-you",
    )
    mark = len(site.hits)
    await page.goto(ended["url"])
    _method, back, _body = await site.wait(site.base + LOGOUT_CALLBACK, mark)
    assert query(back) == {"state": "see-you"}
    again = await rp("start", **client, redirect_uri=site.base + CALLBACK, extra={"prompt": "none"})
    mark = len(site.hits)
    await page.goto(again["url"])
    _method, silent, _body = await site.wait(site.base + CALLBACK, mark)
    assert query(silent)["error"] == "login_required"


async def test_client_credentials(
    server: ClockedLiveServer, apps: dict[str, App], rp: RelyingParty
) -> None:
    m2m = apps["m2m"]
    good = await rp("client_credentials", **_client(server, m2m), scope="api:read")
    assert good["tokens"]["token_type"].lower() == "bearer", good
    assert good["tokens"]["scope"] == "api:read"
    wrong = await rp(
        "client_credentials", **_client(server, m2m, client_secret="wrong"), scope="api:read"
    )
    assert wrong["error"] == "invalid_client", wrong
    assert wrong["status"] == 401


async def test_negative_cases(
    server: ClockedLiveServer,
    apps: dict[str, App],
    page: Page,
    clock: ShiftedClock,
    site: ClientSite,
    rp: RelyingParty,
) -> None:
    spa = apps["spa"]  # a public client: PKCE is all that protects its code
    client = _client(server, spa)

    # Wrong PKCE verifier: refused, and the code is burnt.
    started = await rp("start", **client, redirect_uri=site.base + CALLBACK)
    callback_url = await _login_in_browser(page, site, started["url"])
    checks = {"state": started["state"], "nonce": started["nonce"]}
    wrong = await rp("callback", **client, callback_url=callback_url, verifier="x" * 43, **checks)
    assert wrong["error"] == "invalid_grant", wrong

    # Reused code: the first exchange works, the second is refused.
    started = await rp("start", **client, redirect_uri=site.base + CALLBACK)
    callback_url = await _login_in_browser(page, site, started["url"])
    checks = {"state": started["state"], "nonce": started["nonce"]}
    first = await rp(
        "callback", **client, callback_url=callback_url, verifier=started["verifier"], **checks
    )
    assert "error" not in first, first
    reused = await rp(
        "callback", **client, callback_url=callback_url, verifier=started["verifier"], **checks
    )
    assert reused["error"] == "invalid_grant", reused
    # ... and the tokens issued from it were revoked.
    revoked = await rp(
        "userinfo",
        **client,
        access_token=first["tokens"]["access_token"],
        sub=first["claims"]["sub"],
    )
    assert "error" in revoked and revoked["status"] == 401, revoked

    # Expired code (the server's clock moves past tokens.authorization_code_ttl).
    started = await rp("start", **client, redirect_uri=site.base + CALLBACK)
    callback_url = await _login_in_browser(page, site, started["url"])
    clock.offset += server.settings.tokens.authorization_code_ttl + 5
    try:
        expired = await rp(
            "callback",
            **client,
            callback_url=callback_url,
            verifier=started["verifier"],
            state=started["state"],
            nonce=started["nonce"],
        )
    finally:
        clock.offset = 0
    assert expired["error"] == "invalid_grant", expired

    # Unregistered redirect URI: an error page at the issuer, never a redirect.
    evil = site.base + "/evil"
    started = await rp("start", **client, redirect_uri=evil)
    mark = len(site.hits)
    response = await page.goto(started["url"])
    assert response is not None and response.status == 400
    assert page.url.startswith(server.base_url)
    assert "not registered" in await page.content()
    await asyncio.sleep(0.2)
    assert site.hits[mark:] == []

    # Wrong client secret at the token endpoint (a confidential client).
    web = apps["web"]
    started = await rp("start", **_client(server, web), redirect_uri=site.base + CALLBACK)
    callback_url = await _login_in_browser(page, site, started["url"])
    bad = await rp(
        "callback",
        **_client(server, web, client_secret="not-the-secret"),
        callback_url=callback_url,
        verifier=started["verifier"],
        state=started["state"],
        nonce=started["nonce"],
    )
    assert bad["error"] == "invalid_client" and bad["status"] == 401, bad
