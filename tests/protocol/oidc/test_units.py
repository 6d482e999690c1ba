"""Framework-free pieces of the interactive OIDC code, without HTTP."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import OctKey, RSAKey

from identra.cache.memory import MemoryCache
from identra.crypto.jwk import LoadedKey, public_jwk
from identra.flows.interface import LoginRequest, LoginResult
from identra.protocols.interaction import Interaction, InteractionStore
from identra.protocols.oauth2 import pkce
from identra.protocols.oauth2.errors import InvalidGrant, InvalidRequest
from identra.protocols.oidc.claims import essential_acr, parse_claims_parameter, release
from identra.protocols.oidc.codes import CodeRecord, CodeStore, UsedCode
from identra.protocols.oidc.id_token import IssuedTokenVerifier, TokenInvalid, left_hash

ISSUER = "https://id.example"


class Keys:
    def __init__(self) -> None:
        self.key = RSAKey.generate_key(2048, private=True)
        self.jwk = public_jwk(self.key, "k1", "RS256")

    def verification_key(self, kid: str) -> Any:
        return RSAKey.import_key(self.jwk) if kid == "k1" else None

    def public_key(self, kid: str) -> dict[str, Any] | None:
        return self.jwk if kid == "k1" else None


@pytest.fixture(scope="module")
def keys() -> Keys:
    return Keys()


def _token(keys: Keys, alg: str = "RS256", **claims: Any) -> str:
    body = {"iss": ISSUER, "sub": "u", "aud": "c", "iat": 1000, "exp": 2000, **claims}
    return LoadedKey("k1", alg, keys.key, keys.jwk).sign(body)


def test_verifier_accepts_own_tokens_and_rejects_substitution(keys: Keys) -> None:
    verifier = IssuedTokenVerifier(keys)
    assert verifier.verify(_token(keys), issuer=ISSUER, now=1500, typ=("JWT",))["sub"] == "u"
    with pytest.raises(TokenInvalid):  # expired
        verifier.verify(_token(keys), issuer=ISSUER, now=2500, typ=("JWT",))
    assert verifier.verify(_token(keys), issuer=ISSUER, now=2500, typ=("JWT",), check_expiry=False)
    with pytest.raises(TokenInvalid):  # the right key, another algorithm than the published one
        verifier.verify(_token(keys, "PS256"), issuer=ISSUER, now=1500, typ=("JWT",))
    with pytest.raises(TokenInvalid):  # another issuer
        verifier.verify(_token(keys, iss="https://evil"), issuer=ISSUER, now=1500, typ=("JWT",))
    with pytest.raises(TokenInvalid):  # wrong type
        verifier.verify(_token(keys), issuer=ISSUER, now=1500, typ=("logout+jwt",))
    # HS256 keyed with the public key, and alg none, are refused.
    secret = OctKey.import_key(json.dumps(keys.jwk).encode())
    forged = jwt.encode({"alg": "HS256", "kid": "k1"}, {"iss": ISSUER, "exp": 2000}, secret)
    with pytest.raises(TokenInvalid):
        verifier.verify(forged, issuer=ISSUER, now=1500, typ=("JWT",))
    header = base64.urlsafe_b64encode(b'{"alg":"none","kid":"k1"}').rstrip(b"=").decode()
    body = base64.urlsafe_b64encode(b'{"iss":"https://id.example","exp":2000}').rstrip(b"=")
    with pytest.raises(TokenInvalid):
        verifier.verify(f"{header}.{body.decode()}.", issuer=ISSUER, now=1500, typ=("JWT",))


def test_left_hash() -> None:
    # OIDC Core §3.1.3.6: base64url of the left half of the hash of the ASCII octets.
    token = "jHkWEdUXMU1BwAsC4vtUsZwnWYLG4ZzjgI1qxt_-bMXRX4JvhJ7pFzY_oq44OjUdI1cN01UnqAaIHaPTuhfxE"
    digest = hashlib.sha256(token.encode()).digest()[:16]
    assert left_hash(token, "RS256") == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    assert len(left_hash(token, "EdDSA")) == 43  # half of SHA-512


def test_pkce() -> None:
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"  # RFC 7636 Appendix B
    challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    assert pkce.s256(verifier) == challenge
    assert pkce.check_challenge(challenge, "S256", required=True) == challenge
    assert pkce.check_challenge(None, None, required=False) is None
    for bad in ((None, None, True), (challenge, "plain", True), (challenge, None, True)):
        with pytest.raises(InvalidRequest):
            pkce.check_challenge(*bad)
    pkce.verify(challenge, verifier)
    pkce.verify(None, None)
    for got_challenge, got_verifier in ((challenge, None), (challenge, "x" * 43), (None, verifier)):
        with pytest.raises(InvalidGrant):
            pkce.verify(got_challenge, got_verifier)


def test_claims_parameter() -> None:
    parsed = parse_claims_parameter(
        json.dumps(
            {
                "userinfo": {"email": None, "unknown_claim": {"essential": True}},
                "id_token": {"acr": {"essential": True, "values": ["a", "b"]}},
            }
        )
    )
    assert essential_acr(parsed) == ("a", "b")
    released = release(
        {"email": "e", "name": "n"}, ["openid"], parsed["userinfo"], include_scope_claims=True
    )
    assert released == {"email": "e"}
    for bad in ("[]", '{"userinfo": []}', '{"id_token": {"acr": 1}}', "{"):
        with pytest.raises(InvalidRequest):
            parse_claims_parameter(bad)


def _record(expires_at: int = 2000) -> CodeRecord:
    return CodeRecord(
        org_id="o",
        client_id="c",
        application_id="a",
        redirect_uri="https://rp/cb",
        redirect_uri_sent=True,
        user_id="u",
        scopes=["openid"],
        issued_at=1000,
        expires_at=expires_at,
        auth_time=1000,
    )


async def test_code_store_single_use_and_replay_marker() -> None:
    store = CodeStore(MemoryCache(), lambda value: hashlib.sha256(value.encode()).hexdigest())
    code = await store.issue(_record(), ttl=60)
    assert await store.replayed("never-issued", 60) is None
    assert await store.redeem(code, 60) == _record()
    assert await store.redeem(code, 60) is None
    # Replayed while the first redemption is still issuing: the winner learns about it.
    assert await store.replayed(code, 60) is None
    assert await store.mark_used(code, UsedCode("g1", "jti", 3000), 60) is True
    assert await store.replayed(code, 60) == UsedCode("g1", "jti", 3000)


async def test_interaction_round_trip_and_expiry() -> None:
    store = InteractionStore(MemoryCache(), ttl=60)
    interaction = Interaction(
        id=store.new_id(),
        kind="oidc.authorize",
        org_id="o",
        client_id="c",
        browser="b",
        created_at=1000,
        expires_at=1060,
        request={"scopes": ["openid"]},
        login=LoginResult("u", 1000, ("pwd",), "acr"),
    )
    await store.save(interaction, 1000)
    loaded = await store.get(interaction.id, 1001)
    assert loaded is not None and loaded.login == interaction.login
    assert loaded.request == {"scopes": ["openid"]}
    assert await store.get(interaction.id, 1060) is None
    assert await store.get("x" * 100, 1001) is None
    request = LoginRequest("i", "o", ISSUER, "c", "Client", "https://back", "b", acr_values=("x",))
    assert LoginRequest.from_json(json.loads(json.dumps(request.to_json()))) == request
