"""My Account over HTTP: signing in through the organization's login flow, every section,
every change (audited) and every kind of bad input (a clear message, nothing changed)."""

from __future__ import annotations

import re
from typing import Any

import pyotp
import pytest
from sqlalchemy import func, select

from identra.clock import FrozenClock
from identra.crypto.passwords import verify_password
from identra.storage.models import (
    Consent,
    Credential,
    FederatedIdentity,
    IdentityProvider,
    OAuthGrant,
    User,
)
from identra.storage.repositories.consents import SqlConsentStore
from tests.mailserver import MailServer
from tests.protocol.oidc.support import PASSWORD, forms
from tests.protocol.oidc.support import make_app as seed_app
from tests.selfservice.support import (
    STRONG,
    STRONG2,
    Visitor,
    actions,
    csrf_of,
    form_with,
    history_count,
    make_user,
    new_org,
    open_sessions,
    org_id,
    text,
    user_by_name,
    visitor,
)
from tests.support import Harness

pytestmark = pytest.mark.asyncio(loop_scope="module")
RECENT = 600


async def signed_in(h: Harness, username: str, **org: Any) -> tuple[str, str, str, Visitor]:
    """A fresh organization with one user, signed in to My Account in a fresh browser."""
    handle, prefix = await new_org(h, **org)
    user_id = await make_user(h, handle, username)
    v = visitor(h)
    page = await v.sign_in(prefix, username, PASSWORD)
    assert page.status_code == 200 and f"Signed in as {username}" in text(page), text(page)
    return handle, prefix, user_id, v


async def user(h: Harness, user_id: str) -> User:
    async with h.services.sessions() as session:
        row = await session.get(User, user_id)
        assert row is not None
        return row


async def count(h: Harness, model: Any, **where: Any) -> int:
    async with h.services.sessions() as session:
        query = select(func.count()).select_from(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return int(await session.scalar(query) or 0)


# ---- signing in -------------------------------------------------------------------------


async def test_sign_in_lands_on_the_section_asked_for(h: Harness) -> None:
    handle, prefix = await new_org(h)
    await make_user(h, handle, "acc-nav")
    v = visitor(h)
    first = await v.client.get(f"{prefix}/account/security")
    assert first.status_code == 303
    assert first.headers["location"] == f"{prefix}/account/login?section=security"
    login = await v.follow(first)
    assert 'name="password"' in login.text and "My Account" in text(login)
    landed = await v.login(login, "acc-nav", PASSWORD)
    assert landed.status_code == 200 and "Sign-in methods" in text(landed)
    assert str(landed.url).endswith(f"{prefix}/account/security")
    for path, heading in (
        ("/account", "Profile"),
        ("/account/password", "Password"),
        ("/account/sessions", "Sessions"),
        ("/account/apps", "Connected apps"),
        ("/account/linked", "Linked accounts"),
    ):
        page = await v.get(prefix + path)
        assert page.status_code == 200 and heading in text(page), path
        assert 'aria-current="page"' in page.text
        assert "default-src 'none'" in page.headers["content-security-policy"]
    # The session belongs to this organization only.
    other_handle, other_prefix = await new_org(h)
    assert 'name="password"' in (await v.get(f"{other_prefix}/account")).text
    assert other_handle != handle


async def test_wrong_password_or_cancel_signs_nobody_in(h: Harness) -> None:
    handle, prefix = await new_org(h)
    user_id = await make_user(h, handle, "acc-wrong")
    v = visitor(h)
    login = await v.get(f"{prefix}/account")
    refused = await v.login(login, "acc-wrong", "not-the-password")
    assert refused.status_code == 401 and "not correct" in text(refused)
    cancel = await v.client.post(
        forms(login.text)[-1]["action"],
        data={**forms(login.text)[-1]["fields"], "action": "cancel"},
    )
    cancelled = await v.follow(cancel)
    assert "Sign-in was cancelled" in text(cancelled)
    assert await open_sessions(h, user_id) == []
    # A return URL of another browser, or a made-up one, is refused.
    resp = await visitor(h).get(f"{prefix}/account/login/made-up")
    assert resp.status_code == 400 and "expired" in text(resp)


# ---- profile and email ------------------------------------------------------------------


async def test_profile_update_and_bad_input(h: Harness) -> None:
    handle, prefix, user_id, v = await signed_in(h, "acc-profile")
    page = await v.get(f"{prefix}/account")
    csrf = csrf_of(page.text)
    ok = await v.post(
        f"{prefix}/account/profile",
        {"csrf": csrf, "given_name": " Alicia ", "family_name": "Liddell", "locale": "fr-CA"},
    )
    assert ok.status_code == 200 and "Your profile was saved." in text(ok)
    row = await user(h, user_id)
    assert (row.given_name, row.family_name, row.locale) == ("Alicia", "Liddell", "fr-CA")
    assert 'value="Alicia"' in ok.text
    version = row.version

    for data, message in (
        ({"locale": "not a locale!"}, "Enter a language tag"),
        ({"given_name": "g" * 101}, "given name is too long"),
        ({"family_name": "f" * 101, "locale": "x"}, "family name is too long"),
    ):
        bad = await v.post(f"{prefix}/account/profile", {"csrf": csrf, **data})
        assert bad.status_code == 400 and message in text(bad), text(bad)
        assert 'aria-invalid="true"' in bad.text
    for data in ({}, {"csrf": "forged"}):
        bad = await v.post(f"{prefix}/account/profile", {**data, "given_name": "Mallory"})
        assert bad.status_code == 403 and "This form has expired" in text(bad)
    row = await user(h, user_id)
    assert row.version == version and row.given_name == "Alicia"
    assert (await actions(h, handle, "user.profile")) == ["user.profile_update"]


async def test_email_change_needs_a_recent_sign_in_and_the_new_address(
    h: Harness, mail: MailServer, clock: FrozenClock
) -> None:
    handle, prefix, user_id, v = await signed_in(h, "acc-email")
    page = await v.get(f"{prefix}/account")
    csrf = csrf_of(page.text)
    for value, message in (("", "Enter your email address."), ("nope", "valid email address")):
        bad = await v.post(f"{prefix}/account/email", {"csrf": csrf, "email": value})
        assert bad.status_code == 400 and message in text(bad)
    same = await v.post(f"{prefix}/account/email", {"csrf": csrf, "email": "ACC-EMAIL@example.com"})
    assert same.status_code == 400 and "already your email address" in text(same)

    asked = await v.post(f"{prefix}/account/email", {"csrf": csrf, "email": "new-acc@example.com"})
    assert asked.status_code == 200 and "We sent a link to new-acc@example.com" in text(asked)
    row = await user(h, user_id)
    assert [e.value for e in row.emails] == ["acc-email@example.com"]  # unchanged until confirmed
    link = (await mail.wait_for("new-acc@example.com")).link().removeprefix(h.settings.issuer)
    assert "/account/email/verify?token=" in link
    done = await visitor(h).get(link)  # works without a session (another device)
    assert done.status_code == 200 and "new-acc@example.com" in text(done)
    row = await user(h, user_id)
    assert [(e.value, e.verified, e.primary) for e in row.emails] == [
        ("new-acc@example.com", True, True)
    ]
    notice = await mail.wait_for("acc-email@example.com")
    assert "was changed" in notice.subject
    replay = await v.get(link)
    assert replay.status_code == 400 and "already been used" in text(replay)

    # An hour later the sign-in is no longer recent: nothing is sent.
    clock.advance(RECENT + 1)
    page = await v.get(f"{prefix}/account")
    assert "sign in again" in text(page)
    late = await v.post(f"{prefix}/account/email", {"csrf": csrf, "email": "later@example.com"})
    assert late.status_code == 401 and "sign in again" in text(late).lower()
    assert mail.sent_to("later@example.com") == []
    assert await actions(h, handle, "user.email") == [
        "user.email_change_request",
        "user.email_change",
    ]


async def test_email_taken_meanwhile_is_refused_at_confirmation(
    h: Harness, mail: MailServer
) -> None:
    handle, prefix, user_id, v = await signed_in(h, "acc-race")
    page = await v.get(f"{prefix}/account")
    asked = await v.post(
        f"{prefix}/account/email", {"csrf": csrf_of(page.text), "email": "contested@example.com"}
    )
    assert asked.status_code == 200
    link = (await mail.wait_for("contested@example.com")).link().removeprefix(h.settings.issuer)
    await make_user(h, handle, "contested")  # now owns contested@example.com
    resp = await v.get(link)
    assert resp.status_code == 409 and "belongs to another account" in text(resp)
    row = await user(h, user_id)
    assert [e.value for e in row.emails] == ["acc-race@example.com"]


# ---- password ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"new_password": STRONG, "confirm_password": STRONG}, "Enter your current password."),
        (
            {"current_password": "wrong", "new_password": STRONG, "confirm_password": STRONG},
            "current password is not correct",
        ),
        (
            {"current_password": PASSWORD, "new_password": "short", "confirm_password": "short"},
            "too short",
        ),
        (
            {
                "current_password": PASSWORD,
                "new_password": "1234567890123",
                "confirm_password": "1234567890123",
            },
            "most common passwords",
        ),
        (
            {"current_password": PASSWORD, "new_password": PASSWORD, "confirm_password": PASSWORD},
            "used this password recently",
        ),
        (
            {"current_password": PASSWORD, "new_password": STRONG, "confirm_password": STRONG2},
            "do not match",
        ),
        ({"current_password": PASSWORD}, "Enter a password."),
    ],
)
async def test_password_change_refusals_change_nothing(
    h: Harness, data: dict[str, str], message: str
) -> None:
    _handle, prefix, user_id, v = await signed_in(h, "acc-pw-bad")
    page = await v.get(f"{prefix}/account/password")
    before = await user(h, user_id)
    resp = await v.post(f"{prefix}/account/password", {"csrf": csrf_of(page.text), **data})
    assert resp.status_code == 400 and message in text(resp), text(resp)
    assert not re.search(r'<input type="password"[^>]* value=', resp.text)
    after = await user(h, user_id)
    assert after.password_hash == before.password_hash and after.version == before.version
    assert await history_count(h, user_id) == 0


async def test_password_change_ends_the_other_sessions(h: Harness) -> None:
    handle, prefix, user_id, v = await signed_in(h, "acc-pw")
    other = visitor(h)
    await other.sign_in(prefix, "acc-pw", PASSWORD)
    assert len(await open_sessions(h, user_id)) == 2
    page = await v.get(f"{prefix}/account/password")
    assert 'autocomplete="current-password"' in page.text and "at least 12" in text(page)
    form = {
        "csrf": csrf_of(page.text),
        "current_password": PASSWORD,
        "new_password": STRONG,
        "confirm_password": STRONG,
    }
    missing_csrf = await v.post(f"{prefix}/account/password", {**form, "csrf": ""})
    assert missing_csrf.status_code == 403
    assert verify_password((await user(h, user_id)).password_hash or "", PASSWORD).ok

    done = await v.post(f"{prefix}/account/password", form)
    assert done.status_code == 200 and "Your password was changed" in text(done)
    assert "other sessions were signed out" in text(done)
    row = await user(h, user_id)
    assert row.password_hash and verify_password(row.password_hash, STRONG).ok
    assert await history_count(h, user_id) == 1
    assert len(await open_sessions(h, user_id)) == 1
    assert 'name="password"' in (await other.get(f"{prefix}/account")).text  # signed out
    assert "Signed in as acc-pw" in text(await v.get(f"{prefix}/account"))  # still in

    # The old password is now history: changing back is refused.
    page = await v.get(f"{prefix}/account/password")
    back = await v.post(
        f"{prefix}/account/password",
        {
            "csrf": csrf_of(page.text),
            "current_password": STRONG,
            "new_password": PASSWORD,
            "confirm_password": PASSWORD,
        },
    )
    assert back.status_code == 400 and "used this password recently" in text(back)
    assert await actions(h, handle, "user.password") == ["user.password_change"]
    assert "user.sessions_end" in await actions(h, handle, "user.sessions")


async def test_current_password_tries_are_limited(h: Harness) -> None:
    _handle, prefix, user_id, v = await signed_in(h, "acc-pw-limit")
    page = await v.get(f"{prefix}/account/password")
    csrf = csrf_of(page.text)
    bad = {
        "csrf": csrf,
        "current_password": "nope",
        "new_password": STRONG,
        "confirm_password": STRONG,
    }
    for _ in range(10):
        assert (await v.post(f"{prefix}/account/password", bad)).status_code == 400
    good = {**bad, "current_password": PASSWORD}
    resp = await v.post(f"{prefix}/account/password", good)
    assert resp.status_code == 400 and "Too many attempts" in text(resp)
    assert verify_password((await user(h, user_id)).password_hash or "", PASSWORD).ok


# ---- MFA credentials --------------------------------------------------------------------


async def seed_credential(h: Harness, handle: str, user_id: str, kind: str, name: str) -> str:
    async with h.services.sessions.begin() as session:
        row = Credential(org_id=await org_id(h, handle), user_id=user_id, kind=kind, name=name)
        session.add(row)
        await session.flush()
        return row.id


async def test_list_and_remove_credentials(h: Harness) -> None:
    handle, prefix, user_id, v = await signed_in(h, "acc-mfa")
    key = await seed_credential(h, handle, user_id, "passkey", "Work laptop")
    await seed_credential(h, handle, user_id, "totp", "")
    someone = await make_user(h, handle, "acc-mfa-other")
    theirs = await seed_credential(h, handle, someone, "passkey", "Their key")
    page = await v.get(f"{prefix}/account/security")
    body = text(page)
    assert "Work laptop (passkey)" in body and "totp (totp)" in body and "Their key" not in body
    assert "Set up Authenticator app" in body and "Set up Passkey" in body
    csrf = csrf_of(page.text)

    wrong = await v.post(
        f"{prefix}/account/security/remove", {"csrf": csrf, "credential": key, "password": "nope"}
    )
    assert wrong.status_code == 401 and "current password is not correct" in text(wrong)
    missing = await v.post(f"{prefix}/account/security/remove", {"csrf": csrf, "credential": key})
    assert missing.status_code == 400 and "Enter your current password" in text(missing)
    nocsrf = await v.post(
        f"{prefix}/account/security/remove", {"credential": key, "password": PASSWORD}
    )
    assert nocsrf.status_code == 403
    other = await v.post(
        f"{prefix}/account/security/remove",
        {"csrf": csrf, "credential": theirs, "password": PASSWORD},
    )
    assert other.status_code == 404 and "no longer exists" in text(other)
    assert await count(h, Credential, user_id=user_id) == 2
    assert await count(h, Credential, user_id=someone) == 1

    ok = await v.post(
        f"{prefix}/account/security/remove", {"csrf": csrf, "credential": key, "password": PASSWORD}
    )
    assert ok.status_code == 200 and "Removed Work laptop" in text(ok)
    assert await count(h, Credential, user_id=user_id) == 1
    assert await actions(h, handle, "credential.") == ["credential.delete"]


async def test_enroll_an_authenticator_app(h: Harness, clock: FrozenClock) -> None:
    handle, prefix, user_id, v = await signed_in(h, "acc-totp")
    page = await v.get(f"{prefix}/account/security")
    csrf = csrf_of(page.text)
    unknown = await v.post(
        f"{prefix}/account/security/enroll", {"csrf": csrf, "option": "password"}
    )
    assert unknown.status_code == 400 and "Choose one of the methods" in text(unknown)

    start = await v.post(f"{prefix}/account/security/enroll", {"csrf": csrf, "option": "totp"})
    assert start.status_code == 200 and "Set up Authenticator app" in text(start)
    secret = re.search(r'id="totp-secret"[^>]*>([A-Z2-7 ]+)<', start.text)
    assert secret, start.text
    form = form_with(start.text, "/enroll/" + forms(start.text)[0]["action"].rsplit("/", 1)[1])
    action = form["action"]
    wrong = await v.post(action, {**form["fields"], "action": "enroll", "code": "000000"})
    assert wrong.status_code == 401 and "not correct" in text(wrong)
    assert await count(h, Credential, user_id=user_id) == 0
    # Another browser cannot continue this setup.
    intruder = visitor(h)
    await intruder.sign_in(prefix, "acc-totp", PASSWORD)
    hijack = await intruder.post(action, {**form["fields"], "action": "enroll", "code": "1"})
    assert hijack.status_code in (400, 403)

    code = pyotp.TOTP(secret.group(1).replace(" ", "")).at(clock.now())
    done = await v.post(action, {**form["fields"], "action": "enroll", "code": code})
    assert done.status_code == 200 and "Authenticator app was added" in text(done), text(done)
    assert await count(h, Credential, user_id=user_id, kind="totp") == 1
    assert await actions(h, handle, "credential.enroll") == ["credential.enrolled"]  # once
    # The finished setup cannot be replayed.
    again = await v.post(action, {**form["fields"], "action": "enroll", "code": code})
    assert again.status_code == 400 and "expired" in text(again)


async def test_backup_codes_are_shown_once(h: Harness) -> None:
    _handle, prefix, user_id, v = await signed_in(h, "acc-codes")
    page = await v.get(f"{prefix}/account/security")
    start = await v.post(
        f"{prefix}/account/security/enroll", {"csrf": csrf_of(page.text), "option": "backup-code"}
    )
    assert start.status_code == 200 and "Create backup codes" in text(start)
    form = forms(start.text)[0]
    shown = await v.post(form["action"], {**form["fields"], "action": "enroll"})
    assert shown.status_code == 200 and "Save these codes now" in text(shown)
    assert len(re.findall(r"<li><code>", shown.text)) == 10
    assert await count(h, Credential, user_id=user_id, kind="backup_codes") == 1
    cont = forms(shown.text)[0]
    back = await v.post(cont["action"], {**cont["fields"], "action": "continue"})
    assert back.status_code == 200 and "Sign-in methods" in text(back)
    assert "Save these codes" not in text(back)


async def test_cancel_enrollment_and_stale_sign_in(h: Harness, clock: FrozenClock) -> None:
    _handle, prefix, user_id, v = await signed_in(h, "acc-cancel")
    page = await v.get(f"{prefix}/account/security")
    csrf = csrf_of(page.text)
    start = await v.post(f"{prefix}/account/security/enroll", {"csrf": csrf, "option": "totp"})
    cancel = forms(start.text)[-1]
    resp = await v.post(cancel["action"], {**cancel["fields"], "action": "cancel"})
    assert resp.status_code == 200 and "nothing was added" in text(resp)
    assert await count(h, Credential, user_id=user_id) == 0

    clock.advance(RECENT + 1)
    page = await v.get(f"{prefix}/account/security")
    assert "sign in again" in text(page).lower() and "Set up" not in text(page)
    late = await v.post(f"{prefix}/account/security/enroll", {"csrf": csrf, "option": "totp"})
    assert late.status_code == 401 and "Sign in again" in text(late)
    # Signing in again (the flow is forced, for the same user) makes it recent.
    again = await v.get(f"{prefix}/account/login?section=security&reauth=1")
    assert 'name="password"' in again.text
    landed = await v.login(again, "acc-cancel", PASSWORD)
    assert landed.status_code == 200 and "Set up Authenticator app" in text(landed)


# ---- sessions, apps, linked accounts, sign-out ------------------------------------------


async def test_sessions_list_and_sign_out_another(h: Harness) -> None:
    handle, prefix, user_id, v = await signed_in(h, "acc-sess")
    other = visitor(h)
    await other.sign_in(prefix, "acc-sess", PASSWORD)
    page = await v.get(f"{prefix}/account/sessions")
    assert text(page).count("signed in 20") == 2 and "This session" in text(page)
    sids = await open_sessions(h, user_id)
    listed = [f["fields"]["session"] for f in forms(page.text) if f["action"].endswith("/end")]
    assert sorted(listed) == sorted(sids)
    csrf = csrf_of(page.text)

    unknown = await v.post(f"{prefix}/account/sessions/end", {"csrf": csrf, "session": "nope"})
    assert unknown.status_code == 404 and "already ended" in text(unknown)
    nocsrf = await v.post(f"{prefix}/account/sessions/end", {"session": sids[0]})
    assert nocsrf.status_code == 403
    assert len(await open_sessions(h, user_id)) == 2

    theirs = next(s for s in sids if f'value="{s}"' in page.text and s != _current_sid(page.text))
    ok = await v.post(f"{prefix}/account/sessions/end", {"csrf": csrf, "session": theirs})
    assert ok.status_code == 200 and "The session was signed out." in text(ok)
    assert await open_sessions(h, user_id) == [_current_sid(page.text)]
    assert 'name="password"' in (await other.get(f"{prefix}/account")).text
    assert await actions(h, handle, "session.revoke") == ["session.revoke"]

    # Signing out of this session from the list.
    page = await v.get(f"{prefix}/account/sessions")
    bye = await v.post(
        f"{prefix}/account/sessions/end",
        {"csrf": csrf_of(page.text), "session": _current_sid(page.text)},
    )
    assert bye.status_code == 200 and "signed out" in text(bye)
    assert await open_sessions(h, user_id) == []
    assert 'name="password"' in (await v.get(f"{prefix}/account")).text


def _current_sid(html: str) -> str:
    block = html.split("This session", 1)[0]
    found = re.findall(r'name="session" value="([^"]+)"', block)
    assert found
    return found[-1]


async def test_connected_apps_and_revoking_access(h: Harness) -> None:
    handle, prefix, user_id, v = await signed_in(h, "acc-apps")
    app = await seed_app(h, handle)
    oid = await org_id(h, handle)
    await SqlConsentStore(h.services.sessions).grant(oid, user_id, app.id, ["openid", "email"], [])
    async with h.services.sessions.begin() as session:
        session.add(
            OAuthGrant(org_id=oid, application_id=app.id, user_id=user_id, scopes=["openid"])
        )
    page = await v.get(f"{prefix}/account/apps")
    assert "app-" in text(page) and ": email, openid" in text(page).replace(" :", ":")
    csrf = csrf_of(page.text)
    nocsrf = await v.post(f"{prefix}/account/apps/revoke", {"application": app.id})
    assert nocsrf.status_code == 403
    assert await count(h, Consent, user_id=user_id) == 1
    ok = await v.post(f"{prefix}/account/apps/revoke", {"csrf": csrf, "application": app.id})
    assert ok.status_code == 200 and "Access removed" in text(ok)
    assert await count(h, Consent, user_id=user_id) == 0
    async with h.services.sessions() as session:
        grant = await session.scalar(select(OAuthGrant).where(OAuthGrant.user_id == user_id))
        assert grant is not None and grant.revoked_at is not None
    again = await v.post(f"{prefix}/account/apps/revoke", {"csrf": csrf, "application": app.id})
    assert again.status_code == 404 and "no longer exists" in text(again)
    assert "consent.revoke" in await actions(h, handle, "consent.")


async def seed_link(h: Harness, handle: str, user_id: str, provider: str) -> str:
    oid = await org_id(h, handle)
    async with h.services.sessions.begin() as session:
        idp = await session.scalar(
            select(IdentityProvider).where(
                IdentityProvider.org_id == oid, IdentityProvider.name == provider
            )
        )
        if idp is None:
            idp = IdentityProvider(org_id=oid, name=provider, kind="oidc", config={})
            session.add(idp)
            await session.flush()
        link = FederatedIdentity(
            org_id=oid, user_id=user_id, idp_id=idp.id, subject=f"sub-{user_id[:8]}"
        )
        session.add(link)
        await session.flush()
        return link.id


async def test_linked_accounts_and_unlinking(h: Harness, clock: FrozenClock) -> None:
    handle, prefix, user_id, v = await signed_in(h, "acc-links")
    google = await seed_link(h, handle, user_id, "Google")
    await seed_link(h, handle, user_id, "Corp")
    page = await v.get(f"{prefix}/account/linked")
    assert "Google" in text(page) and "Corp" in text(page)
    csrf = csrf_of(page.text)
    nocsrf = await v.post(f"{prefix}/account/linked/unlink", {"link": google})
    assert nocsrf.status_code == 403
    bogus = await v.post(f"{prefix}/account/linked/unlink", {"csrf": csrf, "link": "nope"})
    assert bogus.status_code == 404
    assert await count(h, FederatedIdentity, user_id=user_id) == 2
    ok = await v.post(f"{prefix}/account/linked/unlink", {"csrf": csrf, "link": google})
    assert ok.status_code == 200 and "unlinked" in text(ok)
    assert await count(h, FederatedIdentity, user_id=user_id) == 1
    assert await actions(h, handle, "user.unlink") == ["user.unlink"]

    # Without a password, the last linked account cannot go.
    async with h.services.sessions.begin() as session:
        row = await session.get(User, user_id)
        assert row is not None
        row.password_hash = None
    corp = [
        f["fields"]["link"]
        for f in forms((await v.get(f"{prefix}/account/linked")).text)
        if "link" in f["fields"]
    ]
    last = await v.post(f"{prefix}/account/linked/unlink", {"csrf": csrf, "link": corp[0]})
    assert last.status_code == 409 and "only way to sign in" in text(last)
    assert await count(h, FederatedIdentity, user_id=user_id) == 1

    clock.advance(RECENT + 1)
    stale = await v.post(f"{prefix}/account/linked/unlink", {"csrf": csrf, "link": corp[0]})
    assert stale.status_code == 401
    assert await count(h, FederatedIdentity, user_id=user_id) == 1


async def test_sign_out(h: Harness) -> None:
    handle, prefix, user_id, v = await signed_in(h, "acc-bye")
    page = await v.get(f"{prefix}/account")
    nocsrf = await v.post(f"{prefix}/account/logout", {})
    assert nocsrf.status_code == 403
    assert len(await open_sessions(h, user_id)) == 1
    bye = await v.post(f"{prefix}/account/logout", {"csrf": csrf_of(page.text)})
    assert bye.status_code == 200 and "You have signed out" in text(bye)
    assert await open_sessions(h, user_id) == []
    assert 'name="password"' in (await v.get(f"{prefix}/account")).text
    # Posting without a session leads to the sign-in, changes nothing.
    resp = await v.post(f"{prefix}/account/profile", {"csrf": "x", "given_name": "Eve"})
    assert resp.status_code == 303 and "/account/login" in resp.headers["location"]
    assert (await user_by_name(h, handle, "acc-bye")) is not None
    assert (await user(h, user_id)).given_name == "Alice"


async def test_disabled_user_loses_the_portal(h: Harness) -> None:
    _handle, prefix, user_id, v = await signed_in(h, "acc-disabled")
    async with h.services.sessions.begin() as session:
        row = await session.get(User, user_id)
        assert row is not None
        row.status = "disabled"
    page = await v.get(f"{prefix}/account")
    assert 'name="password"' in page.text and "Signed in as" not in text(page)


async def test_passkey_setup_page_may_run_its_script(h: Harness) -> None:
    _handle, prefix, user_id, v = await signed_in(h, "acc-passkey")
    page = await v.get(f"{prefix}/account/security")
    start = await v.post(
        f"{prefix}/account/security/enroll", {"csrf": csrf_of(page.text), "option": "passkey"}
    )
    assert start.status_code == 200 and "Create a passkey" in text(start)
    policy = start.headers["content-security-policy"]
    nonce = re.search(r"script-src 'nonce-([^']+)'", policy)
    assert nonce and f'<script nonce="{nonce.group(1)}"' in start.text
    assert 'data-passkey="create"' in start.text
    assert await count(h, Credential, user_id=user_id) == 0
