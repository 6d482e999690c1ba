"""Each remaining authenticator through the real pages in Debian Chromium: email OTP as a first
factor, TOTP enrollment during login then sign-in with a code from an independent TOTP
implementation (pyotp), backup codes shown once then used, and lockout after repeated wrong
passwords. (Password, SMS OTP, magic links, Google and passkeys have their own browser tests.)"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator

import pyotp
import pytest
import pytest_asyncio
from playwright.async_api import Browser as PlaywrightBrowser
from playwright.async_api import Page

from identra.admin import flows as flows_admin
from identra.authenticators.registry import Authenticators
from identra.clock import Clock
from identra.flows import text
from identra.observability import audit
from identra.storage.repositories import orgs
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

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]

EMAIL_FIRST = """\
flow "Email code"
start login

step login
  options email-otp
  next done

allow done
"""

TOTP = """\
flow "TOTP for everyone"
start login

step login
  options password
  next has-totp

condition has-totp
  if enrolled any ["totp"]
  then second
  else setup

step second
  options totp
  next done

enroll setup
  options totp
  next done

allow done
"""

BACKUP = """\
flow "Backup codes"
start login

step login
  options password
  next setup

enroll setup
  options backup-code
  next second

step second
  options backup-code
  next done

allow done
"""


@pytest.fixture(scope="module")
def mail() -> Iterator[MailServer]:
    with MailServer() as server:
        yield server


@pytest.fixture(scope="module")
def site() -> Iterator[ClientSite]:
    with ClientSite() as value:
        yield value


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, mail: MailServer
) -> Iterator[ClockedLiveServer]:
    with ClockedLiveServer(
        tmp_path_factory.mktemp("authenticators"), Clock(), smtp=mail.smtp_settings()
    ) as live:
        yield live


async def _apply(server: ClockedLiveServer, source: str, client_id: str) -> None:
    async with seeding(server) as seed:
        async with seed.sessions.begin() as session:
            root = await orgs.by_handle(session, "root")
            assert root is not None
            known = Authenticators.for_services(server.app.state.services).catalog()
            catalog = await flows_admin.catalog(session, root, known)
            await flows_admin.apply(
                session, root, client_id, text.parse_text(source), catalog, audit.SYSTEM
            )


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def apps(server: ClockedLiveServer, site: ClientSite) -> dict[str, App]:
    made: dict[str, App] = {}
    async with seeding(server) as seed:
        for name in ("email", "totp", "backup", "plain"):
            made[name] = await seed.app(
                redirect_uris=[f"{site.base}/{name}"], settings={"skip_consent": True}
            )
        for user in ("erin", "tom", "bea", "lou"):
            await seed.user(user)
    await _apply(server, EMAIL_FIRST, made["email"].client_id)
    await _apply(server, TOTP, made["totp"].client_id)
    await _apply(server, BACKUP, made["backup"].client_id)
    return made


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def chrome() -> AsyncIterator[PlaywrightBrowser]:
    async with chromium() as browser:
        yield browser


async def open_page(chrome: PlaywrightBrowser) -> tuple[Page, list[str]]:
    page = await (await chrome.new_context()).new_page()
    return page, watch_csp(page)


async def arrived(site: ClientSite, app: App, mark: int, state: str) -> None:
    _method, callback, _body = await site.wait(app.redirect_uri, mark)
    params = query(callback)
    assert params["state"] == state and "code" in params, params


async def password_step(page: Page, username: str, password: str = PASSWORD) -> None:
    await page.fill("#username", username)
    await page.fill("#password", password)
    await page.click("button[value=login]")


async def test_email_code_as_the_first_factor(
    server: ClockedLiveServer,
    apps: dict[str, App],
    site: ClientSite,
    chrome: PlaywrightBrowser,
    mail: MailServer,
) -> None:
    page, violations = await open_page(chrome)
    url, state = authorize_url(server, apps["email"])
    mark = len(site.hits)
    await page.goto(url)
    address = "erin@example.com"
    before = len(mail.sent_to(address))
    await page.fill("#email-otp-identifier", "erin")
    await page.click("button[value=send]")
    await page.wait_for_selector("#email-otp-code")
    code = (await mail.wait_for(address, count=before + 1)).code()
    await page.fill("#email-otp-code", code)
    await page.keyboard.press("Enter")
    await arrived(site, apps["email"], mark, state)
    assert violations == []
    await page.context.close()


async def test_totp_enrolled_during_login_then_used(
    server: ClockedLiveServer, apps: dict[str, App], site: ClientSite, chrome: PlaywrightBrowser
) -> None:
    app = apps["totp"]
    page, violations = await open_page(chrome)
    url, state = authorize_url(server, app)
    mark = len(site.hits)
    await page.goto(url)
    await password_step(page, "tom")
    await page.click("button[value=choose]")  # "Set up" the authenticator app
    await page.wait_for_selector("#totp-qr")
    secret = (await page.locator("#totp-secret").inner_text()).replace(" ", "")
    totp = pyotp.TOTP(secret)
    await page.fill("#totp-code", totp.now())
    await page.keyboard.press("Enter")
    await arrived(site, app, mark, state)
    assert violations == []
    await page.context.close()

    # Next login, another browser: the flow now asks for a code from the app.
    page, violations = await open_page(chrome)
    url, state = authorize_url(server, app)
    mark = len(site.hits)
    await page.goto(url)
    await password_step(page, "tom")
    await page.wait_for_selector("#totp-code")
    await page.fill("#totp-code", "000000" if totp.now() != "000000" else "111111")
    await page.keyboard.press("Enter")
    alert = page.locator("[role=alert]")
    await alert.wait_for()
    await page.fill("#totp-code", totp.at(time.time() + 30))  # the next time step: not a replay
    await page.keyboard.press("Enter")
    await arrived(site, app, mark, state)
    assert violations == []
    await page.context.close()


async def test_backup_codes_shown_once_then_one_is_used(
    server: ClockedLiveServer, apps: dict[str, App], site: ClientSite, chrome: PlaywrightBrowser
) -> None:
    app = apps["backup"]
    page, violations = await open_page(chrome)
    url, state = authorize_url(server, app)
    mark = len(site.hits)
    await page.goto(url)
    await password_step(page, "bea")
    await page.click("button[value=choose]")
    await page.click("button[value=enroll]")
    codes = await page.locator("#backup-codes code").all_inner_texts()
    assert len(codes) == 10 and len(set(codes)) == 10
    await page.click("button[value=continue]")
    await page.fill("#backup-code", codes[3].lower().replace("-", " "))  # typed loosely
    await page.keyboard.press("Enter")
    await arrived(site, app, mark, state)
    assert violations == []
    await page.context.close()


async def test_lockout_after_repeated_wrong_passwords(
    server: ClockedLiveServer, apps: dict[str, App], chrome: PlaywrightBrowser
) -> None:
    page, _violations = await open_page(chrome)
    url, _state = authorize_url(server, apps["plain"])
    await page.goto(url)
    alert = page.locator("[role=alert]")
    for attempt in range(5):
        await password_step(page, "lou", f"wrong-{attempt}")
        await alert.wait_for()
    assert "Too many failed attempts" in await alert.inner_text()
    await password_step(page, "lou", PASSWORD)  # even the right password, while locked
    await alert.wait_for()
    assert "Too many failed attempts" in await alert.inner_text()
    await page.context.close()
