"""JWT client authentication: ``private_key_jwt`` and ``client_secret_jwt``.

RFC 7523 §2.2 and §3, as profiled by OIDC Core §9:

- ``client_assertion_type`` is ``urn:ietf:params:oauth:client-assertion-type:jwt-bearer`` and
  ``client_assertion`` is one JWT (RFC 7521 §4.2);
- ``iss`` and ``sub`` are both the ``client_id`` (§3 items 1, 2);
- ``aud`` names this authorization server: its issuer, its token endpoint, or the endpoint the
  assertion was sent to (§3 item 3; RFC 9126 §2 and RFC 7662/7009 endpoints reuse it);
- ``exp`` is required and not passed, ``nbf``/``iat`` not in the future, and the assertion may
  not live longer than :data:`MAX_LIFETIME` (§3 items 4-6);
- ``jti`` is required and accepted once until the assertion expires (§3 item 7, OIDC Core §9),
  across nodes through ``Cache.add``;
- the signature: ``private_key_jwt`` with an asymmetric algorithm and a key from the client's
  registered ``jwks`` or ``jwks_uri``; ``client_secret_jwt`` with HMAC over the client secret;
  the method must be the one the client registered (OIDC Core §9).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterable
from typing import Protocol

from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import OctKey

from identra.cache.base import Cache
from identra.crypto.client_jwks import KeysUnavailable
from identra.crypto.jwk import Key
from identra.protocols.oauth2.errors import InvalidClient
from identra.protocols.oauth2.models import Client
from identra.protocols.oauth2.storage import Secrets

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ASYMMETRIC_ALGS = (
    *("RS256", "RS384", "RS512", "PS256", "PS384", "PS512"),
    *("ES256", "ES384", "ES512", "EdDSA"),
)
HMAC_ALGS = ("HS256", "HS384", "HS512")
MAX_LIFETIME = 3600 + 300  # Authlib and others default to one hour
CLOCK_LEEWAY = 60


class ClientKeySource(Protocol):
    async def keys(self, client: Client, *, refresh: bool = False) -> list[Key]:
        """The client's public signing keys from ``jwks`` or ``jwks_uri``.

        ``refresh`` asks for a fresh copy of a ``jwks_uri`` (an unknown ``kid``: the client
        rotated). Raises :class:`KeysUnavailable` when they cannot be had.
        """
        ...


def _failed(debug: str) -> InvalidClient:
    # One public answer for every failure, so the endpoint is no oracle for assertion details.
    return InvalidClient("client authentication failed", debug=debug, basic=False)


def _b64json(segment: str) -> object:
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


def asserted_client_id(assertion: str) -> str:
    """The ``sub`` of an assertion, read before verification only to find the client."""
    parts = assertion.split(".")
    if len(parts) != 3 or len(assertion) > 16384:
        raise _failed("client_assertion is not a compact JWS")
    try:
        payload = _b64json(parts[1])
    except (ValueError, TypeError) as exc:
        raise _failed("client_assertion payload is not JSON") from exc
    sub = payload.get("sub") if isinstance(payload, dict) else None
    if not isinstance(sub, str) or not sub:
        raise _failed("client_assertion has no sub")
    return sub


class ClientAssertionVerifier:
    def __init__(
        self,
        keys: ClientKeySource,
        replay: Cache,
        secrets: Secrets,
        now: Callable[[], int],
    ) -> None:
        self.keys = keys
        self._replay = replay
        self._secrets = secrets
        self._now = now

    async def verify(self, assertion: str, client: Client, audiences: Iterable[str]) -> None:
        method = client.auth_method
        try:
            header = jws.extract_compact(assertion.encode()).protected
        except (JoseError, ValueError, TypeError) as exc:
            raise _failed("client_assertion is not a JWS") from exc
        alg = header.get("alg")
        if method == "private_key_jwt":
            if alg not in ASYMMETRIC_ALGS:
                raise _failed(f"alg {alg!r} not allowed for private_key_jwt")
            claims = await self._verify_with_client_keys(assertion, client, str(alg), header)
        elif method == "client_secret_jwt":
            if alg not in HMAC_ALGS:
                raise _failed(f"alg {alg!r} not allowed for client_secret_jwt")
            claims = self._verify_with_secret(assertion, client, str(alg))
        else:
            raise _failed(f"client registered for {method}, not a JWT method")
        await self._check_claims(claims, client, set(audiences))

    async def _verify_with_client_keys(
        self, assertion: str, client: Client, alg: str, header: dict[str, object]
    ) -> dict[str, object]:
        kid = header.get("kid")
        for refresh in (False, True):
            try:
                keys = await self.keys.keys(client, refresh=refresh)
            except KeysUnavailable as exc:
                raise _failed(f"client keys unavailable: {exc}") from exc
            candidates = [k for k in keys if kid is None or k.kid == kid]
            for key in candidates:
                try:
                    return dict(jwt.decode(assertion, key, algorithms=[alg]).claims)
                except (JoseError, ValueError, TypeError):
                    continue
            # A known kid whose signature fails is a bad assertion, not a rotation.
            if candidates or client.jwks_uri is None:
                break
        raise _failed("client_assertion signature does not verify with the client's keys")

    def _verify_with_secret(self, assertion: str, client: Client, alg: str) -> dict[str, object]:
        if client.secret_encrypted is None:
            raise _failed("client has no secret usable for client_secret_jwt")
        secret = self._secrets.decrypt(
            client.secret_encrypted, context=f"client-secret:{client.id}"
        )
        try:
            key = OctKey.import_key(secret.encode())
            return dict(jwt.decode(assertion, key, algorithms=[alg]).claims)
        except (JoseError, ValueError, TypeError) as exc:
            raise _failed("client_assertion HMAC does not verify") from exc

    async def _check_claims(
        self, claims: dict[str, object], client: Client, audiences: set[str]
    ) -> None:
        now = self._now()
        if claims.get("iss") != client.client_id or claims.get("sub") != client.client_id:
            raise _failed("iss and sub must both be the client_id")
        aud = claims.get("aud")
        aud_values = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
        if not any(isinstance(a, str) and a in audiences for a in aud_values):
            raise _failed("aud does not name this authorization server")
        exp = claims.get("exp")
        if not isinstance(exp, int) or isinstance(exp, bool) or exp <= now - CLOCK_LEEWAY:
            raise _failed("exp is missing or passed")
        if exp > now + MAX_LIFETIME:
            raise _failed("the assertion lives too long")
        for name in ("nbf", "iat"):
            value = claims.get(name)
            if value is not None and (not isinstance(value, int) or value > now + CLOCK_LEEWAY):
                raise _failed(f"{name} is in the future or not a number")
        jti = claims.get("jti")
        if not isinstance(jti, str) or not 0 < len(jti) <= 256:
            raise _failed("jti is required")
        ttl = max(exp - now, 0) + CLOCK_LEEWAY
        if not await self._replay.add(f"client-assertion:{client.id}:{jti}", "1", ttl=ttl):
            raise _failed("client_assertion jti was already used")
