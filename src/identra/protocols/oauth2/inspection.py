"""What a presented token is, if it is active: the shared core of introspection (RFC 7662 §2.2),
revocation (RFC 7009 §2.1) and token exchange (RFC 8693 §2.1).

A token is reported only when it is active *for the organization whose issuer was addressed*:
a token of another organization, an expired, revoked, rotated or unknown one all look the same
(``None``), so that the answer reveals nothing about tokens the caller may not see.

- JWT access tokens (RFC 9068): the signature is checked with this deployment's published keys
  (the ``kid`` must be ours and the ``alg`` the key's own), ``typ`` must be ``at+jwt``, and
  ``iss``/``org_id`` must name the addressed organization; a revoked ``jti`` is inactive.
- Opaque access tokens and refresh tokens are found by their keyed digest.
- ``token_type_hint`` only orders the look-ups (RFC 7662 §2.1: "MUST extend its search").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from joserfc import jws, jwt
from joserfc.errors import JoseError

from identra.cache.base import Cache
from identra.crypto.jwk import Key
from identra.protocols.oauth2.models import Tenant
from identra.protocols.oauth2.storage import OpaqueTokenStore, Secrets, TokenRevocations

ACCESS_TOKEN = "access_token"
REFRESH_TOKEN = "refresh_token"
MAX_TOKEN_LENGTH = 8192
REVOKED_KEY = "revoked:{jti}"  # also read by the management API's bearer check


class VerificationKeys(Protocol):
    def verification_key(self, kid: str) -> Key | None: ...

    def public_key(self, kid: str) -> dict[str, Any] | None: ...


@dataclass(frozen=True)
class TokenInfo:
    kind: str  # access_token | refresh_token
    format: str  # jwt | opaque | refresh
    client_id: str
    claims: dict[str, Any]
    expires_at: int
    digest: str | None = None  # opaque and refresh tokens
    grant_id: str | None = None

    @property
    def jti(self) -> str | None:
        value = self.claims.get("jti")
        return value if isinstance(value, str) else None

    @property
    def subject(self) -> str | None:
        value = self.claims.get("sub")
        return value if isinstance(value, str) else None

    @property
    def scope(self) -> list[str]:
        value = self.claims.get("scope")
        return value.split() if isinstance(value, str) else []

    @property
    def jkt(self) -> str | None:
        """RFC 9449 §6: the thumbprint of the DPoP key the token is bound to."""
        cnf = self.claims.get("cnf")
        value = cnf.get("jkt") if isinstance(cnf, dict) else None
        return value if isinstance(value, str) else None


def looks_like_jwt(token: str) -> bool:
    return token.count(".") == 2


class TokenInspector:
    def __init__(
        self,
        keys: VerificationKeys,
        opaque: OpaqueTokenStore,
        revocations: TokenRevocations,
        cache: Cache,
        secrets: Secrets,
    ) -> None:
        self._keys = keys
        self._opaque = opaque
        self._revocations = revocations
        self._cache = cache
        self._secrets = secrets

    async def inspect(
        self, token: str, tenant: Tenant, now: int, hint: str | None = None
    ) -> TokenInfo | None:
        if not token or len(token) > MAX_TOKEN_LENGTH:
            return None
        kinds = [REFRESH_TOKEN, ACCESS_TOKEN] if hint == REFRESH_TOKEN else [ACCESS_TOKEN]
        if hint != REFRESH_TOKEN:
            kinds.append(REFRESH_TOKEN)
        for kind in kinds:
            info = await (
                self.access_token(token, tenant, now)
                if kind == ACCESS_TOKEN
                else self.refresh_token(token, tenant, now)
            )
            if info is not None:
                return info
        return None

    async def access_token(self, token: str, tenant: Tenant, now: int) -> TokenInfo | None:
        if looks_like_jwt(token):
            return await self._jwt(token, tenant, now)
        digest = self._secrets.digest(token)
        record = await self._opaque.find(digest)
        if record is None or record.revoked or record.org_id != tenant.org_id:
            return None
        if record.expires_at <= now:
            return None
        client_id = record.claims.get("client_id")
        if not isinstance(client_id, str):
            return None
        return TokenInfo(
            ACCESS_TOKEN,
            "opaque",
            client_id,
            dict(record.claims),
            record.expires_at,
            digest=digest,
            grant_id=record.grant_id,
        )

    async def refresh_token(self, token: str, tenant: Tenant, now: int) -> TokenInfo | None:
        if looks_like_jwt(token):
            return None
        digest = self._secrets.digest(token)
        record = await self._revocations.find_refresh_token(digest)
        if record is None or not record.usable or record.org_id != tenant.org_id:
            return None
        if record.expires_at <= now:
            return None
        claims: dict[str, Any] = {
            "iss": tenant.issuer,
            "client_id": record.client_id,
            "iat": record.issued_at,
            "exp": record.expires_at,
        }
        if record.subject is not None:
            claims["sub"] = record.subject
        if record.scope:
            claims["scope"] = " ".join(record.scope)
        if record.dpop_jkt:
            claims["cnf"] = {"jkt": record.dpop_jkt}
        return TokenInfo(
            REFRESH_TOKEN,
            "refresh",
            record.client_id,
            claims,
            record.expires_at,
            digest=digest,
            grant_id=record.grant_id,
        )

    async def _jwt(self, token: str, tenant: Tenant, now: int) -> TokenInfo | None:
        claims = self.verify_jwt(token, now)
        if claims is None:
            return None
        if claims.get("iss") != tenant.issuer or claims.get("org_id") != tenant.org_id:
            return None
        jti, client_id = claims.get("jti"), claims.get("client_id")
        if not isinstance(jti, str) or not isinstance(client_id, str):
            return None
        if await self.jti_revoked(jti):
            return None
        grant_id = claims.get("grant_id")
        if isinstance(grant_id, str) and await self._revocations.grant_revoked(grant_id):
            return None
        return TokenInfo(
            ACCESS_TOKEN,
            "jwt",
            client_id,
            claims,
            int(claims["exp"]),
            grant_id=grant_id if isinstance(grant_id, str) else None,
        )

    def verify_jwt(self, token: str, now: int) -> dict[str, Any] | None:
        """Claims of an unexpired RFC 9068 access token signed by one of our keys, else None."""
        try:
            header = jws.extract_compact(token.encode()).protected
            kid = header.get("kid")
            key = self._keys.verification_key(kid) if isinstance(kid, str) else None
            published = self._keys.public_key(kid) if isinstance(kid, str) else None
            if key is None or published is None or header.get("alg") != published.get("alg"):
                return None
            decoded = jwt.decode(token, key, algorithms=[str(published["alg"])])
        except (JoseError, ValueError, TypeError, KeyError):
            return None
        typ = str(decoded.header.get("typ", "")).lower()
        if typ not in ("at+jwt", "application/at+jwt"):
            return None
        claims = dict(decoded.claims)
        exp = claims.get("exp")
        if not isinstance(exp, int) or isinstance(exp, bool) or exp <= now:
            return None
        nbf = claims.get("nbf")
        if isinstance(nbf, int) and nbf > now:
            return None
        return claims

    async def jti_revoked(self, jti: str) -> bool:
        if await self._cache.get(REVOKED_KEY.format(jti=jti)) is not None:
            return True
        return await self._revocations.jti_revoked(jti)
