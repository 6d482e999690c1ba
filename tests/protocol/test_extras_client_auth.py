"""JWT client authentication (RFC 7523 §2.2, OIDC Core §9): private_key_jwt, client_secret_jwt.

Authlib's client signs the assertions for the main paths; hand-made assertions cover each
rule; a local HTTP server plays the client's ``jwks_uri`` (good keys, rotation, errors, slow
answers, garbage).
"""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
import uvicorn
from authlib.integrations.httpx_client import AsyncOAuth2Client
from authlib.oauth2.rfc7523 import ClientSecretJWT, PrivateKeyJWT
from joserfc import jwt
from joserfc.jwk import ECKey, OctKey, RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from identra.crypto import client_jwks
from identra.web.oauth_extras import token_extras
from tests.protocol.extras_helpers import Creds, m2m, new_org, update_app
from tests.support import Harness, free_port, harness

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def h(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Harness]:
    """One application for the module: every test makes its own clients and organizations."""
    async with harness(tmp_path_factory.mktemp("extras")) as value:
        yield value


ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def public_jwks(*keys: RSAKey | ECKey) -> dict[str, Any]:
    return {"keys": [k.as_dict(private=False) | {"use": "sig"} for k in keys]}


def new_rsa() -> RSAKey:
    key = RSAKey.generate_key(2048, private=True)
    key.ensure_kid()
    return key


def assertion(
    key: RSAKey | ECKey | OctKey,
    client_id: str,
    aud: str | list[str],
    *,
    alg: str = "RS256",
    header: dict[str, Any] | None = None,
    with_kid: bool = True,
    **claims: Any,
) -> str:
    now = int(time.time())
    payload: dict[str, Any] = {
        "iss": client_id,
        "sub": client_id,
        "aud": aud,
        "iat": now,
        "exp": now + 300,
        "jti": secrets.token_urlsafe(12),
    }
    payload.update(claims)
    payload = {k: v for k, v in payload.items() if v is not None}
    head: dict[str, Any] = {"alg": alg}
    if with_kid and isinstance(key, (RSAKey, ECKey)) and key.kid:
        head["kid"] = key.kid
    head.update(header or {})
    return jwt.encode(head, payload, key, algorithms=[alg])


async def pkjwt_client(h: Harness, key: RSAKey | None = None) -> tuple[Creds, RSAKey]:
    creds = await m2m(h, scopes=["reports:read"])
    key = key or new_rsa()
    await update_app(
        h,
        creds,
        token_endpoint_auth_method="private_key_jwt",
        client_secret_digest=None,
        jwks=public_jwks(key),
    )
    return creds, key


async def post_token(h: Harness, client_assertion: str, **extra: str) -> httpx.Response:
    data = {
        "grant_type": "client_credentials",
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": client_assertion,
        **extra,
    }
    return await h.client.post("/oauth2/token", data=data)


def token_url(h: Harness) -> str:
    return f"{h.settings.issuer}/oauth2/token"


def authlib_client(h: Harness, client_id: str, secret: Any, method: str) -> AsyncOAuth2Client:
    client = AsyncOAuth2Client(
        client_id,
        secret,
        token_endpoint_auth_method=method,
        revocation_endpoint_auth_method=method,
        transport=httpx.ASGITransport(app=h.app),
        base_url=h.settings.issuer,
    )
    auth = (
        PrivateKeyJWT(token_url(h))
        if method == "private_key_jwt"
        else ClientSecretJWT(token_url(h))
    )
    client.register_client_auth_method(auth)
    return client


# --------------------------------------------------------------------------- happy paths


async def test_private_key_jwt_with_authlib(h: Harness) -> None:
    creds, key = await pkjwt_client(h)
    async with authlib_client(h, creds.client_id, key, "private_key_jwt") as client:
        token = await client.fetch_token(token_url(h), grant_type="client_credentials")
        assert token["token_type"] == "Bearer" and token["scope"] == "reports:read"
        # The same authentication at introspection and revocation (RFC 7662 §2.1, RFC 7009).
        info = await client.introspect_token(
            f"{h.settings.issuer}/oauth2/introspect", token=token["access_token"]
        )
        assert info.status_code == 200 and info.json()["active"] is True
        revoked = await client.revoke_token(
            f"{h.settings.issuer}/oauth2/revoke", token=token["access_token"]
        )
        assert revoked.status_code == 200
        again = await client.introspect_token(
            f"{h.settings.issuer}/oauth2/introspect", token=token["access_token"]
        )
        assert again.json() == {"active": False}


async def test_client_secret_jwt_with_authlib(h: Harness) -> None:
    creds = await m2m(h)
    assert creds.secret is not None
    encrypted = h.services.box.encrypt(creds.secret, context=f"client-secret:{creds.id}")
    await update_app(
        h,
        creds,
        token_endpoint_auth_method="client_secret_jwt",
        settings={"client_secret_encrypted": encrypted},
    )
    async with authlib_client(h, creds.client_id, creds.secret, "client_secret_jwt") as client:
        token = await client.fetch_token(token_url(h), grant_type="client_credentials")
        assert token["access_token"]
    # A client_secret_jwt client may not fall back to sending the secret itself.
    basic = await h.client.post(
        "/oauth2/token", data={"grant_type": "client_credentials"}, auth=creds.auth
    )
    assert basic.status_code == 401 and basic.json()["error"] == "invalid_client"


@pytest.mark.parametrize("aud", ["issuer", "token", "endpoint", "list"])
async def test_audience_may_name_the_server_or_the_endpoint(h: Harness, aud: str) -> None:
    creds, key = await pkjwt_client(h)
    issuer = h.settings.issuer
    value: str | list[str] = {
        "issuer": issuer,
        "token": f"{issuer}/oauth2/token",
        "endpoint": f"{issuer}/oauth2/introspect",
        "list": ["https://elsewhere.example", issuer],
    }[aud]
    resp = await h.client.post(
        "/oauth2/introspect",
        data={
            "token": "x",
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": assertion(key, creds.client_id, value),
        },
    )
    assert resp.status_code == 200 and resp.json() == {"active": False}


async def test_organization_issuer_audience(h: Harness) -> None:
    acme = await new_org(h, "acme")
    creds = await m2m(h, acme)
    key = new_rsa()
    await update_app(h, creds, token_endpoint_auth_method="private_key_jwt", jwks=public_jwks(key))
    issuer = f"{h.settings.issuer}/o/{acme}"
    ok = await h.client.post(
        f"/o/{acme}/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": assertion(key, creds.client_id, f"{issuer}/oauth2/token"),
        },
    )
    assert ok.status_code == 200, ok.text
    # The root issuer's token endpoint is not this organization's.
    wrong = await h.client.post(
        f"/o/{acme}/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": assertion(key, creds.client_id, token_url(h)),
        },
    )
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"


# --------------------------------------------------------------------------- the rules


async def test_assertion_is_single_use(h: Harness) -> None:
    creds, key = await pkjwt_client(h)
    signed = assertion(key, creds.client_id, token_url(h))
    assert (await post_token(h, signed)).status_code == 200
    replay = await post_token(h, signed)
    assert replay.status_code == 401 and replay.json()["error"] == "invalid_client"


@pytest.mark.parametrize(
    "claims",
    [
        {"aud": "https://other.example/token"},
        {"exp": int(time.time()) - 120},
        {"exp": None},
        {"exp": int(time.time()) + 7 * 86400},
        {"jti": None},
        {"iss": "someone-else"},
        {"iat": int(time.time()) + 3600},
        {"nbf": int(time.time()) + 3600},
        {"exp": "tomorrow"},
    ],
    ids=["aud", "expired", "no-exp", "too-long", "no-jti", "iss", "iat-future", "nbf", "exp-str"],
)
async def test_claim_rules(h: Harness, claims: dict[str, Any]) -> None:
    creds, key = await pkjwt_client(h)
    aud = claims.pop("aud", token_url(h))
    resp = await post_token(h, assertion(key, creds.client_id, aud, **claims))
    assert resp.status_code == 401 and resp.json()["error"] == "invalid_client"
    assert resp.json()["error_description"] == "client authentication failed"


async def test_wrong_key_and_algorithms(h: Harness) -> None:
    creds, key = await pkjwt_client(h)
    other = new_rsa()
    bad_sig = assertion(other, creds.client_id, token_url(h), header={"kid": key.kid})
    assert (await post_token(h, bad_sig)).status_code == 401
    # HMAC over a guessable value is refused for a private_key_jwt client.
    hmac_key = OctKey.import_key(b"k" * 32)
    hs = assertion(hmac_key, creds.client_id, token_url(h), alg="HS256")
    assert (await post_token(h, hs)).status_code == 401

    # alg "none".
    def seg(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    body = {
        "iss": creds.client_id,
        "sub": creds.client_id,
        "aud": token_url(h),
        "exp": int(time.time()) + 60,
        "jti": "x",
    }
    unsigned = f"{seg({'alg': 'none', 'typ': 'JWT'})}.{seg(body)}."
    assert (await post_token(h, unsigned)).status_code == 401
    # Without a kid every registered key is tried.
    nokid = assertion(key, creds.client_id, token_url(h), with_kid=False)
    assert (await post_token(h, nokid)).status_code == 200


async def test_method_must_be_the_registered_one(h: Harness) -> None:
    secret_client = await m2m(h)
    key = new_rsa()
    # A client_secret_basic client presenting an assertion.
    resp = await post_token(h, assertion(key, secret_client.client_id, token_url(h)))
    assert resp.status_code == 401 and resp.json()["error"] == "invalid_client"
    creds, key = await pkjwt_client(h)
    # A private_key_jwt client presenting a secret.
    basic = await h.client.post(
        "/oauth2/token", data={"grant_type": "client_credentials"}, auth=(creds.client_id, "x")
    )
    assert basic.status_code == 401 and basic.json()["error"] == "invalid_client"


async def test_request_shape(h: Harness) -> None:
    creds, key = await pkjwt_client(h)
    signed = assertion(key, creds.client_id, token_url(h))
    wrong_type = await post_token(h, signed, client_assertion_type="urn:example:saml")
    assert wrong_type.status_code == 401 and wrong_type.json()["error"] == "invalid_client"
    missing = await h.client.post(
        "/oauth2/token",
        data={"grant_type": "client_credentials", "client_assertion_type": ASSERTION_TYPE},
    )
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_request"
    two_methods = await h.client.post(
        "/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": signed,
        },
        auth=(creds.client_id, "secret"),
    )
    assert two_methods.status_code == 400 and two_methods.json()["error"] == "invalid_request"
    other_id = await post_token(
        h, assertion(key, creds.client_id, token_url(h)), client_id="someone-else"
    )
    assert other_id.status_code == 401 and other_id.json()["error"] == "invalid_client"
    garbage = await post_token(h, "not-a-jwt")
    assert garbage.status_code == 401 and garbage.json()["error"] == "invalid_client"


async def test_client_of_another_organization(h: Harness) -> None:
    acme = await new_org(h, "acme")
    creds = await m2m(h, acme)
    key = new_rsa()
    await update_app(h, creds, token_endpoint_auth_method="private_key_jwt", jwks=public_jwks(key))
    resp = await post_token(h, assertion(key, creds.client_id, token_url(h)))
    assert resp.status_code == 401 and resp.json()["error"] == "invalid_client"


# --------------------------------------------------------------------------- jwks_uri


class JwksServer:
    """The client's jwks_uri on loopback: answers as ``mode`` says."""

    def __init__(self) -> None:
        self.jwks: dict[str, Any] = {"keys": []}
        self.mode = "ok"
        self.hits = 0
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/jwks"

        async def serve(request: Request) -> Response:
            self.hits += 1
            if self.mode == "error":
                return PlainTextResponse("boom", status_code=500)
            if self.mode == "garbage":
                return PlainTextResponse("<html>not json</html>")
            if self.mode == "huge":
                return PlainTextResponse("x" * (client_jwks.MAX_BYTES + 10))
            if self.mode == "redirect":
                return Response(status_code=302, headers={"location": "http://127.0.0.1:9/"})
            if self.mode == "slow":
                await asyncio.sleep(2)
            return JSONResponse(self.jwks)

        config = uvicorn.Config(
            Starlette(routes=[Route("/jwks", serve)]),
            host="127.0.0.1",
            port=self.port,
            log_config=None,
            lifespan="off",
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> JwksServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert time.monotonic() < deadline, "jwks server did not start"
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def jwks_server() -> Iterator[JwksServer]:
    with JwksServer() as server:
        yield server


@pytest_asyncio.fixture(loop_scope="module")
async def remote_client(
    h: Harness, jwks_server: JwksServer
) -> AsyncIterator[tuple[Harness, JwksServer, Creds, RSAKey]]:
    key = new_rsa()
    jwks_server.jwks = public_jwks(key)
    creds = await m2m(h)
    await update_app(
        h, creds, token_endpoint_auth_method="private_key_jwt", jwks_uri=jwks_server.url
    )
    yield h, jwks_server, creds, key


async def test_jwks_uri_keys_are_fetched_and_cached(
    remote_client: tuple[Harness, JwksServer, Creds, RSAKey],
) -> None:
    h, server, creds, key = remote_client
    for _ in range(3):
        resp = await post_token(h, assertion(key, creds.client_id, token_url(h)))
        assert resp.status_code == 200, resp.text
    assert server.hits == 1


async def test_rotated_client_key_is_refetched(
    remote_client: tuple[Harness, JwksServer, Creds, RSAKey],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    h, server, creds, key = remote_client
    assert (await post_token(h, assertion(key, creds.client_id, token_url(h)))).status_code == 200
    rotated = new_rsa()
    server.jwks = public_jwks(rotated)
    monkeypatch.setattr(client_jwks, "MIN_REFRESH", 0.0)
    resp = await post_token(h, assertion(rotated, creds.client_id, token_url(h)))
    assert resp.status_code == 200, resp.text
    assert server.hits == 2
    # The old key is gone from the client's set.
    old = await post_token(h, assertion(key, creds.client_id, token_url(h)))
    assert old.status_code == 401


async def test_unknown_kid_refetch_is_rate_limited(
    remote_client: tuple[Harness, JwksServer, Creds, RSAKey],
) -> None:
    h, server, creds, key = remote_client
    assert (await post_token(h, assertion(key, creds.client_id, token_url(h)))).status_code == 200
    stranger = new_rsa()
    for _ in range(3):
        resp = await post_token(h, assertion(stranger, creds.client_id, token_url(h)))
        assert resp.status_code == 401
    assert server.hits == 1


@pytest.mark.parametrize("mode", ["error", "garbage", "huge", "redirect", "slow"])
async def test_jwks_uri_failures_fail_closed(
    remote_client: tuple[Harness, JwksServer, Creds, RSAKey],
    monkeypatch: pytest.MonkeyPatch,
    mode: str,
) -> None:
    h, server, creds, key = remote_client
    server.mode = mode
    monkeypatch.setattr(client_jwks, "TIMEOUT", httpx.Timeout(0.3))
    resp = await post_token(h, assertion(key, creds.client_id, token_url(h)))
    assert resp.status_code == 401 and resp.json()["error"] == "invalid_client"
    if mode == "slow":
        assert server.hits == 2  # one bounded retry after a transport error


async def test_last_good_keys_are_used_when_the_uri_fails(
    remote_client: tuple[Harness, JwksServer, Creds, RSAKey],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    h, server, creds, key = remote_client
    assert (await post_token(h, assertion(key, creds.client_id, token_url(h)))).status_code == 200
    server.mode = "error"
    monkeypatch.setattr(client_jwks, "TTL", 0.0)
    resp = await post_token(h, assertion(key, creds.client_id, token_url(h)))
    assert resp.status_code == 200, resp.text
    assert server.hits == 2


async def test_unreachable_and_insecure_uris(h: Harness) -> None:
    creds = await m2m(h)
    key = new_rsa()
    await update_app(
        h,
        creds,
        token_endpoint_auth_method="private_key_jwt",
        jwks_uri=f"http://127.0.0.1:{free_port()}/jwks",
    )
    refused = await post_token(h, assertion(key, creds.client_id, token_url(h)))
    assert refused.status_code == 401
    await update_app(h, creds, jwks_uri="http://keys.example/jwks")
    insecure = await post_token(h, assertion(key, creds.client_id, token_url(h)))
    assert insecure.status_code == 401


async def test_the_verifier_uses_the_shared_key_cache(h: Harness) -> None:
    keys = token_extras(h.services).assertions.keys
    assert isinstance(keys, client_jwks.ClientKeys)
    assert token_extras(h.services) is token_extras(h.services)
