"""UserInfo (OIDC Core §5.3, RFC 6750 errors) and provider metadata (Discovery 1.0, RFC 8414)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import update

from identra.storage.models import User
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
USER = "info-user"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def user(mh: Harness) -> str:
    return await make_user(
        mh,
        username=USER,
        claims={
            "address": {"locality": "Oxford", "country": "GB"},
            "birthdate": "1852-05-04",
            "internal_note": "never released",
        },
    )


async def _access_token(browser: Browser, app: App, scope: str) -> str:
    verifier, challenge = pkce_pair()
    back = await browser.code_flow(auth_params(app, challenge, scope=scope), username=USER)
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
    token: str = resp.json()["access_token"]
    return token


async def test_claims_follow_scope(mh: Harness, user: str, browser: Browser) -> None:
    app = await make_app(mh, settings={"skip_consent": True})
    token = await _access_token(browser, app, "openid profile")
    info = (await browser.client.get("/oauth2/userinfo", headers=bearer(token))).json()
    assert info["sub"] == user
    assert info["preferred_username"] == USER and info["name"] == "Alice Liddell"
    assert info["given_name"] == "Alice" and info["birthdate"] == "1852-05-04"
    assert isinstance(info["updated_at"], int) and info["locale"] == "en-GB"
    assert "email" not in info and "address" not in info and "internal_note" not in info
    token = await _access_token(browser, app, "openid email phone address")
    posted = await browser.client.post("/oauth2/userinfo", data={"access_token": token})
    assert posted.status_code == 200
    assert posted.json() == {
        "sub": user,
        "email": f"{USER}@example.com",
        "email_verified": True,
        "phone_number": "+15551234567",
        "phone_number_verified": False,
        "address": {"locality": "Oxford", "country": "GB"},
    }


def _challenge(resp: httpx.Response) -> str:
    return resp.headers.get("www-authenticate", "")


async def test_userinfo_errors(mh: Harness, user: str, browser: Browser) -> None:
    c = browser.client
    bare = await c.get("/oauth2/userinfo")
    assert bare.status_code == 401 and _challenge(bare) == 'Bearer realm="identra"'
    bad = await c.get("/oauth2/userinfo", headers=bearer("not.a.token"))
    assert bad.status_code == 401 and 'error="invalid_token"' in _challenge(bad)
    basic = await c.get("/oauth2/userinfo", headers={"authorization": "Basic eDp5"})
    assert basic.status_code == 401 and 'error="invalid_token"' in _challenge(basic)
    in_query = await c.get("/oauth2/userinfo?access_token=abc")
    assert in_query.status_code == 400 and in_query.json()["error"] == "invalid_request"
    app = await make_app(mh, settings={"skip_consent": True})
    token = await _access_token(browser, app, "openid")
    both = await c.post("/oauth2/userinfo", data={"access_token": token}, headers=bearer(token))
    assert both.status_code == 400 and both.json()["error"] == "invalid_request"
    m2m = await make_app(mh, type="m2m", scopes=["api:read"])
    cc = await c.post(
        "/oauth2/token",
        data={"grant_type": "client_credentials"},
        auth=(m2m.client_id, m2m.client_secret or ""),
    )
    no_openid = await c.get("/oauth2/userinfo", headers=bearer(cc.json()["access_token"]))
    assert no_openid.status_code == 403
    assert 'error="insufficient_scope"' in _challenge(no_openid)
    # A token of one organization is not accepted at another's endpoint.
    await mh.create_org("info-elsewhere")
    other = await c.get("/o/info-elsewhere/oauth2/userinfo", headers=bearer(token))
    assert other.status_code == 401


async def test_userinfo_for_a_disabled_user(mh: Harness, browser: Browser) -> None:
    user_id = await make_user(mh, username="info-disabled")
    app = await make_app(mh, settings={"skip_consent": True})
    verifier, challenge = pkce_pair()
    back = await browser.code_flow(auth_params(app, challenge), username="info-disabled")
    token = (
        await browser.client.post(
            "/oauth2/token",
            data={
                "grant_type": "authorization_code",
                "code": back["code"],
                "redirect_uri": app.redirect_uri,
                "code_verifier": verifier,
            },
            auth=(app.client_id, app.client_secret or ""),
        )
    ).json()["access_token"]
    async with mh.services.sessions.begin() as session:
        await session.execute(update(User).where(User.id == user_id).values(status="disabled"))
    resp = await browser.client.get("/oauth2/userinfo", headers=bearer(token))
    assert resp.status_code == 401


REQUIRED = {
    "issuer",
    "authorization_endpoint",
    "token_endpoint",
    "userinfo_endpoint",
    "jwks_uri",
    "end_session_endpoint",
    "response_types_supported",
    "subject_types_supported",
    "id_token_signing_alg_values_supported",
}


async def test_discovery_documents(mh: Harness) -> None:
    await mh.create_org("disco")
    issuer = mh.settings.issuer
    for path, expected_issuer in (
        ("/.well-known/openid-configuration", issuer),
        ("/.well-known/oauth-authorization-server", issuer),
        ("/o/disco/.well-known/openid-configuration", f"{issuer}/o/disco"),
        ("/.well-known/oauth-authorization-server/o/disco", f"{issuer}/o/disco"),
    ):
        resp = await mh.client.get(path)
        assert resp.status_code == 200, path
        doc: dict[str, Any] = resp.json()
        assert REQUIRED <= doc.keys()
        assert doc["issuer"] == expected_issuer
        assert doc["authorization_endpoint"] == f"{expected_issuer}/oauth2/authorize"
        assert doc["code_challenge_methods_supported"] == ["S256"]
        assert doc["response_types_supported"] == ["code"]
        assert doc["response_modes_supported"] == ["query", "fragment", "form_post"]
        assert {"authorization_code", "refresh_token", "client_credentials"} <= set(
            doc["grant_types_supported"]
        )
        assert "RS256" in doc["id_token_signing_alg_values_supported"]
        assert doc["authorization_response_iss_parameter_supported"] is True
        assert doc["backchannel_logout_supported"] is True
        assert doc["claims_parameter_supported"] is True
        assert {"openid", "profile", "email", "phone", "address", "offline_access"} <= set(
            doc["scopes_supported"]
        )
        assert {"sub", "email", "auth_time", "acr", "amr", "sid"} <= set(doc["claims_supported"])
        assert doc["prompt_values_supported"] == ["none", "login", "consent", "select_account"]
        assert doc["acr_values_supported"] == ["urn:identra:acr:password", "urn:identra:acr:mfa"]
    assert (await mh.client.get("/o/nope/.well-known/openid-configuration")).status_code == 404


async def test_cors_preflight(mh: Harness) -> None:
    resp = await mh.client.options("/oauth2/userinfo")
    assert resp.status_code == 204
    assert resp.headers["access-control-allow-origin"] == "*"
    assert "authorization" in resp.headers["access-control-allow-headers"]
