"""Authlib's OAuth 2 client (``AsyncOAuth2Client``) as an independent second client:
authorization code with PKCE and nonce (ID token checked by Authlib's OIDC claim rules),
refresh with rotation, and client credentials."""

from __future__ import annotations

import secrets
import warnings
from typing import Any

import httpx
import pytest

from tests.protocol.oidc.support import Browser, make_app, make_user
from tests.support import Harness

with warnings.catch_warnings():
    # Authlib deprecates its httpx integration and authlib.jose in favour of newer packages.
    warnings.simplefilter("ignore", DeprecationWarning)
    from authlib.integrations.httpx_client import AsyncOAuth2Client, OAuthError
    from authlib.jose import JsonWebKey, jwt
    from authlib.oidc.core import CodeIDToken

pytestmark = pytest.mark.asyncio(loop_scope="module")


def _client(mh: Harness, **kwargs: Any) -> AsyncOAuth2Client:
    return AsyncOAuth2Client(
        transport=httpx.ASGITransport(app=mh.app), base_url=mh.settings.issuer, **kwargs
    )


async def test_authlib_code_flow_refresh_and_client_credentials(
    mh: Harness, browser: Browser
) -> None:
    user_id = await make_user(mh, username="authlib-user")
    app = await make_app(mh)
    issuer = mh.settings.issuer
    meta = (await mh.client.get("/.well-known/openid-configuration")).json()
    jwks = (await mh.client.get("/oauth2/jwks")).json()

    async with _client(
        mh,
        client_id=app.client_id,
        client_secret=app.client_secret,
        scope="openid profile email offline_access",
        redirect_uri=app.redirect_uri,
        code_challenge_method="S256",
    ) as client:
        verifier = secrets.token_urlsafe(48)
        nonce = secrets.token_urlsafe(12)
        url, state = client.create_authorization_url(
            meta["authorization_endpoint"], code_verifier=verifier, nonce=nonce
        )
        # The user's part, in a cookie-keeping browser.
        page = await browser.follow(await browser.client.get(url))
        page = await browser.login(page, "authlib-user")
        page = await browser.consent(page)
        callback = page.headers["location"]
        assert callback.startswith(app.redirect_uri)

        token = await client.fetch_token(
            meta["token_endpoint"], authorization_response=callback, code_verifier=verifier
        )
        claims = jwt.decode(
            token["id_token"],
            JsonWebKey.import_key_set(jwks),
            claims_cls=CodeIDToken,
            claims_options={"iss": {"essential": True, "values": [issuer]}},
            claims_params={
                "nonce": nonce,
                "client_id": app.client_id,
                "access_token": token["access_token"],
            },
        )
        claims.validate(leeway=5)
        assert claims["sub"] == user_id and claims["aud"] == app.client_id
        assert client.token["refresh_token"] == token["refresh_token"]

        userinfo = await client.get(meta["userinfo_endpoint"])
        assert userinfo.status_code == 200
        assert userinfo.json()["email"] == "authlib-user@example.com"

        old_refresh = token["refresh_token"]
        refreshed = await client.refresh_token(meta["token_endpoint"])
        assert refreshed["refresh_token"] != old_refresh
        assert (await client.get(meta["userinfo_endpoint"])).status_code == 200
        with pytest.raises(OAuthError) as denied:
            await client.refresh_token(meta["token_endpoint"], refresh_token=old_refresh)
        assert denied.value.error == "invalid_grant"

        # A wrong state is caught by the client library itself.
        with pytest.raises(Exception, match=r"(?i)state|csrf"):
            await client.fetch_token(
                meta["token_endpoint"],
                authorization_response=callback.replace(state, "forged"),
                code_verifier=verifier,
                state=state,
            )

    m2m = await make_app(mh, type="m2m", scopes=["api:read", "api:write"])
    async with _client(
        mh, client_id=m2m.client_id, client_secret=m2m.client_secret, scope="api:read"
    ) as machine:
        cc = await machine.fetch_token(meta["token_endpoint"], grant_type="client_credentials")
        assert cc["token_type"] == "Bearer" and cc["scope"] == "api:read"
        assert "refresh_token" not in cc
    async with _client(
        mh, client_id=m2m.client_id, client_secret="wrong-secret", scope="api:read"
    ) as wrong:
        with pytest.raises(OAuthError) as refused:
            await wrong.fetch_token(meta["token_endpoint"], grant_type="client_credentials")
        assert refused.value.error == "invalid_client"
