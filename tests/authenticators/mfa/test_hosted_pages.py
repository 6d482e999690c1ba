"""TOTP and backup codes through the real login pages (no JavaScript), with flows applied by
``identra flows apply``: enroll during a login, then sign in with the second factor."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pyotp
import pytest

from identra.clock import FrozenClock
from tests.authenticators.mfa.conftest import START
from tests.authenticators.mfa.flows import alert, apply_flow, secondary, submit, text_of
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
from tests.support import Harness, harness

ENROLL_THEN_CODE = """\
flow "Second factor"
start login

step login
  options password
  next enroll-mfa

enroll enroll-mfa
  options totp, backup-code
  next second

step second
  options totp, backup-code
  next done

allow done
"""

ENROLL_THEN_DONE = """\
flow "Backup codes, then in"
start login

step login
  options password
  next enroll-codes

enroll enroll-codes
  options backup-code
  next done

allow done
"""


@dataclass
class Site:
    h: Harness
    clock: FrozenClock
    app: App
    browser: Browser


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    clock = FrozenClock(START)
    async with harness(tmp_path, clock=clock) as h:
        await make_user(h, username="alice")
        app = await make_app(h)
        await apply_flow(h.settings, tmp_path, ENROLL_THEN_CODE, app.client_id)
        yield Site(h, clock, app, Browser(h.client, h.settings.issuer))


async def password_step(site: Site, **extra: str) -> httpx.Response:
    page = await site.browser.authorize(auth_params(site.app, pkce_pair()[1], **extra))
    assert page.status_code == 200 and 'name="password"' in page.text, page.text
    return await site.browser.login(page)


async def at_client(site: Site, page: httpx.Response) -> bool:
    """Whether the login finished: back at the client with a code (after consent, which the
    first login asks for)."""
    if page.status_code == 200 and 'name="decision"' in page.text:
        page = await site.browser.consent(page)
    location = page.headers.get("location", "") if page.status_code in (302, 303) else ""
    return bool(location.startswith(site.app.redirect_uri) and "code" in query(location))


async def test_enroll_totp_during_login_then_sign_in_with_codes(site: Site) -> None:
    page = await password_step(site)
    # The enroll step offers both methods; choose the authenticator app.
    assert page.status_code == 200 and "Protect your account" in page.text, page.text
    page = await submit(site.browser, page, "totp", action="choose")
    assert 'id="totp-qr"' in page.text and 'src="data:image/svg+xml' in page.text
    assert 'autocomplete="one-time-code"' in page.text
    secret = text_of(page, "totp-secret").replace(" ", "")
    totp = pyotp.TOTP(secret)
    # A wrong first code keeps the same secret on the page, with the error.
    page = await submit(site.browser, page, "totp", code="000000")
    assert page.status_code == 401 and "not correct" in alert(page)
    assert text_of(page, "totp-secret").replace(" ", "") == secret
    page = await submit(site.browser, page, "totp", code=totp.at(site.clock.timestamp()))
    # Enrolled; the next step asks for a code, which must be a new one.
    assert page.status_code == 200 and 'id="totp-code"' in page.text, page.text
    assert "backup-code" not in page.text  # no backup codes enrolled: not offered
    page = await submit(site.browser, page, "totp", code=totp.at(site.clock.timestamp()))
    assert page.status_code == 401 and "already been used" in alert(page)
    site.clock.advance(30)
    page = await submit(site.browser, page, "totp", code=totp.at(site.clock.timestamp()))
    assert await at_client(site, page), page.text

    # A second login skips enrollment and asks for a code straight away.
    site.clock.advance(30)
    page = await password_step(site, prompt="login")
    assert 'id="totp-code"' in page.text and "Protect your account" not in page.text
    code = totp.at(site.clock.timestamp())
    page = await submit(site.browser, page, "totp", code=f"{code[:3]} {code[3:]}")
    assert await at_client(site, page), page.text

    # The same code in a third login is refused.
    page = await password_step(site, prompt="login")
    page = await submit(site.browser, page, "totp", code=code)
    assert page.status_code == 401 and 'id="totp-code"' in page.text


async def test_wrong_codes_lock_the_totp_step(site: Site) -> None:
    page = await password_step(site)
    page = await submit(site.browser, page, "totp", action="choose")
    totp = pyotp.TOTP(text_of(page, "totp-secret").replace(" ", ""))
    page = await submit(site.browser, page, "totp", code=totp.at(site.clock.timestamp()))
    site.clock.advance(30)
    wrong = str((int(totp.at(site.clock.timestamp())) + 1) % 1_000_000).zfill(6)
    for _ in range(4):
        page = await submit(site.browser, page, "totp", code=wrong)
        assert page.status_code == 401
    page = await submit(site.browser, page, "totp", code=wrong)
    assert page.status_code == 429 and "Too many" in alert(page)
    page = await submit(site.browser, page, "totp", code=totp.at(site.clock.timestamp()))
    assert page.status_code == 429


async def test_backup_codes_are_shown_once_then_each_signs_in_once(site: Site) -> None:
    page = await password_step(site)
    page = await submit(site.browser, page, "backup-code", action="choose")
    assert "Create backup codes" in page.text
    page = await submit(site.browser, page, "backup-code", action="enroll")
    assert page.status_code == 200 and "Save these codes now" in page.text, page.text
    shown = re.findall(r"<li><code>([0-9a-z]{4}-[0-9a-z]{4})</code></li>", page.text)
    assert len(shown) == 10
    assert 'download="backup-codes.txt"' in page.text
    # "I have saved my codes" goes on to the second step.
    page = await submit(site.browser, page, "", action="continue")
    assert page.status_code == 200 and 'id="backup-code"' in page.text, page.text
    assert "Save these codes now" not in page.text  # shown once
    page = await submit(site.browser, page, "backup-code", code=shown[0].upper())
    assert await at_client(site, page), page.text

    page = await password_step(site, prompt="login")
    page = await submit(site.browser, page, "backup-code", code=shown[0])
    assert page.status_code == 401 and "already been used" in alert(page)
    page = await submit(site.browser, page, "backup-code", code=shown[1].replace("-", " "))
    assert await at_client(site, page), page.text


async def test_backup_codes_are_shown_when_the_flow_ends_after_enrollment(
    site: Site, tmp_path: Path
) -> None:
    other = await make_app(site.h, settings={"skip_consent": True})
    await apply_flow(site.h.settings, tmp_path, ENROLL_THEN_DONE, other.client_id)
    page = await site.browser.authorize(auth_params(other, pkce_pair()[1]))
    page = await site.browser.login(page)
    page = await submit(site.browser, page, "backup-code", action="choose")
    page = await submit(site.browser, page, "backup-code", action="enroll")
    assert page.status_code == 200 and "Save these codes now" in page.text
    form = forms(page.text)[0]  # the codes' own form: "I have saved my codes"
    done = await site.browser.follow(
        await site.browser.client.post(
            form["action"], data={**form["fields"], "action": "continue"}
        )
    )
    assert done.status_code in (302, 303) and done.headers["location"].startswith(
        other.redirect_uri
    ), done.text


async def test_bad_input_on_the_code_steps_is_a_clear_400(site: Site) -> None:
    page = await password_step(site)
    page = await submit(site.browser, page, "totp", action="choose")
    totp = pyotp.TOTP(text_of(page, "totp-secret").replace(" ", ""))
    page = await submit(site.browser, page, "totp", code="12ab")
    assert page.status_code == 400 and alert(page)
    page = await submit(site.browser, page, "totp", code=totp.at(site.clock.timestamp()))
    for junk in ("", "x" * 5000, "١٢٣٤٥٦"):
        page = await submit(site.browser, page, "totp", code=junk)
        assert page.status_code == 400 and alert(page) and "Traceback" not in page.text


async def test_the_enroll_step_can_go_back_to_the_choice(site: Site) -> None:
    page = await password_step(site)
    page = await submit(site.browser, page, "totp", action="choose")
    page = await secondary(site.browser, page, "back")
    assert "Protect your account" in page.text and 'value="choose"' in page.text
    assert PASSWORD not in page.text
