"""The token endpoint for user grants: authorization code (RFC 6749 §4.1.3, RFC 7636) and
refresh token (§6) with rotation and reuse detection; the ID token (OIDC Core §2, §3.1.3.6)."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

import httpx
import pytest
import pytest_asyncio
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.protocol.oidc.support import (
    App,
    Browser,
    auth_params,
    bearer,
    make_app,
    make_user,
    pkce_pair,
)
from tests.support import Harness

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def user(mh: Harness) -> str:
    return await make_user(mh, username="tokens-user")


@pytest_asyncio.fixture(loop_scope="module")
async def app(mh: Harness) -> App:
    return await make_app(mh, settings={"skip_consent": True})


async def _code(browser: Browser, app: App, **extra: str) -> tuple[str, str, dict[str, str]]:
    verifier, challenge = pkce_pair()
    params = auth_params(app, challenge, **extra)
    back = await browser.code_flow(params, username="tokens-user")
    assert "code" in back, back
    return back["code"], verifier, params


async def _exchange(
    client: httpx.AsyncClient, app: App, code: str, verifier: str | None, **extra: str
) -> httpx.Response:
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": app.redirect_uri}
    if verifier is not None:
        data["code_verifier"] = verifier
    data.update(extra)
    auth = (app.client_id, app.client_secret) if app.client_secret else None
    if auth is None:
        data["client_id"] = app.client_id
    return await client.post("/oauth2/token", data=data, auth=auth or httpx.USE_CLIENT_DEFAULT)


def _claims(mh: Harness, token: str) -> dict[str, Any]:
    keys = KeySet.import_key_set(mh.services.keyring.jwks)
    decoded = jwt.decode(token, keys)
    return dict(decoded.claims)


def _half_hash(value: str) -> str:
    digest = hashlib.sha256(value.encode()).digest()
    return base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()


def _error(resp: httpx.Response, error: str, status: int = 400) -> None:
    assert resp.status_code == status, resp.text
    assert resp.json()["error"] == error
    assert resp.headers["cache-control"] == "no-store"


async def test_id_token_and_access_token_claims(
    mh: Harness, user: str, app: App, browser: Browser
) -> None:
    code, verifier, params = await _code(browser, app)
    resp = await _exchange(browser.client, app, code, verifier)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["token_type"] == "Bearer" and body["scope"] == "openid profile email"
    id_token = _claims(mh, body["id_token"])
    assert id_token["iss"] == mh.settings.issuer
    assert id_token["sub"] == user
    assert id_token["aud"] == app.client_id and id_token["azp"] == app.client_id
    assert id_token["nonce"] == params["nonce"]
    assert id_token["at_hash"] == _half_hash(body["access_token"])
    assert id_token["amr"] == ["pwd"] and id_token["acr"] == "urn:identra:acr:password"
    assert isinstance(id_token["auth_time"], int) and id_token["sid"]
    assert id_token["exp"] - id_token["iat"] == mh.settings.tokens.id_token_ttl
    # OIDC Core §5.4: with a code flow, scope claims come from UserInfo, not the ID token.
    assert "email" not in id_token
    access = _claims(mh, body["access_token"])
    assert access["sub"] == user and access["client_id"] == app.client_id
    assert access["scope"] == "openid profile email" and access["grant_id"]
    assert access["auth_time"] == id_token["auth_time"]


async def test_claims_parameter_reaches_id_token_and_userinfo(
    mh: Harness, user: str, app: App, browser: Browser
) -> None:
    claims = {"id_token": {"email": {"essential": True}}, "userinfo": {"phone_number": None}}
    code, verifier, _ = await _code(browser, app, scope="openid", claims=json.dumps(claims))
    body = (await _exchange(browser.client, app, code, verifier)).json()
    assert _claims(mh, body["id_token"])["email"] == "tokens-user@example.com"
    info = await browser.client.get("/oauth2/userinfo", headers=bearer(body["access_token"]))
    assert info.json() == {"sub": user, "phone_number": "+15551234567"}


async def test_wrong_or_missing_pkce_verifier(user: str, app: App, browser: Browser) -> None:
    code, verifier, _ = await _code(browser, app)
    _error(await _exchange(browser.client, app, code, pkce_pair()[0]), "invalid_grant")
    # The code was consumed by the failed attempt: the right verifier cannot use it either.
    _error(await _exchange(browser.client, app, code, verifier), "invalid_grant")
    code, _verifier, _ = await _code(browser, app)
    _error(await _exchange(browser.client, app, code, None), "invalid_grant")


async def test_verifier_without_challenge_is_refused(
    user: str, browser: Browser, mh: Harness
) -> None:
    relaxed = await make_app(mh, pkce_required=False, settings={"skip_consent": True})
    back = await browser.code_flow(auth_params(relaxed, None), username="tokens-user")
    _error(await _exchange(browser.client, relaxed, back["code"], pkce_pair()[0]), "invalid_grant")


async def test_reused_code_fails_and_revokes_what_it_issued(
    user: str, app: App, browser: Browser
) -> None:
    code, verifier, _ = await _code(browser, app)
    first = await _exchange(browser.client, app, code, verifier)
    assert first.status_code == 200
    tokens = first.json()
    ok = await browser.client.get("/oauth2/userinfo", headers=bearer(tokens["access_token"]))
    assert ok.status_code == 200
    _error(await _exchange(browser.client, app, code, verifier), "invalid_grant")
    revoked = await browser.client.get("/oauth2/userinfo", headers=bearer(tokens["access_token"]))
    assert revoked.status_code == 401 and revoked.json()["error"] == "invalid_token"
    refresh = await browser.client.post(
        "/oauth2/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=(app.client_id, app.client_secret or ""),
    )
    _error(refresh, "invalid_grant")


async def test_redirect_uri_must_match(mh: Harness, user: str, browser: Browser) -> None:
    two = await make_app(
        mh,
        redirect_uris=["http://127.0.0.1:9/cb", "http://127.0.0.1:9/other"],
        settings={"skip_consent": True},
    )
    code, verifier, _ = await _code(browser, two)
    resp = await _exchange(
        browser.client, two, code, verifier, redirect_uri="http://127.0.0.1:9/other"
    )
    _error(resp, "invalid_grant")


async def test_code_of_another_client(mh: Harness, user: str, app: App, browser: Browser) -> None:
    other = await make_app(mh)
    code, verifier, _ = await _code(browser, app)
    _error(await _exchange(browser.client, other, code, verifier), "invalid_grant")


async def test_wrong_client_secret(user: str, app: App, browser: Browser) -> None:
    code, verifier, _ = await _code(browser, app)
    resp = await browser.client.post(
        "/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": app.redirect_uri,
            "code_verifier": verifier,
        },
        auth=(app.client_id, "not-the-secret"),
    )
    _error(resp, "invalid_client", 401)
    assert resp.headers["www-authenticate"].startswith("Basic")


async def test_public_client(mh: Harness, user: str, browser: Browser) -> None:
    spa = await make_app(mh, type="spa", settings={"skip_consent": True})
    assert spa.client_secret is None
    code, verifier, _ = await _code(browser, spa)
    resp = await _exchange(browser.client, spa, code, verifier)
    assert resp.status_code == 200, resp.text
    assert resp.headers["access-control-allow-origin"] == "*"
    assert "refresh_token" in resp.json()


async def test_refresh_rotation_and_reuse_detection(
    mh: Harness, user: str, app: App, browser: Browser
) -> None:
    code, verifier, _ = await _code(browser, app)
    first = (await _exchange(browser.client, app, code, verifier)).json()
    auth = (app.client_id, app.client_secret or "")

    async def refresh(token: str, **extra: str) -> httpx.Response:
        data = {"grant_type": "refresh_token", "refresh_token": token, **extra}
        return await browser.client.post("/oauth2/token", data=data, auth=auth)

    second = await refresh(first["refresh_token"], scope="openid email")
    assert second.status_code == 200, second.text
    rotated = second.json()
    assert rotated["refresh_token"] != first["refresh_token"]
    assert rotated["scope"] == "openid email"  # narrowed for this access token only
    refreshed_id = _claims(mh, rotated["id_token"])
    assert "nonce" not in refreshed_id and refreshed_id["sub"] == user
    _error(await refresh(rotated["refresh_token"], scope="openid phone"), "invalid_scope")
    third = await refresh(rotated["refresh_token"])
    assert third.status_code == 200 and third.json()["scope"] == "openid profile email"
    # The first token was already used: presenting it again revokes the whole family.
    _error(await refresh(first["refresh_token"]), "invalid_grant")
    _error(await refresh(third.json()["refresh_token"]), "invalid_grant")
    gone = await browser.client.get(
        "/oauth2/userinfo", headers=bearer(third.json()["access_token"])
    )
    assert gone.status_code == 401


async def test_refresh_token_of_another_client(
    mh: Harness, user: str, app: App, browser: Browser
) -> None:
    other = await make_app(mh)
    code, verifier, _ = await _code(browser, app)
    tokens = (await _exchange(browser.client, app, code, verifier)).json()
    resp = await browser.client.post(
        "/oauth2/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=(other.client_id, other.client_secret or ""),
    )
    _error(resp, "invalid_grant")
    # ... and it was not consumed: its own client can still use it.
    resp = await browser.client.post(
        "/oauth2/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=(app.client_id, app.client_secret or ""),
    )
    assert resp.status_code == 200


async def test_missing_parameters(app: App, browser: Browser) -> None:
    auth = (app.client_id, app.client_secret or "")
    for data in (
        {"grant_type": "authorization_code"},
        {"grant_type": "refresh_token"},
    ):
        _error(await browser.client.post("/oauth2/token", data=data, auth=auth), "invalid_request")
    _error(
        await browser.client.post(
            "/oauth2/token",
            data={"grant_type": "authorization_code", "code": "nope", "redirect_uri": "x"},
            auth=auth,
        ),
        "invalid_grant",
    )
