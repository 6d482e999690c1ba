"""Self-registration over HTTP: the form, every kind of bad input (nothing changes, a clear
message), the verification link (single use, 24 hours), enumeration and the rate limit."""

from __future__ import annotations

import re

import pytest

from identra.clock import FrozenClock
from tests.mailserver import MailServer
from tests.selfservice.support import (
    STRONG,
    actions,
    csrf_of,
    make_user,
    new_org,
    text,
    user_by_name,
    user_count,
    visitor,
)
from tests.support import Harness

pytestmark = pytest.mark.asyncio(loop_scope="module")


def fields(csrf: str, **overrides: str) -> dict[str, str]:
    data = {
        "csrf": csrf,
        "username": "newcomer",
        "email": "newcomer@example.com",
        "password": STRONG,
        "given_name": "Nora",
        "family_name": "Newcomer",
    }
    data.update(overrides)
    return data


async def test_registration_is_off_by_default(h: Harness) -> None:
    handle, prefix = await new_org(h)
    v = visitor(h)
    resp = await v.get(f"{prefix}/register")
    assert resp.status_code == 404
    assert "Creating an account is not available here" in text(resp)
    # Posting anyway creates nothing.
    before = await user_count(h, handle)
    resp = await v.post(f"{prefix}/register", fields("x"))
    assert resp.status_code == 404
    assert await user_count(h, handle) == before


async def test_register_verify_and_sign_in(h: Harness, mail: MailServer) -> None:
    handle, prefix = await new_org(h, registration=True)
    v = visitor(h)
    page = await v.get(f"{prefix}/register")
    assert page.status_code == 200
    assert 'for="username"' in page.text and 'for="password"' in page.text
    assert "at least 12 characters" in text(page)
    email = "reg-ok@example.com"
    resp = await v.post(
        f"{prefix}/register", fields(csrf_of(page.text), username="reg-ok", email=email)
    )
    assert resp.status_code == 303 and resp.headers["location"] == f"{prefix}/register/sent"
    sent = await v.get(resp.headers["location"])
    assert "Check your email" in text(sent)

    user = await user_by_name(h, handle, "reg-ok")
    assert user is not None and user.status == "unverified"
    assert (
        user.given_name == "Nora"
        and user.password_hash
        and user.password_hash.startswith("$argon2")
    )
    assert [(e.value, e.primary, e.verified) for e in user.emails] == [(email, True, False)]

    message = await mail.wait_for(email)
    assert "Confirm your email address" in message.subject
    link = message.link()
    assert link.startswith(f"{h.settings.issuer}{prefix}/register/verify?token=")

    # Unverified: the login refuses the password like a wrong one.
    login = await v.get(f"{prefix}/account")
    refused = await v.login(login, "reg-ok", STRONG)
    assert refused.status_code == 401

    done = await v.get(link.removeprefix(h.settings.issuer))
    assert done.status_code == 200 and "Email address confirmed" in text(done)
    user = await user_by_name(h, handle, "reg-ok")
    assert user is not None and user.status == "active" and user.emails[0].verified

    # The link works once.
    again = await v.get(link.removeprefix(h.settings.issuer))
    assert again.status_code == 400 and "already been used" in text(again)

    # Now the account signs in.
    account = await visitor(h).sign_in(prefix, "reg-ok", STRONG)
    assert account.status_code == 200 and "Signed in as reg-ok" in text(account)
    assert await actions(h, handle, "user.") == [
        "user.create",
        "user.register",
        "user.email_verify",
    ]


async def test_expired_link_changes_nothing(
    h: Harness, mail: MailServer, clock: FrozenClock
) -> None:
    handle, prefix = await new_org(h, registration=True)
    v = visitor(h)
    page = await v.get(f"{prefix}/register")
    email = "reg-late@example.com"
    resp = await v.post(
        f"{prefix}/register", fields(csrf_of(page.text), username="reg-late", email=email)
    )
    assert resp.status_code == 303
    link = (await mail.wait_for(email)).link().removeprefix(h.settings.issuer)
    clock.advance(24 * 3600 + 1)
    late = await v.get(link)
    assert late.status_code == 400 and "expired" in text(late)
    user = await user_by_name(h, handle, "reg-late")
    assert user is not None and user.status == "unverified" and not user.emails[0].verified
    # A tampered or truncated token says the same.
    for bad in (
        link[:-5],
        link + "x",
        f"{prefix}/register/verify",
        f"{prefix}/register/verify?token=",
    ):
        resp = await v.get(bad)
        assert resp.status_code == 400 and "cannot be used" in text(resp)


@pytest.mark.parametrize(
    ("overrides", "field_message"),
    [
        ({"username": ""}, "Enter a username."),
        ({"username": "a"}, "Use 3 to 64 characters"),
        ({"username": "has space"}, "Use 3 to 64 characters"),
        ({"username": "store/name"}, "Use 3 to 64 characters"),
        ({"email": ""}, "Enter your email address."),
        ({"email": "not-an-address"}, "Enter a valid email address"),
        ({"email": "two@@example.com"}, "Enter a valid email address"),
        ({"password": ""}, "Enter a password."),
        ({"password": "short-one"}, "too short: use at least 12 characters"),
        ({"password": "passwordpassword"}, "most common passwords"),
        ({"password": "Password123456"}, "most common passwords"),
        ({"password": "x" * 1025}, "too long: use at most 1024 characters"),
        ({"username": "matching-name-x", "password": "MATCHING-NAME-X"}, "username or email"),
        (
            {"email": "distinct.person@example.com", "password": "distinct.person"},
            "username or email",
        ),
        ({"given_name": "x" * 101}, "given name is too long"),
    ],
)
async def test_bad_input_shows_a_message_and_creates_nothing(
    h: Harness, overrides: dict[str, str], field_message: str
) -> None:
    handle, prefix = await new_org(h, registration=True)
    v = visitor(h)
    page = await v.get(f"{prefix}/register")
    before = await user_count(h, handle)
    data = fields(csrf_of(page.text), **overrides)
    resp = await v.post(f"{prefix}/register", data)
    assert resp.status_code == 400, resp.text
    assert field_message in text(resp)
    assert 'role="alert"' in resp.text and 'aria-invalid="true"' in resp.text
    # What was typed is kept (except the password).
    if overrides.get("username"):
        assert f'value="{overrides["username"]}"' in resp.text
    assert not re.search(r'<input type="password"[^>]* value=', resp.text)
    assert await user_count(h, handle) == before


async def test_missing_fields_entirely(h: Harness) -> None:
    handle, prefix = await new_org(h, registration=True)
    v = visitor(h)
    page = await v.get(f"{prefix}/register")
    resp = await v.post(f"{prefix}/register", {"csrf": csrf_of(page.text)})
    assert resp.status_code == 400
    body = text(resp)
    assert "Enter a username." in body and "Enter your email address." in body
    assert "Enter a password." in body
    # Not a form at all.
    resp = await v.client.post(
        f"{prefix}/register", content=b"{}", headers={"content-type": "application/json"}
    )
    assert resp.status_code == 403  # no csrf in an empty form
    assert await user_count(h, handle) == 0


@pytest.mark.parametrize("csrf", [None, "", "forged"])
async def test_csrf_missing_or_wrong(h: Harness, csrf: str | None) -> None:
    handle, prefix = await new_org(h, registration=True)
    v = visitor(h)
    page = await v.get(f"{prefix}/register")
    data = fields(csrf_of(page.text))
    if csrf is None:
        data.pop("csrf")
    else:
        data["csrf"] = csrf
    resp = await v.post(f"{prefix}/register", data)
    assert resp.status_code == 403 and "This form has expired" in text(resp)
    assert await user_count(h, handle) == 0
    # Another browser's token does not work either.
    other = visitor(h)
    await other.get(f"{prefix}/register")
    resp = await other.post(f"{prefix}/register", fields(csrf_of(page.text)))
    assert resp.status_code == 403
    assert await user_count(h, handle) == 0


async def test_taken_username_is_reported_taken_email_is_not(h: Harness, mail: MailServer) -> None:
    handle, prefix = await new_org(h, registration=True)
    await make_user(h, handle, "existing")  # existing@example.com, verified
    v = visitor(h)
    page = await v.get(f"{prefix}/register")
    csrf = csrf_of(page.text)
    before = await user_count(h, handle)

    taken = await v.post(
        f"{prefix}/register", fields(csrf, username="EXISTING", email="free@example.com")
    )
    assert taken.status_code == 409 and "That username is not available" in text(taken)
    assert await user_count(h, handle) == before

    # The email address in use: the same answer as a success, and a notice to its owner.
    same = await v.post(
        f"{prefix}/register", fields(csrf, username="fresh-name", email="Existing@Example.com")
    )
    assert same.status_code == 303 and same.headers["location"] == f"{prefix}/register/sent"
    assert await user_count(h, handle) == before
    notice = await mail.wait_for("Existing@Example.com")
    assert "already" in notice.subject
    assert f"{prefix}/recover" in notice.text and "register/verify" not in notice.text


async def test_registration_rate_limit_per_ip(h: Harness) -> None:
    handle, prefix = await new_org(h, registration=True)
    v = visitor(h)
    page = await v.get(f"{prefix}/register")
    csrf = csrf_of(page.text)
    # Attempts that pass the form checks count (here: a taken username, which costs no hash).
    await make_user(h, handle, "taken-name")
    for _ in range(10):
        resp = await v.post(f"{prefix}/register", fields(csrf, username="taken-name"))
        assert resp.status_code == 409
    resp = await v.post(f"{prefix}/register", fields(csrf, username="another-name"))
    assert resp.status_code == 429 and "Too many accounts" in text(resp)
    assert await user_by_name(h, handle, "another-name") is None


async def test_root_issuer_pages_and_unknown_org(h: Harness) -> None:
    v = visitor(h)
    resp = await v.get("/register")
    assert resp.status_code == 404  # off at the root organization too
    resp = await v.get("/o/no-such-org/register")
    assert resp.status_code == 404 and "Unknown organization" in text(resp)
    resp = await v.get("/o/no-such-org/register/verify?token=abc")
    assert resp.status_code == 404


async def test_pages_have_strict_csp_and_no_store(h: Harness) -> None:
    _handle, prefix = await new_org(h, registration=True)
    resp = await visitor(h).get(f"{prefix}/register")
    assert "script-src" not in resp.headers["content-security-policy"]
    assert "default-src 'none'" in resp.headers["content-security-policy"]
    assert resp.headers["cache-control"] == "no-store"
    assert "style=" not in resp.text and "<script" not in resp.text
