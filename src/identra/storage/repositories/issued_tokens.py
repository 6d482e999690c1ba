"""Issued-token state for introspection and revocation: opaque access tokens, revoked JWT ids,
refresh tokens and their grant families (``identra.protocols.oauth2.storage``).

Every revocation records an audit event in the same transaction.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from identra.observability import audit
from identra.protocols.oauth2.storage import OpaqueTokenRecord, RefreshTokenRecord
from identra.storage.models import (
    Application,
    OAuthGrant,
    OpaqueAccessToken,
    RefreshToken,
    RevokedToken,
)


def _dt(ts: int) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def _ts(value: datetime) -> int:
    return int(value.timestamp())


def _actor(actor_id: str) -> audit.Actor:
    return audit.Actor("application", actor_id)


class SqlIssuedTokens:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    # -- opaque access tokens ------------------------------------------------------------------

    async def save(
        self,
        *,
        digest: str,
        org_id: str,
        application_id: str,
        grant_id: str | None,
        claims: dict[str, Any],
        expires_at: int,
    ) -> None:
        async with self._sessions.begin() as session:
            session.add(
                OpaqueAccessToken(
                    org_id=org_id,
                    application_id=application_id,
                    grant_id=grant_id,
                    token_digest=digest,
                    claims=claims,
                    expires_at=_dt(expires_at),
                    revoked=False,
                )
            )

    async def find(self, digest: str) -> OpaqueTokenRecord | None:
        async with self._sessions() as session:
            row = (
                await session.execute(
                    select(OpaqueAccessToken, OAuthGrant.revoked_at)
                    .outerjoin(OAuthGrant, OAuthGrant.id == OpaqueAccessToken.grant_id)
                    .where(OpaqueAccessToken.token_digest == digest)
                )
            ).first()
        if row is None:
            return None
        token, grant_revoked_at = row
        return OpaqueTokenRecord(
            org_id=token.org_id,
            application_id=token.application_id,
            grant_id=token.grant_id,
            claims=dict(token.claims),
            expires_at=_ts(token.expires_at),
            revoked=token.revoked or grant_revoked_at is not None,
        )

    async def revoke_opaque(self, digest: str, actor_id: str) -> None:
        async with self._sessions.begin() as session:
            token = await session.scalar(
                select(OpaqueAccessToken).where(OpaqueAccessToken.token_digest == digest)
            )
            if token is None or token.revoked:
                return
            token.revoked = True
            audit.record(
                session,
                org_id=token.org_id,
                action="oauth.access_token.revoke",
                actor=_actor(actor_id),
                target_type="access_token",
                target_id=str(token.claims.get("jti", token.id)),
            )

    # -- JWT access tokens ---------------------------------------------------------------------

    async def revoke_jti(self, org_id: str, jti: str, expires_at: int, actor_id: str) -> None:
        try:
            async with self._sessions.begin() as session:
                session.add(RevokedToken(org_id=org_id, jti=jti, expires_at=_dt(expires_at)))
                audit.record(
                    session,
                    org_id=org_id,
                    action="oauth.access_token.revoke",
                    actor=_actor(actor_id),
                    target_type="access_token",
                    target_id=jti,
                )
        except IntegrityError:  # already revoked: revocation is idempotent (RFC 7009 §2.2)
            return

    async def jti_revoked(self, jti: str) -> bool:
        async with self._sessions() as session:
            found = await session.scalar(select(RevokedToken.jti).where(RevokedToken.jti == jti))
        return found is not None

    # -- refresh tokens and grant families -----------------------------------------------------

    async def find_refresh_token(self, digest: str) -> RefreshTokenRecord | None:
        async with self._sessions() as session:
            row = (
                await session.execute(
                    select(RefreshToken, OAuthGrant, Application.client_id)
                    .join(OAuthGrant, OAuthGrant.id == RefreshToken.grant_id)
                    .join(Application, Application.id == OAuthGrant.application_id)
                    .where(RefreshToken.token_digest == digest)
                )
            ).first()
        if row is None:
            return None
        token, grant, client_id = row
        return RefreshTokenRecord(
            org_id=token.org_id,
            application_id=grant.application_id,
            client_id=client_id,
            grant_id=grant.id,
            subject=grant.user_id,
            scope=tuple(grant.scopes or ()),
            issued_at=_ts(token.created_at),
            expires_at=_ts(token.expires_at),
            usable=token.used_at is None and grant.revoked_at is None,
            dpop_jkt=token.dpop_jkt,
        )

    async def revoke_grant(self, grant_id: str, now: int, actor_id: str) -> None:
        when = _dt(now)
        async with self._sessions.begin() as session:
            grant = await session.get(OAuthGrant, grant_id)
            if grant is None or grant.revoked_at is not None:
                return
            # Refresh tokens are left as they are: the revoked grant refuses them all.
            grant.revoked_at = when
            await session.execute(
                update(OpaqueAccessToken)
                .where(OpaqueAccessToken.grant_id == grant_id)
                .values(revoked=True)
            )
            audit.record(
                session,
                org_id=grant.org_id,
                action="oauth.grant.revoke",
                actor=_actor(actor_id),
                target_type="oauth_grant",
                target_id=grant_id,
                details={"reason": "refresh token revoked"},
            )

    async def grant_revoked(self, grant_id: str) -> bool:
        async with self._sessions() as session:
            revoked_at = await session.execute(
                select(OAuthGrant.revoked_at).where(OAuthGrant.id == grant_id)
            )
            row = revoked_at.first()
        return row is None or row[0] is not None
