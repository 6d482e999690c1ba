"""ID token signing algorithms (OIDC Core §3.1.3.7, OIDC Registration §2).

RS256 by default, even when access tokens use another algorithm; a client may register
``id_token_signed_response_alg``: one the deployment has an active key for. Its ID tokens and
back-channel logout tokens are signed with it; Authlib's client checks them.
"""

from __future__ import annotations

import secrets
import warnings
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from joserfc import jws, jwt
from joserfc.jwk import KeySet

from identra.crypto.keyring import Keyring
from tests.protocol.extras_helpers import new_org, set_org_settings
from tests.protocol.oidc.support import (
    App,
    Browser,
    Receiver,
    auth_params,
    forms,
    hidden,
    make_app,
    make_user,
    pkce_pair,
)
from tests.support import ADMIN, Harness, harness

with warnings.catch_warnings():
    # Authlib deprecates its httpx integration and authlib.jose in favour of newer packages.
    warnings.simplefilter("ignore")
    from authlib.integrations.httpx_client import AsyncOAuth2Client
    from authlib.jose import JsonWebKey
    from authlib.jose import jwt as authlib_jwt
    from authlib.oidc.core import CodeIDToken

# The token endpoint, discovery and registration reach every active key once the wiring of
# decision 0027 is in (web/oauth.py, web/oauth_extras.py, Keyring.active_algs); until then only
# RS256 and the deployment's own algorithm. The marker turns itself off once it is in.
WIRED = hasattr(Keyring, "active_algs")
needs_wiring = pytest.mark.xfail(
    not WIRED, strict=True, reason="needs the wiring described in decision 0027"
)


@pytest.fixture
async def es256(tmp_path: Path) -> AsyncIterator[Harness]:
    async with harness(tmp_path, signing_alg="ES256") as h:
        yield h


@pytest.fixture(params=["ES256", "PS256"])
async def deployment(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Harness]:
    """A deployment whose signing algorithm (so an active key) is ES256 or PS256."""
    async with harness(tmp_path, signing_alg=request.param) as h:
        yield h


@pytest.fixture
async def rs256(tmp_path: Path) -> AsyncIterator[Harness]:
    async with harness(tmp_path) as h:
        yield h


async def test_es256_deployment_still_signs_id_tokens_with_rs256(es256: Harness) -> None:
    meta = (await es256.client.get("/.well-known/openid-configuration")).json()
    assert "RS256" in meta["id_token_signing_alg_values_supported"]
    assert "ES256" in meta["id_token_signing_alg_values_supported"]
    await make_user(es256, username="alg-user")
    app = await make_app(es256, settings={"skip_consent": True})
    verifier, challenge = pkce_pair()
    browser = Browser(es256.client, es256.settings.issuer)
    back = await browser.code_flow(auth_params(app, challenge), username="alg-user")
    token = await es256.client.post(
        "/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": back["code"],
            "redirect_uri": app.redirect_uri,
            "code_verifier": verifier,
        },
        auth=(app.client_id, app.client_secret or ""),
    )
    assert token.status_code == 200, token.text
    body = token.json()
    assert jws.extract_compact(body["id_token"].encode()).protected["alg"] == "RS256"
    assert jws.extract_compact(body["access_token"].encode()).protected["alg"] == "ES256"
    jwks = (await es256.client.get("/oauth2/jwks")).json()["keys"]
    assert {"RS256", "ES256"} <= {k["alg"] for k in jwks}


# --------------------------------------------------------------------------- helpers


async def create_app(h: Harness, org: str = "root", **body: Any) -> httpx.Response:
    payload: dict[str, Any] = {
        "name": f"alg-{secrets.token_hex(4)}",
        "type": "web",
        "redirect_uris": ["http://127.0.0.1:9/cb"],
        "skip_consent": True,
        **body,
    }
    return await h.client.post(f"/api/v1/orgs/{org}/applications", json=payload, headers=ADMIN)


async def created(h: Harness, **body: Any) -> App:
    resp = await create_app(h, **body)
    assert resp.status_code == 201, resp.text
    data = resp.json()
    return App(data["id"], data["client_id"], data["client_secret"], data["redirect_uris"][0])


async def authlib_code_flow(h: Harness, app: App, username: str) -> tuple[dict[str, Any], Any]:
    """Authlib as the client: authorization code with PKCE and nonce; the ID token checked by
    its OIDC claim rules against the published JWKS. Returns the token and the ID token."""
    meta = (await h.client.get("/.well-known/openid-configuration")).json()
    jwks = (await h.client.get("/oauth2/jwks")).json()
    async with AsyncOAuth2Client(
        transport=httpx.ASGITransport(app=h.app),
        base_url=h.settings.issuer,
        client_id=app.client_id,
        client_secret=app.client_secret,
        scope="openid profile",
        redirect_uri=app.redirect_uri,
        code_challenge_method="S256",
    ) as client:
        verifier, nonce = secrets.token_urlsafe(48), secrets.token_urlsafe(12)
        url, _state = client.create_authorization_url(
            meta["authorization_endpoint"], code_verifier=verifier, nonce=nonce
        )
        transport = httpx.ASGITransport(app=h.app)
        async with httpx.AsyncClient(transport=transport, base_url=h.settings.issuer) as raw:
            browser = Browser(raw, h.settings.issuer)
            page = await browser.login(await browser.follow(await raw.get(url)), username)
        callback = page.headers["location"]
        token = await client.fetch_token(
            meta["token_endpoint"], authorization_response=callback, code_verifier=verifier
        )
    id_token = authlib_jwt.decode(
        token["id_token"],
        JsonWebKey.import_key_set(jwks),
        claims_cls=CodeIDToken,
        claims_options={"iss": {"essential": True, "values": [h.settings.issuer]}},
        claims_params={
            "nonce": nonce,
            "client_id": app.client_id,
            "access_token": token["access_token"],
        },
    )
    id_token.validate(leeway=5)
    return dict(token), id_token


def alg_of(token: str) -> str:
    return str(jws.extract_compact(token.encode()).protected["alg"])


# --------------------------------------------------------------------------- per client


async def test_a_client_gets_the_algorithm_it_registered(deployment: Harness) -> None:
    h = deployment
    alg = h.settings.signing_alg
    meta = (await h.client.get("/.well-known/openid-configuration")).json()
    assert {"RS256", alg} <= set(meta["id_token_signing_alg_values_supported"])
    user_id = await make_user(h, username="alg-client-user")
    app = await created(h, id_token_signed_response_alg=alg)
    token, id_token = await authlib_code_flow(h, app, "alg-client-user")
    assert alg_of(token["id_token"]) == alg
    assert id_token["sub"] == user_id and id_token["aud"] == app.client_id
    # The access token keeps the deployment's algorithm; a default client keeps RS256.
    assert alg_of(token["access_token"]) == alg
    default = await created(h)
    token, _ = await authlib_code_flow(h, default, "alg-client-user")
    assert alg_of(token["id_token"]) == "RS256"
    # Refreshed ID tokens too.
    other = await created(h, id_token_signed_response_alg=alg)
    token, _ = await authlib_code_flow(h, other, "alg-client-user")
    assert "refresh_token" in token
    refreshed = await h.client.post(
        "/oauth2/token",
        data={"grant_type": "refresh_token", "refresh_token": token["refresh_token"]},
        auth=(other.client_id, other.client_secret or ""),
    )
    assert refreshed.status_code == 200 and alg_of(refreshed.json()["id_token"]) == alg


async def test_back_channel_logout_token_uses_the_clients_algorithm(es256: Harness) -> None:
    await make_user(es256, username="alg-logout-user")
    with Receiver() as receiver:
        app = await created(
            es256, id_token_signed_response_alg="ES256", backchannel_logout_uri=receiver.url
        )
        default = await created(es256, backchannel_logout_uri=receiver.url)
        transport = httpx.ASGITransport(app=es256.app)
        async with httpx.AsyncClient(transport=transport, base_url=es256.settings.issuer) as raw:
            browser = Browser(raw, es256.settings.issuer)
            for client in (app, default):
                back = await browser.code_flow(
                    auth_params(client, pkce_pair()[1]), username="alg-logout-user"
                )
                assert "code" in back
            # No id_token_hint: the user confirms the logout.
            page = await raw.get(f"/oauth2/logout?{urlencode({'client_id': app.client_id})}")
            assert page.status_code == 200 and "Sign out?" in page.text
            done = await raw.post(
                forms(page.text)[0]["action"], data={**hidden(page.text), "decision": "logout"}
            )
            assert done.status_code == 200 and "signed out" in done.text
    keys = KeySet.import_key_set(es256.services.keyring.jwks)
    by_client = {}
    for received in receiver.received:
        token = received["logout_token"]
        by_client[jwt.decode(token, keys).claims["aud"]] = alg_of(token)
    assert by_client == {app.client_id: "ES256", default.client_id: "RS256"}


async def test_an_algorithm_without_an_active_key_is_refused(rs256: Harness) -> None:
    meta = (await rs256.client.get("/.well-known/openid-configuration")).json()
    assert meta["id_token_signing_alg_values_supported"] == ["RS256"]
    for alg in ("ES256", "PS256", "EdDSA"):
        resp = await create_app(rs256, id_token_signed_response_alg=alg)
        assert resp.status_code == 422, resp.text
        assert "id_token_signed_response_alg must be one of RS256" in resp.json()["detail"]
    for alg in ("none", "HS256", "RS512", 5):
        resp = await create_app(rs256, id_token_signed_response_alg=alg)
        assert resp.status_code == 422 and "id_token_signed_response_alg" in resp.text


@needs_wiring
async def test_a_key_rotated_in_later_serves_its_clients(rs256: Harness) -> None:
    """An algorithm the deployment did not start with: rotating it in creates its active key;
    discovery lists it and clients may use it."""
    rotated = await rs256.client.post(
        "/api/v1/orgs/root/keys/rotate", json={"alg": "EdDSA"}, headers=ADMIN
    )
    assert rotated.status_code == 200, rotated.text
    meta = (await rs256.client.get("/.well-known/openid-configuration")).json()
    assert meta["id_token_signing_alg_values_supported"] == ["EdDSA", "RS256"]
    await make_user(rs256, username="alg-rotated-user")
    app = await created(rs256, id_token_signed_response_alg="EdDSA")
    browser = Browser(rs256.client, rs256.settings.issuer)
    verifier, challenge = pkce_pair()
    back = await browser.code_flow(auth_params(app, challenge), username="alg-rotated-user")
    token = await rs256.client.post(
        "/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": back["code"],
            "redirect_uri": app.redirect_uri,
            "code_verifier": verifier,
        },
        auth=(app.client_id, app.client_secret or ""),
    )
    assert token.status_code == 200, token.text
    id_token = token.json()["id_token"]
    assert alg_of(id_token) == "EdDSA"
    keys = KeySet.import_key_set((await rs256.client.get("/oauth2/jwks")).json())
    assert jwt.decode(id_token, keys, algorithms=["EdDSA"]).claims["aud"] == app.client_id


@needs_wiring
async def test_dynamic_registration_of_an_algorithm(es256: Harness) -> None:
    handle = await new_org(es256, "alg-dcr")
    await set_org_settings(es256, handle, {"dynamic_client_registration": True})
    metadata = {"redirect_uris": ["https://rp.example/cb"], "scope": "openid"}
    ok = await es256.client.post(
        f"/o/{handle}/oauth2/register",
        json={**metadata, "id_token_signed_response_alg": "ES256"},
    )
    assert ok.status_code == 201, ok.text
    assert ok.json()["id_token_signed_response_alg"] == "ES256"
    refused = await es256.client.post(
        f"/o/{handle}/oauth2/register",
        json={**metadata, "id_token_signed_response_alg": "PS256"},
    )
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_client_metadata"
