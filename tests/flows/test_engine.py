"""The flow engine through the hosted pages: identifier-first, conditions, actions, session
limits, enrollment skipping, timeouts, CSRF and browser binding, pinned revisions, audit."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from identra.clock import FrozenClock
from identra.storage.models import User, UserSession
from tests.flows.support import (
    apply_flow,
    at_client,
    form_with,
    grant_role,
    identify,
    password,
    post,
    step_events,
)
from tests.protocol.oidc.support import (
    PASSWORD,
    App,
    Browser,
    auth_params,
    make_app,
    make_user,
    pkce_pair,
    query,
)
from tests.support import Harness, harness

IDENTIFIER_FIRST = """\
flow "Identifier first"
start who

identify who
  next secret

step secret
  options password
  next done

allow done
"""

MANAGERS_DENIED = """\
flow "No managers"
start login

step login
  options password
  next check

condition check
  if role any ["manager"]
  then no
  else done

deny no
  message "Managers use the other portal."

allow done
  acr "urn:example:gold"
  amr ["hwk"]
"""


@pytest.fixture
async def h(tmp_path: Path) -> AsyncIterator[Harness]:
    clock = FrozenClock(datetime(2026, 11, 26, 12, 0, tzinfo=UTC))
    async with harness(tmp_path, clock) as h:
        yield h


@pytest.fixture
async def app(h: Harness) -> App:
    return await make_app(h, settings={"skip_consent": True})


def browser(h: Harness) -> Browser:
    client = httpx.AsyncClient(transport=h.client._transport, base_url=h.settings.issuer)
    return Browser(client, h.settings.issuer)


async def start(b: Browser, app: App) -> httpx.Response:
    page = await b.authorize(auth_params(app, pkce_pair()[1]))
    assert page.status_code == 200, page.text
    return page


async def test_identifier_first_then_password(h: Harness, app: App) -> None:
    await make_user(h, username="ivy")
    await apply_flow(h, IDENTIFIER_FIRST, app.client_id)
    b = browser(h)
    page = await start(b, app)
    assert 'name="password"' not in page.text
    page = await identify(b, page, "ivy")
    assert "Signing in as <strong>ivy</strong>" in page.text and 'name="username"' not in page.text
    wrong = await password(b, page, None, "not-it")
    assert wrong.status_code == 401 and "not correct" in wrong.text
    done = await password(b, wrong, None, PASSWORD)
    assert at_client(done, app) and "code" in query(done.headers["location"])


async def test_identifier_first_does_not_reveal_unknown_users(h: Harness, app: App) -> None:
    await apply_flow(h, IDENTIFIER_FIRST, app.client_id)
    b = browser(h)
    page = await identify(b, await start(b, app), "nobody-here")
    assert "Signing in as <strong>nobody-here</strong>" in page.text
    wrong = await password(b, page, None, "whatever")
    assert wrong.status_code == 401 and "username or password is not correct" in wrong.text


async def test_empty_identifier_is_refused_on_the_page(h: Harness, app: App) -> None:
    await apply_flow(h, IDENTIFIER_FIRST, app.client_id)
    b = browser(h)
    page = await identify(b, await start(b, app), "   ")
    assert page.status_code == 400 and "Enter your username" in page.text


async def test_condition_denies_managers_and_the_client_gets_access_denied(
    h: Harness, app: App
) -> None:
    manager = await make_user(h, username="mia")
    await make_user(h, username="sam")
    await grant_role(h, manager, "manager")
    await apply_flow(h, MANAGERS_DENIED, app.client_id)

    b = browser(h)
    denied = await password(b, await start(b, app), "mia", PASSWORD)
    assert denied.status_code == 403 and "Managers use the other portal." in denied.text
    back = form_link(denied.text)
    answer = await b.follow(await b.client.get(back))
    assert at_client(answer, app) and query(answer.headers["location"])["error"] == "access_denied"

    b2 = browser(h)
    ok = await password(b2, await start(b2, app), "sam", PASSWORD)
    assert at_client(ok, app)
    code = query(ok.headers["location"])["code"]
    assert code


def form_link(html: str) -> str:
    marker = '<a href="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)].replace("&amp;", "&")


async def test_allow_sets_acr_and_amr_in_the_id_token(h: Harness, app: App) -> None:
    await make_user(h, username="sam")
    await apply_flow(h, MANAGERS_DENIED, app.client_id)
    verifier, challenge = pkce_pair()
    b = browser(h)
    page = await b.authorize(auth_params(app, challenge))
    done = await password(b, page, "sam", PASSWORD)
    code = query(done.headers["location"])["code"]
    tokens = await h.client.post(
        "/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": app.redirect_uri,
            "code_verifier": verifier,
        },
        auth=(app.client_id, app.client_secret or ""),
    )
    assert tokens.status_code == 200, tokens.text
    claims = _claims(tokens.json()["id_token"])  # signature checks: tests/protocol/oidc
    assert claims["acr"] == "urn:example:gold"
    # Values an allow node declares are added as written; "mfa" is only inferred from steps.
    assert claims["amr"] == ["pwd", "hwk"]


def _claims(jwt: str) -> dict[str, object]:
    import base64
    import json

    payload = jwt.split(".")[1]
    data: dict[str, object] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return data


async def test_lock_action_locks_the_account(h: Harness, app: App) -> None:
    user_id = await make_user(h, username="lou", claims={"employment": "terminated"})
    await apply_flow(
        h,
        """\
flow "Leavers"
start login

step login
  options password
  next check

condition check
  if claim "employment" eq "terminated"
  then lockout
  else done

lock lockout
  message "This account is closed."
  duration 3600

allow done
""",
        app.client_id,
    )
    b = browser(h)
    denied = await password(b, await start(b, app), "lou", PASSWORD)
    assert denied.status_code == 403 and "This account is closed." in denied.text
    async with h.services.sessions() as session:
        user = await session.get(User, user_id)
        assert user is not None and user.locked_until is not None
    again = browser(h)
    refused = await password(again, await start(again, app), "lou", PASSWORD)
    assert refused.status_code == 429 and "Too many failed attempts" in refused.text


ONE_SESSION = """\
flow "One session"
start login

step login
  options password
  next single

limit_sessions single
  max 1
  on_exceed {mode}
  next done

allow done
"""


async def test_session_limit_denies_a_second_session(h: Harness, app: App) -> None:
    await make_user(h, username="una")
    await apply_flow(h, ONE_SESSION.format(mode="deny"), app.client_id)
    first = browser(h)
    assert at_client(await password(first, await start(first, app), "una", PASSWORD), app)
    second = browser(h)
    denied = await password(second, await start(second, app), "una", PASSWORD)
    assert denied.status_code == 403 and "already signed in elsewhere" in denied.text


async def test_session_limit_lets_the_user_end_another_session(h: Harness, app: App) -> None:
    await make_user(h, username="uma")
    await apply_flow(h, ONE_SESSION.format(mode="choose"), app.client_id)
    first = browser(h)
    assert at_client(await password(first, await start(first, app), "uma", PASSWORD), app)
    second = browser(h)
    page = await password(second, await start(second, app), "uma", PASSWORD)
    assert page.status_code == 200 and "End this session" in page.text
    session_id = form_with(page, "session")["fields"]["session"]
    bogus = await post(second, page, ("session", session_id), session="not-a-session", action="end")
    assert bogus.status_code == 400 and "already ended" in bogus.text
    done = await post(second, bogus, ("session", session_id), action="end")
    assert at_client(done, app)
    async with h.services.sessions() as session:
        ended = await session.get(UserSession, session_id)
        assert ended is not None and ended.ended_at is not None
    # The first browser's session is gone: it must log in again.
    again = await first.authorize(auth_params(app, pkce_pair()[1]))
    assert again.status_code == 200 and 'name="password"' in again.text


async def test_enrollment_can_be_postponed_when_skippable(h: Harness, app: App) -> None:
    await make_user(h, username="eve")
    await apply_flow(
        h,
        """\
flow "Ask for a second factor"
start login

step login
  options password
  next offer

enroll offer
  options totp
  next done
  skippable true

allow done
""",
        app.client_id,
    )
    b = browser(h)
    page = await password(b, await start(b, app), "eve", PASSWORD)
    assert page.status_code == 200 and "Protect your account" in page.text
    done = await post(b, page, ("csrf", None), action="skip")
    assert at_client(done, app)


async def test_step_timeout_ends_the_flow(h: Harness, app: App) -> None:
    await make_user(h, username="tim")
    await apply_flow(
        h,
        """\
flow "Quick"
start login

step login
  options password
  next done
  timeout 60

allow done
""",
        app.client_id,
    )
    b = browser(h)
    page = await start(b, app)
    clock = h.services.clock
    assert isinstance(clock, FrozenClock)
    clock.advance(61)
    late = await password(b, page, "tim", PASSWORD)
    assert late.status_code == 400 and "took too long" in late.text


async def test_missing_csrf_changes_nothing(h: Harness, app: App) -> None:
    user_id = await make_user(h, username="cat")
    b = browser(h)
    page = await start(b, app)
    form = form_with(page, "option", "password")
    data = {k: v for k, v in form["fields"].items() if k != "csrf"}
    resp = await b.client.post(
        form["action"], data={**data, "username": "cat", "password": "wrong", "action": "login"}
    )
    assert resp.status_code == 403 and "This form has expired" in resp.text
    async with h.services.sessions() as session:
        user = await session.get(User, user_id)
        assert user is not None and user.failed_logins == 0


async def test_tampered_flow_id_and_another_browser(h: Harness, app: App) -> None:
    b = browser(h)
    page = await start(b, app)
    action = form_with(page, "option", "password")["action"]
    tampered = await b.client.get(action[:-3] + "xyz")
    assert tampered.status_code == 400 and "expired" in tampered.text
    other = browser(h)
    stolen = await other.client.get(action)
    assert stolen.status_code == 403 and "another browser" in stolen.text
    oversized = await b.client.get("/login/" + "a" * 300)
    assert oversized.status_code in (400, 404)


async def test_a_login_in_progress_keeps_its_revision(h: Harness, app: App) -> None:
    await make_user(h, username="rev")
    b = browser(h)
    page = await start(b, app)  # built-in password flow
    revision = await apply_flow(
        h,
        """\
flow "Closed"
start login

step login
  options password
  next closed

deny closed
  message "Closed for maintenance."
""",
        app.client_id,
    )
    assert revision == 1
    assert at_client(await password(b, page, "rev", PASSWORD), app)
    b2 = browser(h)
    closed = await password(b2, await start(b2, app), "rev", PASSWORD)
    assert closed.status_code == 403 and "Closed for maintenance." in closed.text


async def test_every_step_outcome_is_audited(h: Harness, app: App) -> None:
    user_id = await make_user(h, username="aud")
    await apply_flow(h, IDENTIFIER_FIRST, app.client_id)
    b = browser(h)
    page = await identify(b, await start(b, app), "aud")
    page = await password(b, page, None, "wrong")
    await password(b, page, None, PASSWORD)
    events = await step_events(h)
    summary = [(e.outcome, e.details.get("node"), e.details.get("option")) for e in events]
    assert summary == [
        ("success", "who", None),
        ("failure", "secret", "password"),
        ("success", "secret", "password"),
        ("success", "done", None),
    ]
    assert all(e.details["revision"] == 1 for e in events)
    assert events[-1].actor_id == user_id
    assert all("wrong" not in str(e.details) for e in events)


async def test_cancel_returns_access_denied(h: Harness, app: App) -> None:
    b = browser(h)
    page = await start(b, app)
    back = await post(b, page, ("csrf", None), action="cancel")
    assert at_client(back, app) and query(back.headers["location"])["error"] == "access_denied"


async def test_user_store_condition(h: Harness, app: App) -> None:
    from identra.admin import users as users_admin
    from identra.admin import userstores
    from identra.clock import Clock
    from identra.observability import audit
    from identra.storage.repositories import orgs
    from tests.protocol.oidc.support import password_hash

    async with h.services.sessions.begin() as session:
        root = await orgs.by_handle(session, "root")
        assert root is not None
        await userstores.create(session, root, userstores.NewUserStore("PARTNERS"), audit.SYSTEM)
        partner, _ = await users_admin.create(
            session, root, users_admin.NewUser("pat", user_store="PARTNERS"), audit.SYSTEM, Clock()
        )
        partner.password_hash = password_hash()
    await make_user(h, username="emp")
    await apply_flow(
        h,
        """\
flow "Employees only"
start login

step login
  options password
  next check

condition check
  if user_store in ["PRIMARY"]
  then done
  else no

deny no
  message "Only employees can sign in here."

allow done
""",
        app.client_id,
    )
    b = browser(h)
    denied = await password(b, await start(b, app), "pat", PASSWORD)
    assert denied.status_code == 403 and "Only employees" in denied.text
    b2 = browser(h)
    assert at_client(await password(b2, await start(b2, app), "emp", PASSWORD), app)
    async with h.services.sessions() as session:
        count = len((await session.scalars(select(UserSession))).all())
    assert count == 1


async def test_the_password_step_links_to_the_self_service_pages_that_are_on(
    h: Harness, app: App
) -> None:
    from identra.selfservice import settings as self_service
    from identra.storage.repositories import orgs

    b = browser(h)
    page = await start(b, app)
    assert 'href="http://localhost:8000/recover"' in page.text or "/recover" in page.text
    assert "Create an account" not in page.text  # registration is off by default
    async with h.services.sessions.begin() as session:
        root = await orgs.by_handle(session, "root")
        assert root is not None
        root.settings = {
            **(root.settings or {}),
            self_service.KEY: {"registration": True, "recovery": False},
        }
    page = await start(browser(h), app)
    assert "Create an account" in page.text and "Forgot your password?" not in page.text
