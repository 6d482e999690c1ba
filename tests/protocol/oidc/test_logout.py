"""RP-Initiated Logout 1.0 and Back-Channel Logout 1.0."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
import pytest_asyncio
from joserfc import jwt
from joserfc.jwk import KeySet

from identra.protocols.oidc.backchannel import EVENT
from identra.web.login.runtime import for_app
from tests.protocol.oidc.support import (
    LOGOUT_CALLBACK,
    App,
    Browser,
    Receiver,
    auth_params,
    forms,
    hidden,
    make_app,
    make_user,
    pkce_pair,
    query,
)
from tests.support import Harness

pytestmark = pytest.mark.asyncio(loop_scope="module")
USER = "logout-user"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def user(mh: Harness) -> str:
    await make_user(mh, username="logout-other")
    return await make_user(mh, username=USER)


async def _tokens(browser: Browser, app: App, username: str = USER, **extra: str) -> dict[str, Any]:
    verifier, challenge = pkce_pair()
    back = await browser.code_flow(auth_params(app, challenge, **extra), username=username)
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
    body: dict[str, Any] = resp.json()
    return body


async def _refresh(browser: Browser, app: App, token: str) -> httpx.Response:
    return await browser.client.post(
        "/oauth2/token",
        data={"grant_type": "refresh_token", "refresh_token": token},
        auth=(app.client_id, app.client_secret or ""),
    )


async def _logged_in(browser: Browser, app: App) -> bool:
    resp = await browser.authorize(auth_params(app, pkce_pair()[1], prompt="none"))
    return "code" in query(resp.headers["location"])


def _claims(mh: Harness, token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    decoded = jwt.decode(token, KeySet.import_key_set(mh.services.keyring.jwks))
    return dict(decoded.header), dict(decoded.claims)


async def test_rp_initiated_logout(mh: Harness, user: str, browser: Browser) -> None:
    app = await make_app(mh, settings={"skip_consent": True})
    online = await _tokens(browser, app)
    offline = await _tokens(browser, app, scope="openid offline_access")
    assert await _logged_in(browser, app)
    params = {
        "id_token_hint": online["id_token"],
        "post_logout_redirect_uri": LOGOUT_CALLBACK,
        "state": "bye-state",
    }
    resp = await browser.client.get(f"/oauth2/logout?{urlencode(params)}")
    assert resp.status_code == 303
    assert resp.headers["location"] == f"{LOGOUT_CALLBACK}?state=bye-state"
    assert any(
        c.startswith("identra-s-") and "Max-Age=0" in c for c in resp.headers.get_list("set-cookie")
    )
    assert not await _logged_in(browser, app)
    # Refresh tokens of the session are revoked, except offline_access ones (OIDC Core §11).
    assert (await _refresh(browser, app, online["refresh_token"])).status_code == 400
    assert (await _refresh(browser, app, offline["refresh_token"])).status_code == 200


@pytest.mark.parametrize(
    "params",
    [
        {"post_logout_redirect_uri": "https://evil.example/"},
        {"post_logout_redirect_uri": LOGOUT_CALLBACK + "/x", "client_id": "CLIENT"},
        {"post_logout_redirect_uri": "https://evil.example/", "client_id": "CLIENT"},
        {"id_token_hint": "garbage", "post_logout_redirect_uri": LOGOUT_CALLBACK},
        {"client_id": "no-such-client", "post_logout_redirect_uri": LOGOUT_CALLBACK},
    ],
)
async def test_logout_never_redirects_to_unregistered_uris(
    mh: Harness, user: str, browser: Browser, params: dict[str, str]
) -> None:
    app = await make_app(mh)
    if params.get("client_id") == "CLIENT":
        params = {**params, "client_id": app.client_id}
    resp = await browser.client.get(f"/oauth2/logout?{urlencode(params)}")
    assert resp.status_code == 400 and "location" not in resp.headers
    assert "invalid_request" in resp.text and "evil.example" not in resp.text


async def test_logout_without_hint_asks_for_confirmation(
    mh: Harness, user: str, browser: Browser
) -> None:
    app = await make_app(mh, settings={"skip_consent": True})
    await _tokens(browser, app)
    params = {"client_id": app.client_id, "post_logout_redirect_uri": LOGOUT_CALLBACK, "state": "z"}
    page = await browser.client.get(f"/oauth2/logout?{urlencode(params)}")
    assert page.status_code == 200 and "Sign out?" in page.text
    action = forms(page.text)[0]["action"]
    fields = hidden(page.text)
    assert fields["post_logout_redirect_uri"] == LOGOUT_CALLBACK
    forged = await browser.client.post(action, data={**fields, "csrf": "x", "decision": "logout"})
    assert forged.status_code == 403
    stay = await browser.client.post(action, data={**fields, "decision": "stay"})
    assert stay.status_code == 200 and "still signed in" in stay.text
    assert await _logged_in(browser, app)
    done = await browser.client.post(action, data={**fields, "decision": "logout"})
    assert done.status_code == 303 and done.headers["location"] == f"{LOGOUT_CALLBACK}?state=z"
    assert not await _logged_in(browser, app)


async def test_logout_without_session_or_redirect_shows_logged_out(
    mh: Harness, browser: Browser
) -> None:
    resp = await browser.client.get("/oauth2/logout")
    assert resp.status_code == 200 and "You are signed out" in resp.text


async def test_back_channel_logout(mh: Harness, user: str, browser: Browser) -> None:
    with Receiver() as receiver:
        app = await make_app(
            mh, settings={"skip_consent": True, "backchannel_logout_uri": receiver.url}
        )
        quiet = await make_app(mh, settings={"skip_consent": True})
        tokens = await _tokens(browser, app)
        await _tokens(browser, quiet)
        _header, id_token = _claims(mh, tokens["id_token"])
        resp = await browser.client.get(
            f"/oauth2/logout?{urlencode({'id_token_hint': tokens['id_token']})}"
        )
        assert resp.status_code == 200 and "signed out" in resp.text
    assert len(receiver.received) == 1
    header, claims = _claims(mh, receiver.received[0]["logout_token"])
    assert header["typ"] == "logout+jwt"
    assert claims["iss"] == mh.settings.issuer and claims["aud"] == app.client_id
    assert claims["sub"] == id_token["sub"] and claims["sid"] == id_token["sid"]
    assert claims["events"] == {EVENT: {}} and "nonce" not in claims
    assert claims["jti"] and claims["exp"] > claims["iat"]


@pytest.mark.parametrize("mode", ["error", "slow", "garbage"])
async def test_back_channel_failures_do_not_block_logout(
    mh: Harness, user: str, browser: Browser, mode: str
) -> None:
    notifier = for_app(mh.app).terminator._notifier
    saved = notifier._timeout
    notifier._timeout = 0.5
    try:
        with Receiver(mode, delay=1.5) as receiver:
            app = await make_app(
                mh, settings={"skip_consent": True, "backchannel_logout_uri": receiver.url}
            )
            tokens = await _tokens(browser, app)
            started = time.monotonic()
            resp = await browser.client.get(
                f"/oauth2/logout?{urlencode({'id_token_hint': tokens['id_token']})}"
            )
            elapsed = time.monotonic() - started
    finally:
        notifier._timeout = saved
    assert resp.status_code == 200 and "signed out" in resp.text
    assert elapsed < 3
    # A 5xx or a network failure is retried once; any other answer is final.
    assert len(receiver.received) == {"error": 2, "slow": 2, "garbage": 1}[mode]
    assert not await _logged_in(browser, app)


async def test_login_as_another_user_ends_the_previous_session(
    mh: Harness, user: str, browser: Browser
) -> None:
    with Receiver() as receiver:
        app = await make_app(
            mh, settings={"skip_consent": True, "backchannel_logout_uri": receiver.url}
        )
        first = await _tokens(browser, app)
        second = await _tokens(browser, app, username="logout-other", prompt="login")
    _h, a = _claims(mh, first["id_token"])
    _h, b = _claims(mh, second["id_token"])
    assert a["sub"] != b["sub"] and a["sid"] != b["sid"]
    assert len(receiver.received) == 1
    _h, logout = _claims(mh, receiver.received[0]["logout_token"])
    assert logout["sid"] == a["sid"]
    assert (await _refresh(browser, app, first["refresh_token"])).status_code == 400
