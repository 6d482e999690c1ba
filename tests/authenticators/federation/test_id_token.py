"""ID token validation with real ID tokens from the upstream Identra, and the JWKS cache."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from dataclasses import replace
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import OctKey, RSAKey

from identra.authenticators.federated.upstream import Metadata, Tokens, Upstream, UpstreamError
from identra.authenticators.interface import Redirect
from tests.authenticators.federation.support import Upstream as Provider
from tests.authenticators.federation.support import unique, upstream_login
from tests.support import Harness, free_port

pytestmark = pytest.mark.asyncio(loop_scope="package")
REDIRECT = "{issuer}/login/return"


class Clock:
    def __init__(self) -> None:
        self.value = 1000.0

    def __call__(self) -> float:
        return self.value


async def real_token(
    h: Harness, up: Provider, client: Upstream, username: str | None = None
) -> tuple[Metadata, Tokens, str]:
    """A real code flow at the upstream (its login pages), then the code exchange."""
    config = {"issuer": up.base_url, "client_id": up.client_id}
    meta = await client.metadata(config)
    if username is None:
        username = unique("idt")
        await up.user(username, f"{username}@corp.example")
    nonce, verifier = secrets.token_urlsafe(16), secrets.token_urlsafe(48)
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )
    redirect_uri = REDIRECT.format(issuer=h.settings.issuer)
    url = client.authorization_url(
        meta,
        {
            "response_type": "code",
            "client_id": up.client_id,
            "redirect_uri": redirect_uri,
            "scope": "openid email",
            "state": "flow." + secrets.token_urlsafe(8),
            "nonce": nonce,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        },
    )
    back = await upstream_login(up, Redirect(url), username)
    tokens = await client.exchange(
        meta,
        client_id=up.client_id,
        client_secret=up.client_secret,
        auth_method="client_secret_basic",
        code=back["code"],
        verifier=verifier,
        redirect_uri=redirect_uri,
    )
    return meta, tokens, nonce


def segments(token: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    head, body, sig = token.split(".")
    pad = lambda s: s + "=" * (-len(s) % 4)  # noqa: E731
    return (
        json.loads(base64.urlsafe_b64decode(pad(head))),
        json.loads(base64.urlsafe_b64decode(pad(body))),
        sig,
    )


def b64json(value: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


async def refused(coro: Any) -> str:
    with pytest.raises(UpstreamError) as caught:
        await coro
    return caught.value.reason


async def test_real_id_token_checks(h: Harness, up: Provider) -> None:
    client = Upstream()
    meta, tokens, nonce = await real_token(h, up, client)
    now = int(time.time())
    claims = await client.verify_id_token(meta, up.client_id, tokens.id_token, nonce, now)
    assert claims["iss"] == up.base_url and claims["aud"] in (up.client_id, [up.client_id])
    token = tokens.id_token

    # The audience, the issuer, the nonce, the time.
    assert await refused(client.verify_id_token(meta, "another-app", token, nonce, now)) == (
        "bad_aud"
    )
    other_issuer = replace(meta, issuer=up.base_url + "/o/elsewhere")
    assert await refused(client.verify_id_token(other_issuer, up.client_id, token, nonce, now)) == (
        "bad_iss"
    )
    assert await refused(client.verify_id_token(meta, up.client_id, token, "n0", now)) == (
        "bad_nonce"
    )
    later = int(claims["exp"]) + 61
    assert await refused(client.verify_id_token(meta, up.client_id, token, nonce, later)) == (
        "expired"
    )
    # Within the 60 s of allowed skew it still passes; beyond, iat is in the future.
    early = int(claims["iat"]) - 59
    await client.verify_id_token(meta, up.client_id, token, nonce, early)
    assert await refused(
        client.verify_id_token(meta, up.client_id, token, nonce, int(claims["iat"]) - 61)
    ) == ("bad_iat")

    # Only algorithms the provider advertises.
    only_es = replace(meta, id_token_algs=("ES256",))
    assert await refused(client.verify_id_token(only_es, up.client_id, token, nonce, now)) == (
        "bad_alg"
    )


async def test_forged_id_tokens_are_refused(h: Harness, up: Provider) -> None:
    client = Upstream()
    meta, tokens, nonce = await real_token(h, up, client)
    now = int(time.time())
    header, payload, signature = segments(tokens.id_token)

    # alg none, even if a provider listed it.
    unsigned = f"{b64json({'alg': 'none'})}.{b64json(payload)}."
    lax = replace(meta, id_token_algs=(*meta.id_token_algs, "none", "HS256"))
    assert await refused(client.verify_id_token(lax, up.client_id, unsigned, nonce, now)) == (
        "bad_alg"
    )
    # HMAC keyed with the client secret: refused, whatever the provider advertises.
    hmac_token = jwt.encode(
        {"alg": "HS256"}, payload, OctKey.import_key(up.client_secret.encode()), ["HS256"]
    )
    assert await refused(client.verify_id_token(lax, up.client_id, hmac_token, nonce, now)) == (
        "bad_alg"
    )
    # A changed payload under the real signature.
    tampered = f"{b64json(header)}.{b64json({**payload, 'sub': 'someone-else'})}.{signature}"
    assert await refused(client.verify_id_token(meta, up.client_id, tampered, nonce, now)) == (
        "bad_signature"
    )
    # Signed by an attacker's key under the provider's kid, or under a kid of its own.
    attacker = RSAKey.generate_key(2048, private=True)
    for kid in (header["kid"], "attacker-kid"):
        forged = jwt.encode({"alg": header["alg"], "kid": kid}, payload, attacker, [header["alg"]])
        assert await refused(client.verify_id_token(meta, up.client_id, forged, nonce, now)) == (
            "bad_signature"
        )
    # Not a JWT at all.
    assert await refused(client.verify_id_token(meta, up.client_id, "garbage", nonce, now)) == (
        "bad_id_token"
    )
    # The keys cannot be fetched.
    dead = replace(meta, jwks_uri=f"http://127.0.0.1:{free_port()}/jwks")
    fresh = Upstream()
    assert await refused(
        fresh.verify_id_token(dead, up.client_id, tokens.id_token, nonce, now)
    ) == ("jwks")


async def test_azp_and_audience_lists() -> None:
    now = int(time.time())
    base = {"iss": "https://op", "sub": "s", "exp": now + 60, "iat": now, "nonce": "n"}
    check = Upstream.check_claims
    check({**base, "aud": ["me"]}, "https://op", "me", "n", now)
    check({**base, "aud": ["me", "api"], "azp": "me"}, "https://op", "me", "n", now)
    for claims in (
        {**base, "aud": ["me", "api"]},  # several audiences and no azp
        {**base, "aud": "me", "azp": "someone-else"},
        {**base, "aud": ["me", "api"], "azp": "api"},
    ):
        with pytest.raises(UpstreamError) as caught:
            check(claims, "https://op", "me", "n", now)
        assert caught.value.reason == "bad_azp"
    for claims, reason in (
        ({**base, "aud": "me", "exp": "soon"}, "expired"),
        ({**base, "aud": "me", "iat": None}, "bad_iat"),
        ({**base, "aud": "me", "nbf": now + 3600}, "bad_nbf"),
        ({**base, "aud": "me", "sub": ""}, "bad_sub"),
        ({**base, "aud": "me", "sub": "x" * 256}, "bad_sub"),
        ({**base, "aud": "me", "nonce": None}, "bad_nonce"),
    ):
        with pytest.raises(UpstreamError) as caught:
            check(claims, "https://op", "me", "n", now)
        assert caught.value.reason == reason


async def test_unknown_kid_refetches_the_jwks_at_most_every_30_seconds(
    h: Harness, up: Provider
) -> None:
    """Two rotations at the upstream make a key the downstream has not seen sign the next ID
    token: the cached JWKS is refetched, unless it was fetched less than 30 s ago."""
    clock = Clock()
    client = Upstream(monotonic=clock)
    username = unique("rotate")
    await up.user(username, f"{username}@corp.example")
    meta, tokens, nonce = await real_token(h, up, client, username)
    now = int(time.time())
    await client.verify_id_token(meta, up.client_id, tokens.id_token, nonce, now)
    kid_before = segments(tokens.id_token)[0]["kid"]
    alg = segments(tokens.id_token)[0]["alg"]
    for _ in range(2):
        rotated = await up.api("POST", "/api/v1/orgs/root/keys/rotate", json={"alg": alg})
        assert rotated.status_code == 200, rotated.text
    meta, tokens, nonce = await real_token(h, up, client, username)
    assert segments(tokens.id_token)[0]["kid"] != kid_before
    clock.value += 10  # too soon to refetch
    assert await refused(
        client.verify_id_token(meta, up.client_id, tokens.id_token, nonce, now)
    ) == ("bad_signature")
    clock.value += 30
    claims = await client.verify_id_token(meta, up.client_id, tokens.id_token, nonce, now)
    assert claims["iss"] == up.base_url
