"""RFC 9449 DPoP: proofs at the token endpoint, bound tokens, and the resource-side check."""

from __future__ import annotations

import secrets
import time
import warnings
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from joserfc.errors import SecurityWarning
from joserfc.jwk import ECKey, OctKey, RSAKey

from identra.cache.memory import MemoryCache
from identra.protocols.oauth2 import dpop
from identra.protocols.oauth2.errors import InvalidDpopProof, InvalidToken
from tests.protocol.extras_helpers import (
    Creds,
    dpop_proof,
    introspect,
    m2m,
    new_org,
    unverified_claims,
    update_app,
)
from tests.protocol.oidc.support import Browser, auth_params, make_app, make_user, pkce_pair
from tests.support import Harness, harness

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def h(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Harness]:
    """One application for the module: every test makes its own clients and organizations."""
    async with harness(tmp_path_factory.mktemp("extras")) as value:
        yield value


def token_url(h: Harness, org: str = "root") -> str:
    return f"{h.settings.issuer}{'' if org == 'root' else '/o/' + org}/oauth2/token"


async def dpop_token(h: Harness, creds: Creds, proof: str, **data: str) -> Any:
    return await h.client.post(
        f"{creds.prefix}/oauth2/token",
        data={"grant_type": "client_credentials", **data},
        auth=creds.auth,
        headers={"dpop": proof},
    )


async def test_bound_jwt_access_token(h: Harness) -> None:
    creds = await m2m(h, scopes=["reports:read"])
    key = ECKey.generate_key("P-256", private=True)
    resp = await dpop_token(h, creds, dpop_proof(key, token_url(h)))
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["token_type"] == "DPoP"
    claims = unverified_claims(body["access_token"])
    assert claims["cnf"] == {"jkt": key.thumbprint()}
    info = (await introspect(h, creds, body["access_token"])).json()
    assert info["token_type"] == "DPoP" and info["cnf"] == {"jkt": key.thumbprint()}


async def test_bound_opaque_access_token_and_other_algorithms(h: Harness) -> None:
    creds = await m2m(h, access_token_format="opaque")
    key = RSAKey.generate_key(2048, private=True)
    resp = await dpop_token(h, creds, dpop_proof(key, token_url(h), alg="PS256"))
    assert resp.status_code == 200, resp.text
    assert resp.json()["token_type"] == "DPoP"
    info = (await introspect(h, creds, resp.json()["access_token"])).json()
    assert info["cnf"] == {"jkt": key.thumbprint()}


async def test_htu_ignores_query_and_normalises(h: Harness) -> None:
    acme = await new_org(h, "acme")
    creds = await m2m(h, acme)
    key = ECKey.generate_key("P-256", private=True)
    url = token_url(h, acme).replace("http://localhost", "HTTP://LocalHost") + "?x=1"
    resp = await dpop_token(h, creds, dpop_proof(key, url))
    assert resp.status_code == 200, resp.text


async def test_without_proof_tokens_are_bearer(h: Harness) -> None:
    creds = await m2m(h)
    resp = await h.client.post(
        "/oauth2/token", data={"grant_type": "client_credentials"}, auth=creds.auth
    )
    assert resp.json()["token_type"] == "Bearer"
    assert "cnf" not in unverified_claims(resp.json()["access_token"])


async def test_client_that_must_use_dpop(h: Harness) -> None:
    creds = await m2m(h)
    await update_app(h, creds, settings={"dpop_bound_access_tokens": True})
    resp = await h.client.post(
        "/oauth2/token", data={"grant_type": "client_credentials"}, auth=creds.auth
    )
    assert resp.status_code == 400 and resp.json()["error"] == "invalid_dpop_proof"
    key = ECKey.generate_key("P-256", private=True)
    assert (await dpop_token(h, creds, dpop_proof(key, token_url(h)))).status_code == 200


CASES = [
    "typ",
    "htm",
    "htu",
    "htu-path",
    "stale",
    "future",
    "iat-string",
    "no-jti",
    "private-jwk",
    "hmac",
    "signature",
    "no-jwk",
    "rsa-1024",
    "two-proofs",
    "garbage",
]


def _bad_proof(case: str, url: str) -> str:
    key = ECKey.generate_key("P-256", private=True)
    now = int(time.time())
    if case == "typ":
        return dpop_proof(key, url, header={"typ": "JWT"})
    if case == "htm":
        return dpop_proof(key, url, method="GET")
    if case == "htu":
        return dpop_proof(key, "https://elsewhere.example/oauth2/token")
    if case == "htu-path":
        return dpop_proof(key, url.replace("/token", "/introspect"))
    if case == "stale":
        return dpop_proof(key, url, iat=now - 600)
    if case == "future":
        return dpop_proof(key, url, iat=now + 600)
    if case == "iat-string":
        return dpop_proof(key, url, claims={"iat": "now"})
    if case == "no-jti":
        return dpop_proof(key, url, claims={"jti": None})
    if case == "private-jwk":
        return dpop_proof(key, url, header={"jwk": key.as_dict(private=True)})
    if case == "hmac":
        hmac_key = OctKey.import_key(b"s" * 32)
        return dpop_proof(hmac_key, url, alg="HS256", header={"jwk": {"kty": "oct"}})
    if case == "signature":
        other = ECKey.generate_key("P-256", private=True)
        return dpop_proof(key, url, header={"jwk": other.as_dict(private=False)})
    if case == "no-jwk":
        return dpop_proof(key, url, header={"jwk": None})
    if case == "rsa-1024":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SecurityWarning)
            short = RSAKey.generate_key(1024, private=True)
        return dpop_proof(short, url, alg="RS256")
    if case == "two-proofs":
        return dpop_proof(key, url) + ", " + dpop_proof(key, url)
    return "not-a-jwt"


@pytest.mark.parametrize("case", CASES)
async def test_invalid_proofs_are_refused(h: Harness, case: str) -> None:
    creds = await m2m(h)
    resp = await dpop_token(h, creds, _bad_proof(case, token_url(h)))
    assert resp.status_code == 400, (case, resp.text)
    assert resp.json()["error"] == "invalid_dpop_proof", case


async def test_proof_is_single_use(h: Harness) -> None:
    creds = await m2m(h)
    key = ECKey.generate_key("P-256", private=True)
    proof = dpop_proof(key, token_url(h))
    assert (await dpop_token(h, creds, proof)).status_code == 200
    again = await dpop_token(h, creds, proof)
    assert again.status_code == 400 and again.json()["error"] == "invalid_dpop_proof"


async def test_public_client_refresh_token_is_bound(h: Harness) -> None:
    username = f"u{secrets.token_hex(3)}"
    await make_user(h, username=username)
    native = await make_app(h, type="native")
    browser = Browser(h.client, h.settings.issuer)
    verifier, challenge = pkce_pair()
    params = auth_params(native, challenge, scope="openid offline_access")
    back = await browser.code_flow(params, username=username)
    key = ECKey.generate_key("P-256", private=True)
    url = token_url(h)
    resp = await h.client.post(
        "/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": back["code"],
            "redirect_uri": native.redirect_uri,
            "code_verifier": verifier,
            "client_id": native.client_id,
        },
        headers={"dpop": dpop_proof(key, url)},
    )
    assert resp.status_code == 200, resp.text
    tokens = resp.json()
    assert tokens["token_type"] == "DPoP"
    refresh = {
        "grant_type": "refresh_token",
        "refresh_token": tokens["refresh_token"],
        "client_id": native.client_id,
    }
    unbound = await h.client.post("/oauth2/token", data=refresh)
    assert unbound.status_code == 400, unbound.text
    thief = ECKey.generate_key("P-256", private=True)
    stolen = await h.client.post(
        "/oauth2/token", data=refresh, headers={"dpop": dpop_proof(thief, url)}
    )
    assert stolen.status_code == 400, stolen.text
    good = await h.client.post(
        "/oauth2/token", data=refresh, headers={"dpop": dpop_proof(key, url)}
    )
    assert good.status_code == 200, good.text
    assert good.json()["token_type"] == "DPoP"


# --------------------------------------------------------------------------- resource side


URL = "https://api.example/orders"


async def _check(
    *,
    scheme: str = "DPoP",
    token: str = "at-123",
    jkt: str | None,
    proof: str | None,
    cache: MemoryCache | None = None,
) -> None:
    await dpop.check_resource_access(
        scheme=scheme,
        access_token=token,
        token_jkt=jkt,
        proof=proof,
        method="GET",
        urls=[URL],
        now=int(time.time()),
        replay=cache or MemoryCache(),
    )


async def test_resource_accepts_a_matching_proof() -> None:
    key = ECKey.generate_key("P-256", private=True)
    proof = dpop_proof(key, URL, method="GET", access_token="at-123")
    await _check(jkt=key.thumbprint(), proof=proof)
    await _check(scheme="Bearer", jkt=None, proof=None)


async def test_resource_refusals() -> None:
    key = ECKey.generate_key("P-256", private=True)
    other = ECKey.generate_key("P-256", private=True)
    jkt = key.thumbprint()
    good = dpop_proof(key, URL, method="GET", access_token="at-123")
    with pytest.raises(InvalidToken):  # bound token sent as Bearer (§7.2)
        await _check(scheme="Bearer", jkt=jkt, proof=good)
    with pytest.raises(InvalidToken):  # unbound token sent with the DPoP scheme
        await _check(jkt=None, proof=good)
    with pytest.raises(InvalidDpopProof):  # no proof
        await _check(jkt=jkt, proof=None)
    with pytest.raises(InvalidDpopProof):  # ath of another token
        await _check(jkt=jkt, proof=dpop_proof(key, URL, method="GET", access_token="other"))
    with pytest.raises(InvalidDpopProof):  # no ath
        await _check(jkt=jkt, proof=dpop_proof(key, URL, method="GET"))
    with pytest.raises(InvalidDpopProof):  # another key
        await _check(jkt=jkt, proof=dpop_proof(other, URL, method="GET", access_token="at-123"))
    cache = MemoryCache()
    await _check(jkt=jkt, proof=good, cache=cache)
    with pytest.raises(InvalidDpopProof):  # replay
        await _check(jkt=jkt, proof=good, cache=cache)


async def test_resource_error_challenge() -> None:
    response = dpop.resource_error(InvalidDpopProof("bad"))
    assert response.status == 401
    assert response.headers["www-authenticate"].startswith('DPoP error="invalid_dpop_proof"')


async def test_url_normalisation() -> None:
    assert dpop.normalize_url("HTTPS://Example.COM:443/a?b#c") == "https://example.com/a"
    assert dpop.normalize_url("http://example.com:8080") == "http://example.com:8080/"
    assert dpop.normalize_url("ftp://example.com/") is None
    assert dpop.normalize_url("http://[::1]:80/x") == "http://[::1]/x"
