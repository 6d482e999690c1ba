"""The hosted OIDC pages in a real browser (Debian Chromium through Playwright): keyboard-only
login and consent, form_post with and without JavaScript, no CSP violations."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlencode

import pytest
import pytest_asyncio
from playwright.async_api import Browser as PlaywrightBrowser
from playwright.async_api import BrowserContext, ConsoleMessage

from identra.clock import Clock
from tests.protocol.oidc.live import ClientSite, ClockedLiveServer, chromium, seeding
from tests.protocol.oidc.support import PASSWORD, App, pkce_pair, query

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]
USER = "browser-user"
SHOTS = os.environ.get("IDENTRA_SCREENSHOTS")  # a folder to save page screenshots into


@pytest.fixture(scope="module")
def site() -> Iterator[ClientSite]:
    with ClientSite() as value:
        yield value


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClockedLiveServer]:
    with ClockedLiveServer(tmp_path_factory.mktemp("e2e-oidc"), Clock()) as live:
        yield live


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def app(server: ClockedLiveServer, site: ClientSite) -> App:
    async with seeding(server) as seed:
        await seed.user(USER)
        return await seed.app(redirect_uris=[site.base + "/cb"])


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def chrome() -> AsyncIterator[PlaywrightBrowser]:
    async with chromium() as browser:
        yield browser


def _authorize_url(server: ClockedLiveServer, app: App, **extra: str) -> tuple[str, str]:
    _verifier, challenge = pkce_pair()
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
    return f"{server.base_url}/oauth2/authorize?{urlencode(params)}", params["state"]


async def _shot(context: BrowserContext, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        await context.pages[0].screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


async def test_keyboard_only_login_and_consent(
    server: ClockedLiveServer, app: App, site: ClientSite, chrome: PlaywrightBrowser
) -> None:
    context = await chrome.new_context()
    page = await context.new_page()
    violations: list[str] = []

    def console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            violations.append(message.text)

    page.on("console", console)
    url, state = _authorize_url(server, app)
    mark = len(site.hits)
    await page.goto(url)
    await _shot(context, "login")
    # The username field has the focus; everything else is done with the keyboard only.
    assert await page.evaluate("document.activeElement.id") == "username"
    await page.keyboard.type("wrong-user")
    await page.keyboard.press("Tab")
    await page.keyboard.type("wrong-password")
    await page.keyboard.press("Enter")
    await page.wait_for_selector("[role=alert]")
    await _shot(context, "login-error")
    assert "not correct" in (await page.locator("[role=alert]").inner_text())
    await page.fill("#username", "")
    await page.focus("#username")
    await page.keyboard.type(USER)
    await page.keyboard.press("Tab")
    await page.keyboard.type(PASSWORD)
    await page.keyboard.press("Enter")
    await page.wait_for_selector("button[value=allow]")
    await _shot(context, "consent")
    await page.keyboard.press("Tab")  # the first control of the form: Allow
    assert await page.evaluate("document.activeElement.value") == "allow"
    await page.keyboard.press("Enter")
    _method, callback, _body = await site.wait(app.redirect_uri, mark)
    assert query(callback)["state"] == state and "code" in query(callback)
    assert violations == []
    await context.close()


@pytest.mark.parametrize("javascript", [True, False])
async def test_form_post_response_mode(
    server: ClockedLiveServer,
    app: App,
    site: ClientSite,
    chrome: PlaywrightBrowser,
    javascript: bool,
) -> None:
    context = await chrome.new_context(java_script_enabled=javascript)
    page = await context.new_page()
    url, state = _authorize_url(server, app, response_mode="form_post")
    await page.goto(url)
    await page.fill("#username", USER)
    await page.fill("#password", PASSWORD)
    mark = len(site.hits)
    await page.click("button[value=login]")
    # Consent is asked the first time only; without JavaScript the form_post page waits for
    # the user to press its visible Continue button.
    pressed_continue = False
    for _ in range(600):
        if any(hit[1] == app.redirect_uri for hit in site.hits[mark:]):
            break
        allow = page.locator("button[value=allow]")
        proceed = page.get_by_role("button", name="Continue")
        if await allow.count():
            await allow.click()
        elif not javascript and await proceed.count():
            await _shot(context, "form-post")
            pressed_continue = True
            await proceed.click()
        await asyncio.sleep(0.05)
    assert pressed_continue is not javascript  # with JavaScript the form submits itself
    method, callback, body = await site.wait(app.redirect_uri, mark)
    assert method == "POST" and callback == app.redirect_uri
    fields = {k: v[0] for k, v in parse_qs(body).items()}
    assert fields["state"] == state and fields["iss"] == server.base_url and fields["code"]
    await context.close()


async def test_error_page_in_the_browser(
    server: ClockedLiveServer, app: App, site: ClientSite, chrome: PlaywrightBrowser
) -> None:
    context = await chrome.new_context()
    page = await context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: dialogs.append(dialog.message))
    mark = len(site.hits)
    url, _state = _authorize_url(
        server,
        app,
        redirect_uri="javascript:alert(document.domain)//",
        state="<img src=x onerror=alert(1)>",
    )
    response = await page.goto(url)
    assert response is not None and response.status == 400
    await _shot(context, "error")
    assert "We could not complete this request" in await page.content()
    assert dialogs == [] and site.hits[mark:] == []
    await context.close()
