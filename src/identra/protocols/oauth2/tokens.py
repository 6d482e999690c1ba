"""JWT access tokens per RFC 9068 ("at+jwt")."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any, Protocol

from identra.protocols.oauth2.models import Client, Tenant


class Signer(Protocol):
    @property
    def kid(self) -> str: ...

    @property
    def alg(self) -> str: ...

    def sign(self, claims: dict[str, Any], typ: str = "JWT") -> str: ...


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_in: int
    scope: list[str]
    jti: str


def mint_access_token(
    *,
    signer: Signer,
    tenant: Tenant,
    client: Client,
    subject: str,
    scope: list[str],
    now: int,
    ttl: int,
    extra: dict[str, Any] | None = None,
) -> IssuedToken:
    """RFC 9068 §2.2: iss, exp, aud, sub, client_id, iat, jti are required."""
    jti = secrets.token_urlsafe(16)
    claims: dict[str, Any] = {
        "iss": tenant.issuer,
        "sub": subject,
        "aud": list(client.audiences) if client.audiences else [client.client_id],
        "client_id": client.client_id,
        "iat": now,
        "exp": now + ttl,
        "jti": jti,
        "org_id": tenant.org_id,
    }
    if len(claims["aud"]) == 1:
        claims["aud"] = claims["aud"][0]
    if scope:
        claims["scope"] = " ".join(scope)
    if extra:
        claims.update(extra)
    return IssuedToken(signer.sign(claims, typ="at+jwt"), ttl, scope, jti)
