"""The issue's showcase, in a real browser: "password or Google, then SMS OTP if the user has
the manager role, users from the PRIMARY user store only, and no other active session".

The flow is generated from that sentence by ``identra flows generate`` (it must equal
``examples/flows/managers-sms.flow``, the text form) and applied with ``identra flows apply``;
"Google" is a second Identra on loopback registered as a ``google`` identity provider; SMS goes
to the local gateway. Each branch is walked with Debian Chromium.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from playwright.async_api import Browser as PlaywrightBrowser
from playwright.async_api import Page
from sqlalchemy import select
from typer.testing import CliRunner

from identra.admin import users as users_admin
from identra.admin import userstores
from identra.cli.main import app as cli_app
from identra.clock import Clock
from identra.observability import audit
from identra.storage.models import Role, RoleAssignment, User
from identra.storage.repositories import orgs
from tests.protocol.oidc.live import (
    ClientSite,
    ClockedLiveServer,
    authorize_url,
    chromium,
    seeding,
    watch_csp,
)
from tests.protocol.oidc.support import PASSWORD, App, password_hash, query
from tests.smsgateway import SmsGateway
from tests.support import ADMIN, ADMIN_PASSWORD, LiveServer, _in_thread

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="module")]
FLOW = Path(__file__).resolve().parents[2] / "examples" / "flows" / "managers-sms.flow"
DESCRIPTION = (
    "Password or Google then SMS if the user has manager role, from the Primary user store, "
    "and no other session"
)
PHONE = "+15551234567"  # tests.protocol.oidc.support.create_user gives every user this number


@pytest.fixture(scope="module")
def sms() -> Iterator[SmsGateway]:
    with SmsGateway() as gateway:
        yield gateway


@pytest.fixture(scope="module")
def site() -> Iterator[ClientSite]:
    with ClientSite() as value:
        yield value


@pytest.fixture(scope="module")
def google(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with LiveServer(tmp_path_factory.mktemp("google")) as server:
        yield server


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, sms: SmsGateway
) -> Iterator[ClockedLiveServer]:
    with ClockedLiveServer(
        tmp_path_factory.mktemp("showcase"), Clock(), sms=sms.sms_settings()
    ) as live:
        yield live


def identra(server: ClockedLiveServer, *args: str) -> str:
    """An ``identra`` command with the server's IDENTRA_* settings, as an operator's shell
    would run it; its standard output."""
    settings = server.settings
    assert settings.master_key is not None
    env = {
        "IDENTRA_DATA_DIR": str(settings.data_dir),
        "IDENTRA_MASTER_KEY": settings.master_key.get_secret_value(),
        "IDENTRA_CACHE_PREFIX": settings.cache_prefix,
        "IDENTRA_BOOTSTRAP_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "IDENTRA_DATABASE_URL": str(settings.database_url),
    }
    if settings.sms is not None:
        env["IDENTRA_SMS__PROVIDER"] = settings.sms.provider
        env["IDENTRA_SMS__BASE_URL"] = str(settings.sms.base_url)
        env["IDENTRA_SMS__API_KEY"] = settings.sms.api_key.get_secret_value()
        env["IDENTRA_SMS__SENDER_ID"] = settings.sms.sender_id
    if settings.redis_url:
        env["IDENTRA_REDIS_URL"] = settings.redis_url
    # Only these settings: unset every other IDENTRA_* variable of the test process.
    unset: dict[str, str | None] = {
        k: None
        for k in os.environ
        if k.startswith("IDENTRA_") and not k.startswith("IDENTRA_TEST_")
    }
    runner = CliRunner(env={**unset, **env})
    result = _in_thread(runner.invoke, cli_app, list(args))
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    return str(result.stdout)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def app(
    server: ClockedLiveServer,
    google: LiveServer,
    site: ClientSite,
    tmp_path_factory: pytest.TempPathFactory,
) -> App:
    async with httpx.AsyncClient(timeout=30) as http:
        upstream = await http.post(
            f"{google.base_url}/api/v1/orgs/root/applications",
            json={
                "name": "identra-downstream",
                "type": "web",
                "redirect_uris": [f"{server.base_url}/login/return"],
                "scopes": ["openid", "email", "profile"],
                "skip_consent": True,
            },
            headers=ADMIN,
        )
        assert upstream.status_code == 201, upstream.text
        resp = await http.post(
            f"{google.base_url}/api/v1/orgs/root/users",
            json={
                "username": "boss2-at-google",
                "password": PASSWORD,
                "emails": [{"value": "boss2@example.com", "primary": True, "verified": True}],
            },
            headers=ADMIN,
        )
        assert resp.status_code == 201, resp.text
        idp = await http.post(
            f"{server.base_url}/api/v1/orgs/root/identity-providers",
            json={
                "name": "google",
                "kind": "google",
                "config": {"issuer": google.base_url, "client_id": upstream.json()["client_id"]},
                "client_secret": upstream.json()["client_secret"],
            },
            headers=ADMIN,
        )
        assert idp.status_code == 201, idp.text
    async with seeding(server) as seed:
        for name in ("alice", "boss", "boss2"):
            await seed.user(name)
        async with seed.sessions.begin() as session:
            root = await orgs.by_handle(session, "root")
            assert root is not None
            await userstores.create(
                session, root, userstores.NewUserStore("PARTNERS"), audit.SYSTEM
            )
            partner, _ = await users_admin.create(
                session,
                root,
                users_admin.NewUser("pat", user_store="PARTNERS"),
                audit.SYSTEM,
                Clock(),
            )
            partner.password_hash = password_hash()
            role = Role(org_id=root.id, name="manager", audience="organization", permissions=[])
            session.add(role)
            await session.flush()
            for username in ("boss", "boss2"):
                user_id = await session.scalar(
                    select(User.id).where(User.org_id == root.id, User.username == username)
                )
                assert user_id is not None
                session.add(RoleAssignment(org_id=root.id, role_id=role.id, user_id=user_id))
        made = await seed.app(redirect_uris=[f"{site.base}/cb"], settings={"skip_consent": True})
    # Login Flow AI (issue 8): the sentence compiles, offline, to exactly the example flow...
    generated = json.loads(
        identra(server, "flows", "generate", DESCRIPTION, "--app", made.client_id, "--json")
    )
    assert generated["status"] == "flow" and generated["text"] == FLOW.read_text()
    # ...which is applied with the CLI; every branch below runs through it.
    source = tmp_path_factory.mktemp("flow") / "generated.flow"
    source.write_text(generated["text"])
    out = identra(server, "flows", "apply", str(source), "--org", "root", "--app", made.client_id)
    assert "revision 1" in out
    return made


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def chrome() -> AsyncIterator[PlaywrightBrowser]:
    async with chromium() as browser:
        yield browser


async def sign_in(page: Page, username: str) -> None:
    await page.fill("#username", username)
    await page.fill("#password", PASSWORD)
    await page.click("button[value=login]")


async def sms_code(page: Page, sms: SmsGateway) -> None:
    await page.wait_for_selector("button[value=send]")
    before = len(sms.sent_to(PHONE))
    await page.click("button[value=send]")
    await page.wait_for_selector("#sms-otp-code")
    code = (await sms.wait_for(PHONE, count=before + 1)).code()
    await page.fill("#sms-otp-code", code)
    await page.keyboard.press("Enter")


async def back_at_client(site: ClientSite, app: App, mark: int, state: str) -> None:
    _method, callback, _body = await site.wait(app.redirect_uri, mark)
    params = query(callback)
    assert params["state"] == state and "code" in params, params


async def test_a_plain_user_signs_in_with_a_password_only(
    server: ClockedLiveServer,
    app: App,
    site: ClientSite,
    chrome: PlaywrightBrowser,
    sms: SmsGateway,
) -> None:
    context = await chrome.new_context()
    page = await context.new_page()
    violations = watch_csp(page)
    url, state = authorize_url(server, app)
    mark, texts = len(site.hits), len(sms.messages)
    await page.goto(url)
    assert await page.locator("button.federated").count() == 1  # "or Google" is offered
    await sign_in(page, "alice")
    await back_at_client(site, app, mark, state)
    assert len(sms.messages) == texts  # no SMS step for a non-manager
    assert violations == []
    await context.close()


async def test_a_manager_confirms_with_an_sms_code(
    server: ClockedLiveServer,
    app: App,
    site: ClientSite,
    chrome: PlaywrightBrowser,
    sms: SmsGateway,
) -> None:
    context = await chrome.new_context()
    page = await context.new_page()
    url, state = authorize_url(server, app)
    mark = len(site.hits)
    await page.goto(url)
    await sign_in(page, "boss")
    await sms_code(page, sms)
    await back_at_client(site, app, mark, state)
    await context.close()


async def test_a_manager_signing_in_with_google_also_needs_the_sms_code(
    server: ClockedLiveServer,
    google: LiveServer,
    app: App,
    site: ClientSite,
    chrome: PlaywrightBrowser,
    sms: SmsGateway,
) -> None:
    context = await chrome.new_context()
    page = await context.new_page()
    url, state = authorize_url(server, app)
    mark = len(site.hits)
    await page.goto(url)
    await page.click("button.federated")
    await page.wait_for_url(f"{google.base_url}/**")
    await sign_in(page, "boss2-at-google")  # Google's own login page
    await page.wait_for_url(f"{server.base_url}/**")
    await sms_code(page, sms)  # linked to the local manager boss2 by the verified email
    await back_at_client(site, app, mark, state)
    await context.close()


async def test_users_of_other_stores_are_refused(
    server: ClockedLiveServer, app: App, site: ClientSite, chrome: PlaywrightBrowser
) -> None:
    context = await chrome.new_context()
    page = await context.new_page()
    url, state = authorize_url(server, app)
    mark = len(site.hits)
    await page.goto(url)
    await sign_in(page, "pat")
    alert = page.locator("[role=alert]")
    await alert.wait_for()
    assert "Only members of the PRIMARY user store" in await alert.inner_text()
    await page.click("text=Return to")
    _m, callback, _b = await site.wait(app.redirect_uri, mark)
    params = query(callback)
    assert params["error"] == "access_denied" and params["state"] == state
    await context.close()


async def test_a_second_session_is_refused(
    server: ClockedLiveServer, app: App, site: ClientSite, chrome: PlaywrightBrowser
) -> None:
    # alice signed in above and has not signed out: another browser may not sign in as her.
    context = await chrome.new_context()
    page = await context.new_page()
    url, _state = authorize_url(server, app)
    await page.goto(url)
    await sign_in(page, "alice")
    alert = page.locator("[role=alert]")
    await alert.wait_for()
    assert "already signed in elsewhere" in await alert.inner_text()
    await context.close()
