"""Storage interfaces the interactive OAuth/OIDC code needs (SQL implementations live in
``identra.storage.repositories``). Protocol code sees the small records below, never ORM rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from identra.protocols.oidc.session import SsoSession


@dataclass(frozen=True)
class ClientSettings:
    """Per-application settings beyond the core client record (the ``applications`` row)."""

    application_id: str
    post_logout_redirect_uris: tuple[str, ...] = ()
    skip_consent: bool = False
    backchannel_logout_uri: str | None = None
    backchannel_logout_session_required: bool = True
    refresh_token_ttl: int | None = None
    id_token_ttl: int | None = None
    # OIDC Core §8: "public" or "pairwise"; a pairwise client's sector (None when it cannot be
    # told, with the reason in ``sector_problem``: such a client gets no ID token at all).
    subject_type: str = "public"
    sector: str | None = None
    sector_problem: str | None = None
    # OIDC Registration §2; None: the deployment's default (RS256).
    id_token_signed_response_alg: str | None = None


class ClientSettingsStore(Protocol):
    async def settings(self, application_id: str) -> ClientSettings: ...

    async def by_ids(self, org_id: str, client_ids: list[str]) -> dict[str, ClientSettings]:
        """Settings of the given ``client_id``s in one organization, keyed by client_id."""
        ...


@dataclass(frozen=True)
class UserProfile:
    id: str
    org_id: str
    active: bool
    claims: dict[str, Any]  # standard OIDC claims (OIDC Core §5.1) that have a value


class UserDirectory(Protocol):
    async def profile(self, org_id: str, user_id: str) -> UserProfile | None: ...


class PasswordCheck(Protocol):
    async def verify(
        self, org_id: str, username: str, password: str, client_ip: str | None
    ) -> str | None:
        """The user's id when the credentials are right and the account may sign in; None
        otherwise. The login page's lockout and rate limits apply to every attempt."""
        ...


class ConsentStore(Protocol):
    async def granted(self, user_id: str, application_id: str) -> tuple[set[str], set[str]]:
        """Scopes and claim names the user has consented to for the application."""
        ...

    async def grant(
        self, org_id: str, user_id: str, application_id: str, scopes: list[str], claims: list[str]
    ) -> None:
        """Remember consent, adding to what was remembered before."""
        ...


@dataclass(frozen=True)
class NewGrant:
    org_id: str
    application_id: str
    user_id: str
    session_id: str | None
    scopes: list[str]
    claims: dict[str, Any]  # the ``claims`` request parameter, kept for refreshes
    auth_time: int | None
    acr: str | None
    amr: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class GrantRecord:
    id: str
    org_id: str
    application_id: str
    user_id: str | None
    session_id: str | None
    scopes: list[str]
    claims: dict[str, Any]
    auth_time: int | None
    acr: str | None
    amr: list[str]
    revoked: bool


@dataclass(frozen=True)
class RefreshUse:
    """What happened when a refresh token was presented."""

    status: str  # ok | unknown | reused | expired | revoked
    grant: GrantRecord | None = None
    dpop_jkt: str | None = None  # RFC 9449 §5: the key the refresh token is bound to


class GrantStore(Protocol):
    """Token families (``oauth_grants``) and their refresh tokens, stored as keyed digests.

    ``use_refresh_token`` retires a token atomically: of two concurrent requests with the same
    token exactly one succeeds; the other is a reuse (RFC 9700 §4.14.2).
    """

    async def create(self, grant: NewGrant) -> GrantRecord: ...

    async def get(self, grant_id: str) -> GrantRecord | None: ...

    async def revoke(self, grant_id: str, now: int) -> None:
        """Revoke the family: the grant, and so every refresh and access token issued in it
        (refresh tokens of a revoked grant are refused; opaque access tokens are marked)."""
        ...

    async def add_refresh_token(
        self, org_id: str, grant_id: str, digest: str, expires_at: int, dpop_jkt: str | None
    ) -> None: ...

    async def find_refresh_token(self, digest: str, application_id: str, now: int) -> RefreshUse:
        """What the token is, without using it. Another application's token is ``unknown``."""
        ...

    async def use_refresh_token(self, digest: str, now: int) -> bool:
        """Retire the token; False when it was already used (a concurrent request won)."""
        ...

    async def revoke_access_token(self, org_id: str, jti: str, expires_at: int) -> None: ...

    async def access_token_revoked(self, jti: str) -> bool: ...

    async def for_session(self, org_id: str, session_id: str) -> list[GrantRecord]: ...


class SessionRecords(Protocol):
    async def started(
        self, session: SsoSession, ip: str | None, user_agent: str | None
    ) -> None: ...

    async def ended(self, org_id: str, session_id: str, now: int) -> None: ...
