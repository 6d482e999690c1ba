"""SSO session, prompt / max_age / id_token_hint, consent, and the browser binding."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
import pytest_asyncio
from joserfc import jwt
from joserfc.jwk import KeySet

from identra.clock import FrozenClock
from identra.storage.repositories import orgs
from identra.web.login.runtime import for_app
from tests.protocol.oidc.support import (
    PASSWORD,
    App,
    Browser,
    auth_params,
    forms,
    hidden,
    make_app,
    make_user,
    pkce_pair,
    query,
)
from tests.support import Harness, harness

pytestmark = pytest.mark.asyncio(loop_scope="module")
USER = "session-user"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def user(ch: Harness) -> str:
    await make_user(ch, username="session-other")
    return await make_user(ch, username=USER)


def _params(app: App, **extra: str) -> dict[str, str]:
    return auth_params(app, pkce_pair()[1], **extra)


async def _tokens(browser: Browser, app: App, **extra: str) -> dict[str, str]:
    verifier, challenge = pkce_pair()
    back = await browser.code_flow(auth_params(app, challenge, **extra), username=USER)
    resp = await browser.client.post(
        "/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": back["code"],
            "redirect_uri": app.redirect_uri,
            "code_verifier": verifier,
        },
        auth=(app.client_id, app.client_secret or ""),
    )
    assert resp.status_code == 200, resp.text
    body: dict[str, str] = resp.json()
    return body


async def test_sso_second_authorization_needs_no_login(
    ch: Harness, user: str, cbrowser: Browser
) -> None:
    one = await make_app(ch)
    two = await make_app(ch)
    assert "code" in await cbrowser.code_flow(_params(one), username=USER)
    # Another client, same browser: no login page, only its own consent.
    page = await cbrowser.authorize(_params(two))
    assert 'name="password"' not in page.text and 'name="decision"' in page.text
    page = await cbrowser.consent(page)
    assert "code" in query(page.headers["location"])
    # Consent is remembered: the next request goes straight back with a code.
    again = await cbrowser.authorize(_params(two, prompt="none"))
    assert again.status_code == 302 and "code" in query(again.headers["location"])


async def test_prompt_login_and_max_age_force_a_login(
    ch: Harness, clock: FrozenClock, user: str, cbrowser: Browser
) -> None:
    app = await make_app(ch, settings={"skip_consent": True})
    first = await _tokens(cbrowser, app)
    page = await cbrowser.authorize(_params(app, prompt="login"))
    assert 'name="password"' in page.text
    assert "code" in await cbrowser.code_flow(_params(app, max_age="3600"), username=USER)
    clock.advance(120)
    page = await cbrowser.authorize(_params(app, max_age="60"))
    assert 'name="password"' in page.text
    none = await cbrowser.authorize(_params(app, max_age="60", prompt="none"))
    assert query(none.headers["location"])["error"] == "login_required"
    # After a new login auth_time moves; the session (sid) stays the same for the same user.
    second = await _tokens(cbrowser, app, max_age="60")
    keys = KeySet.import_key_set(ch.services.keyring.jwks)
    a = jwt.decode(first["id_token"], keys).claims
    b = jwt.decode(second["id_token"], keys).claims
    assert b["auth_time"] > a["auth_time"] and a["sid"] == b["sid"]


async def test_prompt_none_without_session_and_without_consent(
    ch: Harness, user: str, cbrowser: Browser
) -> None:
    app = await make_app(ch)
    resp = await cbrowser.authorize(_params(app, prompt="none", state="s1"))
    assert query(resp.headers["location"]) == {
        "error": "login_required",
        "error_description": "the user is not logged in",
        "state": "s1",
        "iss": ch.settings.issuer,
    }
    other = await make_app(ch, settings={"skip_consent": True})
    assert "code" in await cbrowser.code_flow(_params(other), username=USER)
    resp = await cbrowser.authorize(_params(app, prompt="none"))
    assert query(resp.headers["location"])["error"] == "consent_required"


async def test_prompt_consent_asks_again_and_deny_is_access_denied(
    ch: Harness, user: str, cbrowser: Browser
) -> None:
    app = await make_app(ch)
    assert "code" in await cbrowser.code_flow(_params(app), username=USER)
    page = await cbrowser.authorize(_params(app, prompt="consent", state="s2"))
    assert 'name="decision"' in page.text
    denied = await cbrowser.consent(page, allow=False)
    assert query(denied.headers["location"])["error"] == "access_denied"
    assert query(denied.headers["location"])["state"] == "s2"
    # New scopes need consent even though the application was approved before.
    page = await cbrowser.authorize(_params(app, scope="openid profile email phone"))
    assert 'name="decision"' in page.text and "phone number" in page.text


async def test_skip_consent_setting(ch: Harness, user: str, cbrowser: Browser) -> None:
    app = await make_app(ch, settings={"skip_consent": True})
    page = await cbrowser.authorize(_params(app))
    page = await cbrowser.login(page, USER)
    assert page.status_code == 302 and "code" in query(page.headers["location"])


async def test_cancel_login_is_access_denied(ch: Harness, user: str, cbrowser: Browser) -> None:
    app = await make_app(ch)
    page = await cbrowser.authorize(_params(app, state="s3"))
    action = forms(page.text)[0]["action"]
    resp = await cbrowser.follow(
        await cbrowser.client.post(action, data={**hidden(page.text), "action": "cancel"})
    )
    assert query(resp.headers["location"]) == {
        "error": "access_denied",
        "error_description": "the user cancelled",
        "state": "s3",
        "iss": ch.settings.issuer,
    }


async def test_id_token_hint(ch: Harness, user: str, cbrowser: Browser) -> None:
    app = await make_app(ch, settings={"skip_consent": True})
    tokens = await _tokens(cbrowser, app)
    ok = await cbrowser.authorize(_params(app, prompt="none", id_token_hint=tokens["id_token"]))
    assert "code" in query(ok.headers["location"])
    # A hint for another user than the session's: login_required with prompt=none.
    other_browser = Browser(
        httpx.AsyncClient(transport=httpx.ASGITransport(app=ch.app), base_url=ch.settings.issuer),
        ch.settings.issuer,
    )
    async with other_browser.client:
        back = await other_browser.code_flow(_params(app), username="session-other")
        assert "code" in back
        resp = await other_browser.authorize(
            _params(app, prompt="none", id_token_hint=tokens["id_token"])
        )
        assert query(resp.headers["location"])["error"] == "login_required"
    # A hint issued to another client is refused.
    stranger = await make_app(ch)
    resp = await cbrowser.authorize(_params(stranger, id_token_hint=tokens["id_token"]))
    assert query(resp.headers["location"])["error"] == "invalid_request"


async def test_interaction_and_login_page_are_bound_to_the_browser(
    ch: Harness, user: str, cbrowser: Browser
) -> None:
    app = await make_app(ch)
    page = await cbrowser.authorize(_params(app))
    login_url = forms(page.text)[0]["action"]
    transport = httpx.ASGITransport(app=ch.app)
    async with httpx.AsyncClient(transport=transport, base_url=ch.settings.issuer) as attacker:
        stolen = await attacker.get(login_url)
        assert stolen.status_code == 403 and "another browser" in stolen.text
        posted = await attacker.post(
            login_url,
            data={**hidden(page.text), "username": USER, "password": "x", "action": "login"},
        )
        assert posted.status_code == 403
        # The victim finishes the login; the resume URL it is sent to is bound the same way.
        done = await cbrowser.client.post(
            login_url,
            data={**hidden(page.text), "username": USER, "password": PASSWORD, "action": "login"},
        )
        resume = done.headers["location"]
        assert "/oauth2/authorize/resume/" in resume
        hijack = await attacker.get(resume)
        assert hijack.status_code == 400 and "another browser" in hijack.text
        assert "location" not in hijack.headers
    finished = await cbrowser.follow(await cbrowser.client.get(resume))
    assert finished.status_code == 200 and 'name="decision"' in finished.text


async def test_expired_code(ch: Harness, clock: FrozenClock, user: str, cbrowser: Browser) -> None:
    app = await make_app(ch, settings={"skip_consent": True})
    verifier, challenge = pkce_pair()
    back = await cbrowser.code_flow(auth_params(app, challenge), username=USER)
    clock.advance(ch.settings.tokens.authorization_code_ttl + 1)
    resp = await cbrowser.client.post(
        "/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": back["code"],
            "redirect_uri": app.redirect_uri,
            "code_verifier": verifier,
        },
        auth=(app.client_id, app.client_secret or ""),
    )
    assert resp.status_code == 400 and resp.json()["error"] == "invalid_grant"


async def test_cookie_attributes_http(ch: Harness, user: str, cbrowser: Browser) -> None:
    app = await make_app(ch, settings={"skip_consent": True})
    first = await cbrowser.client.get(f"/oauth2/authorize?{urlencode(_params(app))}")
    browser_cookie = first.headers["set-cookie"]
    assert browser_cookie.startswith("identra-b=")
    assert "HttpOnly" in browser_cookie and "SameSite=lax" in browser_cookie
    assert "Secure" not in browser_cookie  # the issuer is http://localhost here


async def test_cookies_on_https_issuer_use_host_prefix(tmp_path: Path) -> None:
    async with harness(tmp_path, issuer="https://id.example.test") as h:
        await make_user(h, username=USER)
        app = await make_app(h, settings={"skip_consent": True})
        browser = Browser(h.client, h.settings.issuer)
        page = await browser.authorize(_params(app))
        login = await h.client.post(
            forms(page.text)[0]["action"],
            data={**hidden(page.text), "username": USER, "password": PASSWORD, "action": "login"},
        )
        resume = await h.client.get(login.headers["location"])
        cookies = resume.headers.get_list("set-cookie")
        session = [c for c in cookies if c.startswith("__Host-identra-s-")]
        assert session, cookies
        assert "Secure" in session[0] and "HttpOnly" in session[0] and "Path=/" in session[0]
        assert "Domain" not in session[0] and "SameSite=lax" in session[0]
        assert query(resume.headers["location"])["code"]


async def test_login_hint_prefills_username(ch: Harness, user: str, cbrowser: Browser) -> None:
    app = await make_app(ch)
    page = await cbrowser.authorize(_params(app, login_hint='"><b>x</b>'))
    assert 'value="&#34;&gt;&lt;b&gt;x&lt;/b&gt;"' in page.text


async def test_revoked_consent_is_asked_again_and_tokens_stop_working(
    ch: Harness, user: str, cbrowser: Browser
) -> None:
    app = await make_app(ch)
    tokens = await _tokens(cbrowser, app)
    silent = await cbrowser.authorize(_params(app, prompt="none"))
    assert "code" in query(silent.headers["location"])
    async with ch.services.sessions() as session:
        root = await orgs.root(session)
    consents = for_app(ch.app).consents
    assert await consents.revoke(root.id, user, app.id, ch.services.clock.now())
    assert not await consents.revoke(root.id, user, app.id, ch.services.clock.now())
    again = await cbrowser.authorize(_params(app, prompt="none"))
    assert query(again.headers["location"])["error"] == "consent_required"
    refresh = await cbrowser.client.post(
        "/oauth2/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=(app.client_id, app.client_secret or ""),
    )
    assert refresh.status_code == 400 and refresh.json()["error"] == "invalid_grant"
    info = await cbrowser.client.get(
        "/oauth2/userinfo", headers={"authorization": f"Bearer {tokens['access_token']}"}
    )
    assert info.status_code == 401
