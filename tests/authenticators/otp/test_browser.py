"""sms-otp and magic-link in a real browser (Debian Chromium through Playwright): keyboard
only, no CSP violations, against a live server with the local SMTP server and SMS gateway."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio
from playwright.async_api import Browser as PlaywrightBrowser
from playwright.async_api import Page

from identra.admin import flows as flows_admin
from identra.clock import Clock
from identra.flows import text
from identra.observability import audit
from identra.storage.repositories import orgs
from tests.authenticators.otp.test_hosted_pages import IDENTIFIER_THEN_LINK, PASSWORD_THEN_SMS
from tests.mailserver import MailServer
from tests.protocol.oidc.live import (
    ClientSite,
    ClockedLiveServer,
    authorize_url,
    chromium,
    seeding,
    watch_csp,
)
from tests.protocol.oidc.support import PASSWORD, App, query
from tests.smsgateway import SmsGateway

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]
USER = "otp-browser-user"
PHONE = "+15551234567"
# What the server offers (option -> first factor), for validating the flows we apply.
CATALOG = {"password": True, "sms-otp": False, "email-otp": True, "magic-link": True}


@pytest.fixture(scope="module")
def site() -> Iterator[ClientSite]:
    with ClientSite() as value:
        yield value


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, mail: MailServer, sms: SmsGateway
) -> Iterator[ClockedLiveServer]:
    with ClockedLiveServer(
        tmp_path_factory.mktemp("e2e-otp"),
        Clock(),
        smtp=mail.smtp_settings(),
        sms=sms.sms_settings(),
    ) as live:
        yield live


async def _apply(server: ClockedLiveServer, source: str, client_id: str) -> None:
    async with seeding(server) as seed:
        async with seed.sessions.begin() as session:
            root = await orgs.by_handle(session, "root")
            assert root is not None
            catalog = await flows_admin.catalog(session, root, CATALOG)
            await flows_admin.apply(
                session, root, client_id, text.parse_text(source), catalog, audit.SYSTEM
            )


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def apps(server: ClockedLiveServer, site: ClientSite) -> dict[str, App]:
    async with seeding(server) as seed:
        await seed.user(USER)
        made = {
            name: await seed.app(
                redirect_uris=[f"{site.base}/{name}"], settings={"skip_consent": True}
            )
            for name in ("sms", "link")
        }
    await _apply(server, PASSWORD_THEN_SMS, made["sms"].client_id)
    await _apply(server, IDENTIFIER_THEN_LINK, made["link"].client_id)
    return made


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def chrome() -> AsyncIterator[PlaywrightBrowser]:
    async with chromium() as browser:
        yield browser


async def focused(page: Page, attribute: str = "id") -> str:
    return str(await page.evaluate(f"document.activeElement.getAttribute('{attribute}')"))


async def test_sms_code_after_password_keyboard_only(
    server: ClockedLiveServer,
    apps: dict[str, App],
    site: ClientSite,
    chrome: PlaywrightBrowser,
    sms: SmsGateway,
) -> None:
    app = apps["sms"]
    context = await chrome.new_context()
    page = await context.new_page()
    violations = watch_csp(page)
    url, state = authorize_url(server, app)
    mark = len(site.hits)
    await page.goto(url)
    assert await focused(page) == "username"
    await page.keyboard.type(USER)
    await page.keyboard.press("Tab")
    await page.keyboard.type(PASSWORD)
    await page.keyboard.press("Enter")

    await page.wait_for_selector("text=•••• 67")
    # Tab from the top of the page reaches "Text me a code" first.
    sent_before = len(sms.sent_to(PHONE))
    for _ in range(10):
        await page.keyboard.press("Tab")
        if await focused(page, "value") == "send":
            break
    assert await focused(page, "value") == "send"
    await page.keyboard.press("Enter")

    await page.wait_for_selector("#sms-otp-code")
    assert await focused(page) == "sms-otp-code"  # the code field has the focus
    notice = await page.locator("#sms-otp-notice").inner_text()
    assert notice == "We sent a code to •••• 67. It expires in 5 minutes."
    code = (await sms.wait_for(PHONE, count=sent_before + 1)).code()

    await page.keyboard.type("000000" if code != "000000" else "111111")
    await page.keyboard.press("Enter")
    await page.wait_for_selector("[role=alert]")
    assert "not correct" in await page.locator("[role=alert]").inner_text()
    await page.fill("#sms-otp-code", "")
    await page.focus("#sms-otp-code")
    await page.keyboard.type(code)
    await page.keyboard.press("Enter")

    _method, callback, _body = await site.wait(app.redirect_uri, mark)
    assert query(callback)["state"] == state and "code" in query(callback)
    assert violations == []
    await context.close()


async def test_magic_link_in_the_same_browser(
    server: ClockedLiveServer,
    apps: dict[str, App],
    site: ClientSite,
    chrome: PlaywrightBrowser,
    mail: MailServer,
) -> None:
    app = apps["link"]
    context = await chrome.new_context()
    page = await context.new_page()
    violations = watch_csp(page)
    url, state = authorize_url(server, app)
    mark = len(site.hits)
    await page.goto(url)
    await page.keyboard.type(USER)
    await page.keyboard.press("Enter")

    await page.wait_for_selector("button[value=send]")
    address = f"{USER}@example.com"
    sent_before = len(mail.sent_to(address))
    await page.click("button[value=send]")
    await page.wait_for_selector("#magic-link-notice")
    assert "Open the link in this browser" in await page.content()
    link = (await mail.wait_for(address, count=sent_before + 1)).link()

    # The link opened in another browser profile does not sign anyone in.
    other = await chrome.new_context()
    stranger = await other.new_page()
    response = await stranger.goto(link)
    assert response is not None and response.status >= 400
    await other.close()

    await page.goto(link)
    _method, callback, _body = await site.wait(app.redirect_uri, mark)
    assert query(callback)["state"] == state and "code" in query(callback)
    assert violations == []
    await context.close()
