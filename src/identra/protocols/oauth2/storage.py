"""Storage interfaces the OAuth code needs; SQL implementations live in identra.storage."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from identra.protocols.oauth2.models import Client


class ClientStore(Protocol):
    async def by_client_id(self, client_id: str) -> Client | None:
        """The client with this ``client_id`` in any organization, or None."""
        ...


class SecretVerifier(Protocol):
    def verify_digest(self, secret: str, expected: str) -> bool:
        """Constant-time check of a presented secret against its stored keyed digest."""
        ...


class Secrets(Protocol):
    """Keyed digests of high-entropy tokens, and decryption of secrets kept encrypted."""

    def digest(self, secret: str) -> str: ...

    def verify_digest(self, secret: str, expected: str) -> bool: ...

    def decrypt(self, token: str, context: str = "") -> str: ...


@dataclass(frozen=True)
class OpaqueTokenRecord:
    """A reference access token: only its keyed digest is stored, with the claims it stands for."""

    org_id: str
    application_id: str
    grant_id: str | None
    claims: dict[str, Any]
    expires_at: int
    revoked: bool  # revoked itself, or its grant family was revoked


class OpaqueTokenStore(Protocol):
    async def save(
        self,
        *,
        digest: str,
        org_id: str,
        application_id: str,
        grant_id: str | None,
        claims: dict[str, Any],
        expires_at: int,
    ) -> None: ...

    async def find(self, digest: str) -> OpaqueTokenRecord | None: ...


@dataclass(frozen=True)
class RefreshTokenRecord:
    """A refresh token as introspection and revocation see it (never the token itself)."""

    org_id: str
    application_id: str
    client_id: str
    grant_id: str
    subject: str | None
    scope: tuple[str, ...]
    issued_at: int
    expires_at: int
    # False once rotated (used) or when its family was revoked; expiry is checked separately.
    usable: bool
    dpop_jkt: str | None


class TokenRevocations(Protocol):
    """Revocation state of every kind of token (RFC 7009), shared with introspection (RFC 7662).

    JWT access tokens are revoked by ``jti`` in ``revoked_tokens``; callers also set the cache
    key ``revoked:{jti}`` that the management API's bearer check reads. Revoking a grant revokes
    the whole family: the grant, its refresh tokens and its opaque access tokens.
    """

    async def revoke_jti(self, org_id: str, jti: str, expires_at: int, actor_id: str) -> None: ...

    async def jti_revoked(self, jti: str) -> bool: ...

    async def revoke_opaque(self, digest: str, actor_id: str) -> None: ...

    async def find_refresh_token(self, digest: str) -> RefreshTokenRecord | None: ...

    async def revoke_grant(self, grant_id: str, now: int, actor_id: str) -> None: ...

    async def grant_revoked(self, grant_id: str) -> bool:
        """True when the family is revoked or gone (JWT access tokens name it in ``grant_id``)."""
        ...
