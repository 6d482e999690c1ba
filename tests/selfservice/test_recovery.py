"""Password recovery over HTTP: the same answer whatever was typed, the reset link (single
use, 30 minutes, bound to the password it replaces), the policy on the new password, the end of
every session, reset lockout counters and the audit trail."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import update

from identra.clock import FrozenClock
from identra.crypto.passwords import verify_password
from identra.storage.models import User
from tests.mailserver import MailServer
from tests.protocol.oidc.support import PASSWORD
from tests.selfservice.support import (
    STRONG,
    STRONG2,
    Visitor,
    actions,
    csrf_of,
    history_count,
    make_user,
    new_org,
    open_sessions,
    text,
    user_by_name,
    visitor,
)
from tests.support import Harness

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def ask(v: Visitor, prefix: str, identifier: str) -> None:
    page = await v.get(f"{prefix}/recover")
    assert page.status_code == 200 and 'for="identifier"' in page.text
    resp = await v.post(f"{prefix}/recover", {"csrf": csrf_of(page.text), "identifier": identifier})
    assert resp.status_code == 303, resp.text
    assert resp.headers["location"] == f"{prefix}/recover/sent"


async def reset_link(h: Harness, mail: MailServer, to: str, count: int = 1) -> str:
    message = await mail.wait_for(to, count=count)
    assert "Reset your password" in message.subject, message.subject
    return message.link().removeprefix(h.settings.issuer)


async def test_reset_by_username_and_by_email(
    h: Harness, mail: MailServer, clock: FrozenClock
) -> None:
    handle, prefix = await new_org(h)
    user_id = await make_user(h, handle, "rec-alice")
    # Two sessions of the user (two browsers).
    first, second = visitor(h), visitor(h)
    await first.sign_in(prefix, "rec-alice", PASSWORD)
    await second.sign_in(prefix, "rec-alice", PASSWORD)
    assert len(await open_sessions(h, user_id)) == 2
    # Then locked out after failed logins: the reset unlocks.
    async with h.services.sessions.begin() as session:
        await session.execute(
            update(User)
            .where(User.id == user_id)
            .values(failed_logins=7, locked_until=clock.now() + timedelta(hours=1))
        )

    v = visitor(h)
    await ask(v, prefix, "REC-ALICE")
    link = await reset_link(h, mail, "rec-alice@example.com")
    assert re.search(r"/recover/reset\?token=[\w-]{40,}$", link)
    page = await v.get(link)
    assert page.status_code == 200 and "Choose a new password" in text(page)
    assert "rec-alice" in text(page)
    form = {"csrf": csrf_of(page.text), "token": link.split("token=")[1]}
    done = await v.post(f"{prefix}/recover/reset", {**form, "password": STRONG, "confirm": STRONG})
    assert done.status_code == 200 and "Password changed" in text(done), text(done)

    user = await user_by_name(h, handle, "rec-alice")
    assert user is not None and user.password_hash
    assert verify_password(user.password_hash, STRONG).ok
    assert user.failed_logins == 0 and user.locked_until is None
    assert await history_count(h, user_id) == 1
    assert await open_sessions(h, user_id) == []
    # The browsers that were signed in have to sign in again.
    again = await first.get(f"{prefix}/account")
    assert 'name="password"' in again.text
    assert await actions(h, handle, "user.") == [
        "user.create",
        "user.recovery_request",
        "user.password_reset",
        "user.sessions_end",
    ]
    notice = await mail.wait_for("rec-alice@example.com", count=2)
    assert "Your password was changed" in notice.subject

    # The link works once.
    replay = await v.get(link)
    assert replay.status_code == 400 and "already been used" in text(replay)
    replay = await v.post(
        f"{prefix}/recover/reset", {**form, "password": STRONG2, "confirm": STRONG2}
    )
    assert replay.status_code == 400
    user = await user_by_name(h, handle, "rec-alice")
    assert (
        user is not None and user.password_hash and verify_password(user.password_hash, STRONG).ok
    )

    # By email address, in another case.
    await ask(v, prefix, "Rec-Alice@Example.COM")
    link = await reset_link(h, mail, "rec-alice@example.com", count=3)
    assert (await v.get(link)).status_code == 200


async def test_same_answer_for_unknown_unverified_disabled_and_no_email(
    h: Harness, mail: MailServer
) -> None:
    handle, prefix = await new_org(h)
    await make_user(h, handle, "rec-disabled", status="disabled")
    nomail = await make_user(h, handle, "rec-unconfirmed")
    async with h.services.sessions.begin() as session:
        user = await session.get(User, nomail)
        assert user is not None
        for email in user.emails:
            email.verified = False
    mail.clear()
    v = visitor(h)
    pages = []
    for identifier in ("nobody-here", "nobody@example.com", "rec-disabled", "rec-unconfirmed"):
        page = await v.get(f"{prefix}/recover")
        resp = await v.post(
            f"{prefix}/recover", {"csrf": csrf_of(page.text), "identifier": identifier}
        )
        assert resp.status_code == 303 and resp.headers["location"] == f"{prefix}/recover/sent"
        pages.append(text(await v.get(resp.headers["location"])))
    assert len(set(pages)) == 1 and "If the username or address" in pages[0]
    assert mail.messages == []
    assert await actions(h, handle, "user.recovery") == []


async def test_unverified_account_gets_a_new_verification_link(
    h: Harness, mail: MailServer
) -> None:
    handle, prefix = await new_org(h, registration=True)
    v = visitor(h)
    page = await v.get(f"{prefix}/register")
    email = "rec-pending@example.com"
    data = {
        "csrf": csrf_of(page.text),
        "username": "rec-pending",
        "email": email,
        "password": STRONG,
    }
    assert (await v.post(f"{prefix}/register", data)).status_code == 303
    await mail.wait_for(email)
    await ask(v, prefix, "rec-pending")
    second = await mail.wait_for(email, count=2)
    assert "Confirm your email address" in second.subject
    done = await v.get(second.link().removeprefix(h.settings.issuer))
    assert done.status_code == 200
    user = await user_by_name(h, handle, "rec-pending")
    assert user is not None and user.status == "active"


@pytest.mark.parametrize(
    ("password", "confirm", "message"),
    [
        ("", "", "Enter a password."),
        ("short-pw", "short-pw", "too short"),
        ("qwertyuiop123", "qwertyuiop123", "most common passwords"),
        ("rec-weak-user", "rec-weak-user", "username or email"),
        (PASSWORD, PASSWORD, "used this password recently"),
        (STRONG, STRONG + "x", "do not match"),
        ("y" * 1025, "y" * 1025, "too long"),
    ],
)
async def test_weak_reused_or_mismatched_password_keeps_the_link(
    h: Harness, mail: MailServer, password: str, confirm: str, message: str
) -> None:
    handle, prefix = await new_org(h)
    user_id = await make_user(h, handle, "rec-weak-user")
    mail.clear()
    v = visitor(h)
    await ask(v, prefix, "rec-weak-user")
    link = await reset_link(h, mail, "rec-weak-user@example.com")
    page = await v.get(link)
    form = {"csrf": csrf_of(page.text), "token": link.split("token=")[1]}
    before = await user_by_name(h, handle, "rec-weak-user")
    assert before is not None
    resp = await v.post(
        f"{prefix}/recover/reset", {**form, "password": password, "confirm": confirm}
    )
    assert resp.status_code == 400, text(resp)
    assert message in text(resp) and 'role="alert"' in resp.text
    after = await user_by_name(h, handle, "rec-weak-user")
    assert after is not None and after.password_hash == before.password_hash
    assert after.version == before.version
    assert await history_count(h, user_id) == 0
    # The link still works for a good password.
    ok = await v.post(f"{prefix}/recover/reset", {**form, "password": STRONG, "confirm": STRONG})
    assert ok.status_code == 200


async def test_expired_link_and_link_of_a_changed_password(
    h: Harness, mail: MailServer, clock: FrozenClock
) -> None:
    handle, prefix = await new_org(h)
    await make_user(h, handle, "rec-late")
    mail.clear()
    v = visitor(h)
    await ask(v, prefix, "rec-late")
    await ask(v, prefix, "rec-late")
    first = await reset_link(h, mail, "rec-late@example.com", 1)
    second = await reset_link(h, mail, "rec-late@example.com", 2)
    before = await user_by_name(h, handle, "rec-late")
    # Using the second link invalidates the first one.
    page = await v.get(second)
    form = {"csrf": csrf_of(page.text), "token": second.split("token=")[1]}
    assert (
        await v.post(f"{prefix}/recover/reset", {**form, "password": STRONG, "confirm": STRONG})
    ).status_code == 200
    stale = await v.get(first)
    assert stale.status_code == 400 and "newer link replaced it" in text(stale)

    # A link older than 30 minutes is refused, on GET and on POST.
    await ask(v, prefix, "rec-late")
    third = await reset_link(h, mail, "rec-late@example.com", 4)  # 3rd message: the notice
    page = await v.get(third)
    form = {"csrf": csrf_of(page.text), "token": third.split("token=")[1]}
    clock.advance(30 * 60 + 1)
    assert (await v.get(third)).status_code == 400
    resp = await v.post(
        f"{prefix}/recover/reset", {**form, "password": STRONG2, "confirm": STRONG2}
    )
    assert resp.status_code == 400 and "expired" in text(resp)
    user = await user_by_name(h, handle, "rec-late")
    assert user is not None and before is not None
    assert user.password_hash and verify_password(user.password_hash, STRONG).ok


async def test_csrf_missing_or_wrong_changes_nothing(h: Harness, mail: MailServer) -> None:
    handle, prefix = await new_org(h)
    await make_user(h, handle, "rec-csrf")
    mail.clear()
    v = visitor(h)
    page = await v.get(f"{prefix}/recover")
    for data in ({"identifier": "rec-csrf"}, {"identifier": "rec-csrf", "csrf": "forged"}):
        resp = await v.post(f"{prefix}/recover", data)
        assert resp.status_code == 403 and "This form has expired" in text(resp)
    assert mail.messages == []
    await ask(v, prefix, "rec-csrf")
    link = await reset_link(h, mail, "rec-csrf@example.com")
    page = await v.get(link)
    token = link.split("token=")[1]
    before = await user_by_name(h, handle, "rec-csrf")
    resp = await v.post(
        f"{prefix}/recover/reset", {"token": token, "password": STRONG, "confirm": STRONG}
    )
    assert resp.status_code == 403 and "This form has expired" in text(resp)
    # Another browser with the link but not the cookie: refused as well.
    other = visitor(h)
    resp = await other.post(
        f"{prefix}/recover/reset",
        {"csrf": csrf_of(page.text), "token": token, "password": STRONG, "confirm": STRONG},
    )
    assert resp.status_code == 403
    after = await user_by_name(h, handle, "rec-csrf")
    assert before is not None and after is not None and after.password_hash == before.password_hash


async def test_missing_identifier_and_rate_limits(h: Harness, mail: MailServer) -> None:
    handle, prefix = await new_org(h)
    await make_user(h, handle, "rec-busy")
    mail.clear()
    v = visitor(h)
    page = await v.get(f"{prefix}/recover")
    csrf = csrf_of(page.text)
    resp = await v.post(f"{prefix}/recover", {"csrf": csrf, "identifier": "  "})
    assert resp.status_code == 400 and "Enter your username or email address." in text(resp)
    # At most three emails per account and hour, whatever is asked.
    for _ in range(5):
        resp = await v.post(f"{prefix}/recover", {"csrf": csrf, "identifier": "rec-busy"})
        assert resp.status_code == 303
    assert len(mail.sent_to("rec-busy@example.com")) == 3
    # Ten requests per IP in 15 minutes (the blank one did not count).
    for _ in range(5):
        assert (
            await v.post(f"{prefix}/recover", {"csrf": csrf, "identifier": "x"})
        ).status_code == 303
    resp = await v.post(f"{prefix}/recover", {"csrf": csrf, "identifier": "x"})
    assert resp.status_code == 429 and "Too many recovery requests" in text(resp)


async def test_recovery_can_be_turned_off(h: Harness, mail: MailServer) -> None:
    handle, prefix = await new_org(h, recovery=False)
    await make_user(h, handle, "rec-off")
    mail.clear()
    v = visitor(h)
    resp = await v.get(f"{prefix}/recover")
    assert resp.status_code == 404 and "not available" in text(resp)
    resp = await v.post(f"{prefix}/recover", {"identifier": "rec-off"})
    assert resp.status_code == 404
    assert mail.messages == []
