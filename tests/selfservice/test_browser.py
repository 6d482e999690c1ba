"""Self-registration and password recovery in a real browser (Debian Chromium through
Playwright) against a live server, with the emails read from the local SMTP server: keyboard
only, no CSP violations."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
from playwright.async_api import Browser as PlaywrightBrowser
from playwright.async_api import ConsoleMessage, Page

from identra.clock import Clock
from identra.observability import audit
from identra.selfservice import settings as ss_settings
from identra.storage.models import User
from identra.storage.repositories import orgs
from tests.mailserver import MailServer
from tests.protocol.oidc.live import ClockedLiveServer, chromium, seeding
from tests.selfservice.support import STRONG, STRONG2, mount

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]
SHOTS = os.environ.get("IDENTRA_SCREENSHOTS")  # a folder to save page screenshots into


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, mail: MailServer
) -> Iterator[ClockedLiveServer]:
    live = ClockedLiveServer(
        tmp_path_factory.mktemp("e2e-selfservice"), Clock(), smtp=mail.smtp_settings()
    )
    mount(live.app)
    with live:
        yield live


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def chrome() -> AsyncIterator[PlaywrightBrowser]:
    async with chromium() as browser:
        yield browser


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def open_registration(server: ClockedLiveServer) -> None:
    async with seeding(server) as seed:
        async with seed.sessions.begin() as session:
            root = await orgs.by_handle(session, "root")
            assert root is not None
            await ss_settings.write(session, root, {"registration": True}, audit.SYSTEM)


async def _page(chrome: PlaywrightBrowser) -> tuple[Page, list[str]]:
    context = await chrome.new_context()
    page = await context.new_page()
    violations: list[str] = []

    def console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            violations.append(message.text)

    page.on("console", console)
    return page, violations


async def _shot(page: Page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(Path(SHOTS) / f"selfservice-{name}.png"), full_page=True)


async def _type(page: Page, text: str) -> None:
    await page.keyboard.type(text)
    await page.keyboard.press("Tab")


async def _sign_in(page: Page, username: str, password: str) -> None:
    await page.wait_for_selector("input[name=password]")
    if await page.locator("#username").count():
        await page.fill("#username", "")
        await page.focus("#username")
        await _type(page, username)
    else:
        await page.focus("#password")
    await page.keyboard.type(password)
    await page.keyboard.press("Enter")


async def _user(server: ClockedLiveServer, username: str) -> User | None:
    from sqlalchemy import select

    async with seeding(server) as seed:
        async with seed.sessions() as session:
            return await session.scalar(select(User).where(User.username_normalized == username))


async def test_register_confirm_and_sign_in(
    server: ClockedLiveServer,
    mail: MailServer,
    chrome: PlaywrightBrowser,
    open_registration: None,
) -> None:
    page, violations = await _page(chrome)
    await page.goto(f"{server.base_url}/register")
    await _shot(page, "register")
    # The username field has the focus; the form is filled with the keyboard only.
    assert await page.evaluate("document.activeElement.id") == "username"
    await _type(page, "browser-newcomer")
    await _type(page, "browser-newcomer@example.com")
    await _type(page, "password123")  # too short and common: refused with a message
    await _type(page, "Bea")
    await page.keyboard.type("Newcomer")
    await page.keyboard.press("Enter")
    await page.wait_for_selector("[role=alert]")
    await _shot(page, "register-error")
    alert = await page.locator("#password-error").inner_text()
    assert "too short" in alert and "most common passwords" in alert
    assert await page.input_value("#username") == "browser-newcomer"
    assert await page.input_value("#password") == ""
    assert await _user(server, "browser-newcomer") is None

    await page.focus("#password")
    await page.keyboard.type(STRONG)
    await page.keyboard.press("Enter")
    await page.wait_for_selector("text=Check your email")
    user = await _user(server, "browser-newcomer")
    assert user is not None and user.status == "unverified"

    message = await mail.wait_for("browser-newcomer@example.com")
    await page.goto(message.link())
    await page.wait_for_selector("text=Email address confirmed")
    await _shot(page, "register-confirmed")
    await page.click("text=Sign in to your account")
    await _sign_in(page, "browser-newcomer", STRONG)
    await page.wait_for_selector("text=Signed in as")
    await _shot(page, "account-profile")
    assert "browser-newcomer" in await page.locator("p.lead").inner_text()
    user = await _user(server, "browser-newcomer")
    assert user is not None and user.status == "active" and user.emails[0].verified
    assert violations == []
    await page.context.close()


async def test_recover_a_forgotten_password(
    server: ClockedLiveServer, mail: MailServer, chrome: PlaywrightBrowser
) -> None:
    async with seeding(server) as seed:
        await seed.user("browser-forgetful")
    page, violations = await _page(chrome)
    await page.goto(f"{server.base_url}/recover")
    await _shot(page, "recover")
    assert await page.evaluate("document.activeElement.id") == "identifier"
    await page.keyboard.type("browser-forgetful@example.com")
    await page.keyboard.press("Enter")
    await page.wait_for_selector("text=Check your email")

    message = await mail.wait_for("browser-forgetful@example.com")
    assert "Reset your password" in message.subject
    await page.goto(message.link())
    await page.wait_for_selector("text=Choose a new password")
    assert await page.evaluate("document.activeElement.id") == "password"
    await _type(page, STRONG)
    await page.keyboard.type(STRONG2)  # does not match
    await page.keyboard.press("Enter")
    await page.wait_for_selector("#confirm-error")
    await _shot(page, "recover-mismatch")
    assert "do not match" in await page.locator("#confirm-error").inner_text()

    await page.focus("#password")
    await _type(page, STRONG2)
    await page.keyboard.type(STRONG2)
    await page.keyboard.press("Enter")
    await page.wait_for_selector("text=Password changed")
    await page.click("text=Sign in with your new password")
    await _sign_in(page, "browser-forgetful", STRONG2)
    await page.wait_for_selector("text=Signed in as")

    # The link was used up.
    await page.goto(message.link())
    await page.wait_for_selector("text=This link cannot be used")
    assert violations == []
    await page.context.close()
