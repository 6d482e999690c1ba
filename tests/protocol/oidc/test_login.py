"""The hosted password login: CSRF, lockout with increasing delay, per-IP rate limit,
rehash on login, and answers that do not tell which usernames exist."""

from __future__ import annotations

import re
from typing import Any

import bcrypt
import httpx
import pytest
from sqlalchemy import select, update

from identra.authenticators.password.authenticator import LockoutPolicy, Refused
from identra.authenticators.password.plugin import PasswordOption
from identra.clock import FrozenClock
from identra.storage.models import AuditEvent, User
from identra.web.login.runtime import for_app
from tests.protocol.oidc.support import (
    PASSWORD,
    Browser,
    auth_params,
    forms,
    hidden,
    make_app,
    make_user,
    pkce_pair,
    query,
)
from tests.support import ADMIN, Harness

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def _login_page(h: Harness, browser: Browser) -> httpx.Response:
    app = await make_app(h, settings={"skip_consent": True})
    page = await browser.authorize(auth_params(app, pkce_pair()[1]))
    assert 'name="password"' in page.text
    return page


async def _submit(browser: Browser, page: httpx.Response, **fields: str) -> httpx.Response:
    data: dict[str, Any] = {**hidden(page.text), "action": "login"}
    data.update(fields)
    return await browser.client.post(forms(page.text)[0]["action"], data=data)


async def _user_row(h: Harness, user_id: str) -> User:
    async with h.services.sessions() as session:
        row = await session.get(User, user_id)
        assert row is not None
        return row


async def test_csrf_missing_or_wrong_changes_nothing(ch: Harness, cbrowser: Browser) -> None:
    user_id = await make_user(ch, username="csrf-user")
    page = await _login_page(ch, cbrowser)
    for csrf in (None, "forged-token", ""):
        data = {"username": "csrf-user", "password": PASSWORD, "action": "login"}
        if csrf is not None:
            data["csrf"] = csrf
        resp = await cbrowser.client.post(forms(page.text)[0]["action"], data=data)
        assert resp.status_code == 403, resp.text
        assert "This form has expired" in resp.text and 'role="alert"' in resp.text
    row = await _user_row(ch, user_id)
    assert row.failed_logins == 0 and row.last_login_at is None
    ok = await _submit(cbrowser, page, username="csrf-user", password=PASSWORD)
    assert ok.status_code == 303


async def test_wrong_password_unknown_user_and_disabled_user_look_alike(
    ch: Harness, cbrowser: Browser
) -> None:
    await make_user(ch, username="alike-user")
    await make_user(ch, username="alike-disabled", status="disabled")
    page = await _login_page(ch, cbrowser)
    answers = []
    for username, password in (
        ("alike-user", "wrong-password"),
        ("no-such-user", "wrong-password"),
        ("alike-disabled", PASSWORD),
    ):
        resp = await _submit(cbrowser, page, username=username, password=password)
        assert resp.status_code == 401
        answers.append(re.sub(r'nonce="[^"]+"', "", resp.text.replace(username, "USER")))
    assert "The username or password is not correct." in answers[0]
    assert answers[0] == answers[1] == answers[2]
    missing = await _submit(cbrowser, page, username="alike-user", password="")
    assert missing.status_code == 400 and "Enter your username and password" in missing.text


async def test_lockout_with_increasing_delay(
    ch: Harness, clock: FrozenClock, cbrowser: Browser
) -> None:
    user_id = await make_user(ch, username="lock-user")
    page = await _login_page(ch, cbrowser)
    policy = LockoutPolicy()
    for _ in range(policy.threshold - 1):
        resp = await _submit(cbrowser, page, username="lock-user", password="bad")
        assert resp.status_code == 401
    locked = await _submit(cbrowser, page, username="lock-user", password="bad")
    assert locked.status_code == 429 and "Too many failed attempts" in locked.text
    row = await _user_row(ch, user_id)
    assert row.failed_logins == policy.threshold and row.locked_until is not None
    # While locked even the right password is refused, and not even checked.
    still = await _submit(cbrowser, page, username="lock-user", password=PASSWORD)
    assert still.status_code == 429
    clock.advance(policy.base_delay + 1)
    again = await _submit(cbrowser, page, username="lock-user", password="bad")
    assert again.status_code == 429  # one more failure: locked twice as long
    row = await _user_row(ch, user_id)
    assert row.locked_until is not None
    assert int(row.locked_until.timestamp()) - clock.timestamp() == policy.delay(
        policy.threshold + 1
    )
    assert policy.delay(policy.threshold + 1) == 2 * policy.base_delay
    clock.advance(policy.delay(policy.threshold + 1) + 1)
    ok = await _submit(cbrowser, page, username="lock-user", password=PASSWORD)
    assert ok.status_code == 303
    row = await _user_row(ch, user_id)
    assert row.failed_logins == 0 and row.locked_until is None and row.last_login_at is not None
    async with ch.services.sessions() as session:
        outcomes = list(
            await session.scalars(
                select(AuditEvent.outcome).where(
                    AuditEvent.action == "login.password", AuditEvent.target_id == user_id
                )
            )
        )
    assert outcomes.count("failure") == policy.threshold + 1 and outcomes.count("success") == 1


async def test_unknown_usernames_lock_out_too(ch: Harness, cbrowser: Browser) -> None:
    page = await _login_page(ch, cbrowser)
    statuses = [
        (await _submit(cbrowser, page, username="ghost-user", password="bad")).status_code
        for _ in range(LockoutPolicy().threshold)
    ]
    assert statuses[-1] == 429 and set(statuses[:-1]) == {401}


async def test_per_ip_rate_limit(ch: Harness, cbrowser: Browser) -> None:
    rt = for_app(ch.app)
    password = rt.authenticators.find("password")
    assert isinstance(password, PasswordOption)
    authenticator = password.verifier
    saved = authenticator.policy
    authenticator.policy = LockoutPolicy(ip_limit=3, ip_window=60)
    try:
        await ch.services.cache.delete("rl:login:ip:127.0.0.1")
        page = await _login_page(ch, cbrowser)
        for _ in range(3):
            resp = await _submit(cbrowser, page, username="rate-user", password="bad")
            assert resp.status_code == 401
        limited = await _submit(cbrowser, page, username="rate-user", password="bad")
        assert limited.status_code == 429 and "from your network" in limited.text
    finally:
        authenticator.policy = saved
        await ch.services.cache.delete("rl:login:ip:127.0.0.1")


async def test_rehash_on_login(ch: Harness, cbrowser: Browser) -> None:
    user_id = await make_user(ch, username="legacy-user")
    legacy = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(4)).decode()
    async with ch.services.sessions.begin() as session:
        await session.execute(update(User).where(User.id == user_id).values(password_hash=legacy))
    page = await _login_page(ch, cbrowser)
    ok = await _submit(cbrowser, page, username="LEGACY-USER", password=PASSWORD)
    assert ok.status_code == 303
    row = await _user_row(ch, user_id)
    assert row.password_hash is not None and row.password_hash.startswith("$argon2id$")


async def test_login_page_markup_is_accessible(ch: Harness, cbrowser: Browser) -> None:
    page = await _login_page(ch, cbrowser)
    html = page.text
    assert '<label for="username">' in html and 'id="username"' in html
    assert '<label for="password">' in html and 'autocomplete="current-password"' in html
    assert 'lang="en"' in html and "<script" not in html
    csp = page.headers["content-security-policy"]
    assert "script-src" not in csp and "frame-ancestors 'none'" in csp
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["x-frame-options"] == "DENY"


async def test_expected_user_from_id_token_hint(ch: Harness, cbrowser: Browser) -> None:
    await make_user(ch, username="hint-a")
    await make_user(ch, username="hint-b")
    app = await make_app(ch, settings={"skip_consent": True})
    verifier, challenge = pkce_pair()
    back = await cbrowser.code_flow(auth_params(app, challenge), username="hint-a")
    tokens = (
        await cbrowser.client.post(
            "/oauth2/token",
            data={
                "grant_type": "authorization_code",
                "code": back["code"],
                "redirect_uri": app.redirect_uri,
                "code_verifier": verifier,
            },
            auth=(app.client_id, app.client_secret or ""),
        )
    ).json()
    page = await cbrowser.authorize(
        auth_params(app, pkce_pair()[1], prompt="login", id_token_hint=tokens["id_token"])
    )
    wrong = await _submit(cbrowser, page, username="hint-b", password=PASSWORD)
    assert wrong.status_code == 401 and "Sign in as the user" in wrong.text
    right = await cbrowser.follow(
        await _submit(cbrowser, page, username="hint-a", password=PASSWORD)
    )
    assert "code" in query(right.headers["location"])


async def test_successful_logins_do_not_count_against_the_address(
    ch: Harness, cbrowser: Browser
) -> None:
    rt = for_app(ch.app)
    password = rt.authenticators.find("password")
    assert isinstance(password, PasswordOption)
    authenticator = password.verifier
    saved = authenticator.policy
    authenticator.policy = LockoutPolicy(ip_limit=3, ip_window=60)
    root = (await ch.client.get("/api/v1/orgs/root", headers=ADMIN)).json()["id"]
    try:
        await ch.services.cache.delete("rl:login:ip:10.9.8.7")
        await make_user(ch, username="nat-user")
        for _ in range(5):  # five colleagues behind one office NAT
            ok = await authenticator.verify(root, "nat-user", PASSWORD, "10.9.8.7")
            assert not isinstance(ok, Refused)
        wrong = await authenticator.verify(root, "nat-user", "bad", "10.9.8.7")
        assert isinstance(wrong, Refused) and wrong.reason == "invalid"
    finally:
        authenticator.policy = saved
        await ch.services.cache.delete("rl:login:ip:10.9.8.7")
