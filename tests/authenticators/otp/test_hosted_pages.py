"""Logging in through the real hosted pages with flows using email-otp, sms-otp and
magic-link: httpx against the app, posting the same forms a browser without JavaScript does."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from identra.clock import FrozenClock
from tests.authenticators.otp.conftest import PHONE, START
from tests.flows.support import apply_flow, at_client, identify, password, post
from tests.mailserver import MailServer
from tests.protocol.oidc.support import (
    PASSWORD,
    App,
    Browser,
    auth_params,
    forms,
    make_app,
    make_user,
    pkce_pair,
    query,
)
from tests.smsgateway import SmsGateway
from tests.support import Harness, harness

PASSWORD_THEN_SMS = """\
flow "Password, then a text message"
start login

step login
  options password
  next confirm

step confirm
  options sms-otp
  next done

allow done
"""

EMAIL_CODE_FIRST = """\
flow "Email code"
start login

step login
  options password, email-otp
  next done

allow done
"""

IDENTIFIER_THEN_LINK = """\
flow "Identifier, then a link"
start who

identify who
  next link

step link
  options magic-link
  next done

allow done
"""


@pytest.fixture
async def h(tmp_path: Path, mail: MailServer, sms: SmsGateway) -> AsyncIterator[Harness]:
    mail.clear()
    sms.clear()
    clock = FrozenClock(START)
    async with harness(tmp_path, clock, smtp=mail.smtp_settings(), sms=sms.sms_settings()) as h:
        yield h


@pytest.fixture
async def app(h: Harness) -> App:
    await make_user(h, username="alice")
    return await make_app(h, settings={"skip_consent": True})


def browser(h: Harness) -> Browser:
    client = httpx.AsyncClient(transport=h.client._transport, base_url=h.settings.issuer)
    return Browser(client, h.settings.issuer)


def claims(jwt: str) -> dict[str, object]:
    payload = jwt.split(".")[1]
    data: dict[str, object] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return data


async def finish(h: Harness, app: App, page: httpx.Response, verifier: str) -> dict[str, object]:
    """Back at the client: redeem the code, return the ID token's claims."""
    assert at_client(page, app), (page.status_code, page.text)
    tokens = await h.client.post(
        "/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": query(page.headers["location"])["code"],
            "redirect_uri": app.redirect_uri,
            "code_verifier": verifier,
        },
        auth=(app.client_id, app.client_secret or ""),
    )
    assert tokens.status_code == 200, tokens.text
    return claims(tokens.json()["id_token"])


def labelled(page: httpx.Response, field_id: str) -> None:
    assert f'<label for="{field_id}">' in page.text and f'id="{field_id}"' in page.text


async def test_password_then_sms_code(h: Harness, app: App, sms: SmsGateway) -> None:
    await apply_flow(h, PASSWORD_THEN_SMS, app.client_id)
    verifier, challenge = pkce_pair()
    b = browser(h)
    page = await b.authorize(auth_params(app, challenge))
    page = await password(b, page, "alice", PASSWORD)
    assert page.status_code == 200
    assert "We will text a 6-digit code to your phone number <strong>•••• 67</strong>" in page.text
    page = await post(b, page, ("option", "sms-otp"), action="send")
    assert page.status_code == 200, page.text
    assert "We sent a code to •••• 67. It expires in 5 minutes." in page.text
    labelled(page, "sms-otp-code")
    assert 'autocomplete="one-time-code"' in page.text
    code = (await sms.wait_for(PHONE)).code()

    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    page = await post(b, page, ("option", "sms-otp"), action="verify", code=wrong)
    assert page.status_code == 401
    assert "That code is not correct. 4 more tries before it stops working." in page.text
    assert 'aria-invalid="true"' in page.text

    page = await post(b, page, ("option", "sms-otp"), action="resend")
    assert page.status_code == 429 and "before asking for another code" in page.text

    page = await post(b, page, ("option", "sms-otp"), action="verify", code=code)
    id_token = await finish(h, app, page, verifier)
    assert "sms" in id_token["amr"] and "pwd" in id_token["amr"]  # type: ignore[operator]


async def test_sms_code_expires(h: Harness, app: App, sms: SmsGateway) -> None:
    await apply_flow(h, PASSWORD_THEN_SMS, app.client_id)
    b = browser(h)
    page = await password(b, await b.authorize(auth_params(app, pkce_pair()[1])), "alice", PASSWORD)
    page = await post(b, page, ("option", "sms-otp"), action="send")
    code = (await sms.wait_for(PHONE)).code()
    clock = h.services.clock
    assert isinstance(clock, FrozenClock)
    clock.advance(301)
    page = await post(b, page, ("option", "sms-otp"), action="verify", code=code)
    assert page.status_code == 400 and "This code has expired. Send a new code." in page.text


async def test_sms_gateway_down_is_a_clear_503(h: Harness, app: App, sms: SmsGateway) -> None:
    await apply_flow(h, PASSWORD_THEN_SMS, app.client_id)
    b = browser(h)
    page = await password(b, await b.authorize(auth_params(app, pkce_pair()[1])), "alice", PASSWORD)
    sms.fail_next(503, "unavailable")
    page = await post(b, page, ("option", "sms-otp"), action="send")
    assert page.status_code == 503
    assert "We could not send the code right now." in page.text
    assert "Traceback" not in page.text


async def test_email_code_as_first_factor(h: Harness, app: App, mail: MailServer) -> None:
    await apply_flow(h, EMAIL_CODE_FIRST, app.client_id)
    verifier, challenge = pkce_pair()
    b = browser(h)
    page = await b.authorize(auth_params(app, challenge))
    # Both options on one page, every input labelled, ids unique.
    labelled(page, "username")
    labelled(page, "email-otp-identifier")
    page = await post(
        b, page, ("option", "email-otp"), action="send", identifier="alice@example.com"
    )
    assert page.status_code == 200, page.text
    assert "If alice@example.com has an account that can receive it" in page.text
    assert 'name="password"' not in page.text  # the option took over the step
    assert "Try another way" in page.text
    code = (await mail.wait_for("alice@example.com")).code()
    page = await post(b, page, ("option", "email-otp"), action="verify", code=code)
    id_token = await finish(h, app, page, verifier)
    assert id_token["amr"] == ["otp"]


async def test_email_code_for_nobody_looks_the_same(h: Harness, app: App, mail: MailServer) -> None:
    await apply_flow(h, EMAIL_CODE_FIRST, app.client_id)
    b = browser(h)
    page = await b.authorize(auth_params(app, pkce_pair()[1]))
    page = await post(b, page, ("option", "email-otp"), action="send", identifier="nobody")
    assert page.status_code == 200
    assert "If nobody has an account that can receive it, we sent a code" in page.text
    page = await post(b, page, ("option", "email-otp"), action="verify", code="123456")
    assert page.status_code == 401 and "That code is not correct." in page.text
    assert mail.messages == []


async def test_identifier_then_magic_link(h: Harness, app: App, mail: MailServer) -> None:
    await apply_flow(h, IDENTIFIER_THEN_LINK, app.client_id)
    verifier, challenge = pkce_pair()
    b = browser(h)
    page = await identify(b, await b.authorize(auth_params(app, challenge)), "alice")
    assert "We will email a sign-in link to the verified address of <strong>alice</strong>" in (
        page.text
    )
    assert "a•••@" not in page.text  # nobody is authenticated yet: no hint about the address
    page = await post(b, page, ("option", "magic-link"), action="send")
    assert page.status_code == 200
    assert "Open the link in this browser to continue." in page.text
    link = (await mail.wait_for("alice@example.com")).link()
    assert link.startswith(f"{h.settings.issuer}/login/")

    # Opened in another browser (no binding cookie): refused, and the link stays usable.
    stranger = browser(h)
    elsewhere = await stranger.follow(await stranger.client.get(link))
    assert elsewhere.status_code >= 400 and not at_client(elsewhere, app)

    page = await b.follow(await b.client.get(link))
    id_token = await finish(h, app, page, verifier)
    assert id_token["amr"] == ["otp"]

    again = await b.follow(await b.client.get(link))
    assert again.status_code >= 400 and not at_client(again, app)


async def test_magic_link_page_posts_are_csrf_bound(h: Harness, app: App) -> None:
    await apply_flow(h, IDENTIFIER_THEN_LINK, app.client_id)
    b = browser(h)
    page = await identify(b, await b.authorize(auth_params(app, pkce_pair()[1])), "alice")
    form = next(f for f in forms(page.text) if f["fields"].get("option") == "magic-link")
    body = {**form["fields"], "csrf": "forged", "action": "send"}
    forged = await b.client.post(form["action"], data=body)
    assert forged.status_code in (400, 403)
