"""ID tokens (OIDC Core 1.0 §2, §3.1.3.6) and verification of tokens this issuer signed.

- Required claims: ``iss``, ``sub``, ``aud``, ``exp``, ``iat``; ``auth_time`` always (so that
  ``max_age`` and ``auth_time`` essential requests are satisfied), ``nonce`` when the
  authorization request had one (§3.1.2.1), ``acr``/``amr`` when known, ``azp`` (§2: the party
  the token was issued to), ``sid`` (Back-Channel Logout §2.1).
- ``at_hash`` / ``c_hash`` (§3.1.3.6, §3.3.2.11): the left half of the hash of the token or code,
  with the hash function of the signing algorithm (SHA-512 for EdDSA with Ed25519, as in the
  errata's treatment of EdDSA).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from typing import Any, Protocol

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import GuestProtocol

from identra.crypto.jwk import Key
from identra.protocols.oauth2.tokens import Signer

_HASHES: dict[str, Callable[[bytes], Any]] = {
    "RS256": hashlib.sha256,
    "PS256": hashlib.sha256,
    "ES256": hashlib.sha256,
    "EdDSA": hashlib.sha512,
}
SIGNING_ALGS = tuple(_HASHES)
# OIDC Core §3.1.3.7, OIDC Registration §2: what a client that registered no
# ``id_token_signed_response_alg`` gets.
DEFAULT_ID_TOKEN_ALG = "RS256"


def left_hash(value: str, alg: str) -> str:
    digest: bytes = _HASHES[alg](value.encode("ascii")).digest()
    half = digest[: len(digest) // 2]
    return base64.urlsafe_b64encode(half).rstrip(b"=").decode("ascii")


def mint_id_token(
    *,
    signer: Signer,
    issuer: str,
    client_id: str,
    subject: str,
    now: int,
    ttl: int,
    auth_time: int | None,
    nonce: str | None = None,
    acr: str | None = None,
    amr: list[str] | None = None,
    sid: str | None = None,
    access_token: str | None = None,
    code: str | None = None,
    claims: dict[str, Any] | None = None,
) -> str:
    body: dict[str, Any] = dict(claims or {})
    body.update(
        {
            "iss": issuer,
            "sub": subject,
            "aud": client_id,
            "azp": client_id,
            "iat": now,
            "exp": now + ttl,
        }
    )
    if auth_time is not None:
        body["auth_time"] = auth_time
    if nonce is not None:
        body["nonce"] = nonce
    if acr:
        body["acr"] = acr
    if amr:
        body["amr"] = list(amr)
    if sid:
        body["sid"] = sid
    if access_token is not None:
        body["at_hash"] = left_hash(access_token, signer.alg)
    if code is not None:
        body["c_hash"] = left_hash(code, signer.alg)
    return signer.sign(body, typ="JWT")


class TokenInvalid(Exception):
    pass


class SigningKeys(Protocol):
    def verification_key(self, kid: str) -> Key | None: ...

    def public_key(self, kid: str) -> dict[str, Any] | None: ...


class IssuedTokenVerifier:
    """Verifies JWTs signed by this deployment's published keys (ID token hints).

    The ``kid`` must name one of our keys and ``alg`` must be that key's own algorithm (no
    algorithm substitution, RFC 8725 §3.1).
    """

    def __init__(self, keys: SigningKeys) -> None:
        self._keys = keys

    def _resolve(self, token: GuestProtocol) -> Key:
        headers = token.headers()
        kid = headers.get("kid")
        key = self._keys.verification_key(kid) if isinstance(kid, str) else None
        published = self._keys.public_key(kid) if isinstance(kid, str) else None
        if key is None or published is None or headers.get("alg") != published.get("alg"):
            raise TokenInvalid("unknown signing key")
        return key

    def verify(
        self,
        value: str,
        *,
        issuer: str,
        now: int,
        typ: tuple[str, ...],
        check_expiry: bool = True,
        leeway: int = 0,
    ) -> dict[str, Any]:
        if not value or value.count(".") != 2 or len(value) > 16384:
            raise TokenInvalid("not a signed JWT")
        try:
            token = jwt.decode(value, self._resolve, algorithms=list(SIGNING_ALGS))
        except TokenInvalid:
            raise
        except (JoseError, ValueError, TypeError) as exc:
            raise TokenInvalid("signature or format invalid") from exc
        header_typ = str(token.header.get("typ", "JWT"))
        if header_typ.lower() not in {t.lower() for t in typ}:
            raise TokenInvalid("unexpected token type")
        claims = token.claims
        if claims.get("iss") != issuer:
            raise TokenInvalid("issued by another issuer")
        exp = claims.get("exp")
        if not isinstance(exp, int):
            raise TokenInvalid("no expiry")
        if check_expiry and exp + leeway <= now:
            raise TokenInvalid("expired")
        return claims
