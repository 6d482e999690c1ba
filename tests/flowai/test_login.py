"""A generated flow, applied as it comes out of 'flows generate', runs through the real hosted
login pages (httpx, the forms a browser without JavaScript posts): every branch of "password,
then SMS for managers; block the PARTNERS store; no other session"."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from identra.clock import FrozenClock
from tests.api.helpers import ok
from tests.flowai.support import building_blocks, mount
from tests.flows.support import apply_flow, at_client, password, post
from tests.protocol.oidc.support import (
    PASSWORD,
    App,
    Browser,
    auth_params,
    make_app,
    pkce_pair,
    query,
)
from tests.smsgateway import SmsGateway
from tests.support import ADMIN, Harness, harness

SAY = "Password, then an SMS code for managers; block the PARTNERS store, and no other session."
PHONE = "+15551234567"


@pytest.fixture(scope="module")
def sms() -> Iterator[SmsGateway]:
    with SmsGateway() as gateway:
        yield gateway


@pytest.fixture
async def h(tmp_path: Path, sms: SmsGateway) -> AsyncIterator[Harness]:
    sms.clear()
    clock = FrozenClock(datetime(2031, 3, 14, 9, 0, tzinfo=UTC))
    async with harness(tmp_path, clock, sms=sms.sms_settings()) as h:
        mount(h.app)
        await building_blocks(h)
        yield h


@pytest.fixture
async def app(h: Harness) -> App:
    made = await make_app(h, settings={"skip_consent": True})
    generated = await ok(
        await h.client.post(
            "/api/v1/orgs/root/flows/generate",
            json={"description": SAY, "client_id": made.client_id},
            headers=ADMIN,
        )
    )
    assert generated["status"] == "flow", generated["questions"]
    text = generated["text"]
    # What the words mean, node by node.
    assert "options password\n" in text and 'if user_store in ["PARTNERS"]' in text
    assert 'if role any ["manager"]' in text and "options sms-otp" in text
    assert "limit_sessions one-session\n  max 1\n  on_exceed deny" in text
    assert await apply_flow(h, text, made.client_id) == 1  # as 'identra flows apply' does
    return made


def browser(h: Harness) -> Browser:
    client = httpx.AsyncClient(transport=h.client._transport, base_url=h.settings.issuer)
    return Browser(client, h.settings.issuer)


def id_token_claims(jwt: str) -> dict[str, object]:
    payload = jwt.split(".")[1]
    data: dict[str, object] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return data


async def tokens(h: Harness, app: App, page: httpx.Response, verifier: str) -> dict[str, object]:
    assert at_client(page, app), (page.status_code, page.text)
    resp = await h.client.post(
        "/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": query(page.headers["location"])["code"],
            "redirect_uri": app.redirect_uri,
            "code_verifier": verifier,
        },
        auth=(app.client_id, app.client_secret or ""),
    )
    assert resp.status_code == 200, resp.text
    return id_token_claims(resp.json()["id_token"])


async def start(b: Browser, app: App) -> tuple[httpx.Response, str]:
    verifier, challenge = pkce_pair()
    page = await b.authorize(auth_params(app, challenge))
    assert page.status_code == 200, page.text
    return page, verifier


async def test_a_user_without_the_role_signs_in_with_the_password_only(
    h: Harness, app: App, sms: SmsGateway
) -> None:
    b = browser(h)
    page, verifier = await start(b, app)
    done = await password(b, page, "alice", PASSWORD)
    claims = await tokens(h, app, done, verifier)
    assert claims["amr"] == ["pwd"]
    assert sms.sent_to(PHONE) == []


async def test_a_manager_also_confirms_with_an_sms_code(
    h: Harness, app: App, sms: SmsGateway
) -> None:
    b = browser(h)
    page, verifier = await start(b, app)
    page = await password(b, page, "boss", PASSWORD)
    assert page.status_code == 200 and 'value="sms-otp"' in page.text
    page = await post(b, page, ("option", "sms-otp"), action="send")
    code = (await sms.wait_for(PHONE)).code()
    done = await post(b, page, ("option", "sms-otp"), action="verify", code=code)
    claims = await tokens(h, app, done, verifier)
    assert "sms" in claims["amr"] and "pwd" in claims["amr"]  # type: ignore[operator]


async def test_a_partners_user_is_refused(h: Harness, app: App, sms: SmsGateway) -> None:
    b = browser(h)
    page, _ = await start(b, app)
    denied = await password(b, page, "pat", PASSWORD)
    assert denied.status_code == 403
    assert "Users of the PARTNERS user store cannot sign in here." in denied.text
    assert sms.sent_to(PHONE) == []


async def test_a_second_session_is_refused(h: Harness, app: App) -> None:
    first = browser(h)
    page, verifier = await start(first, app)
    await tokens(h, app, await password(first, page, "alice", PASSWORD), verifier)
    other = browser(h)  # another device: no shared SSO session
    page, _ = await start(other, app)
    denied = await password(other, page, "alice", PASSWORD)
    assert denied.status_code == 403
    assert "You are already signed in elsewhere. Sign out there first." in denied.text
