"""Token families (``oauth_grants``), refresh tokens (keyed digests) and revoked JWT ids."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from identra.observability import audit
from identra.protocols.oidc.storage import GrantRecord, NewGrant, RefreshUse
from identra.storage.models import OAuthGrant, OpaqueAccessToken, RefreshToken, RevokedToken


def _dt(value: int) -> datetime:
    return datetime.fromtimestamp(value, UTC)


def _record(row: OAuthGrant) -> GrantRecord:
    return GrantRecord(
        id=row.id,
        org_id=row.org_id,
        application_id=row.application_id,
        user_id=row.user_id,
        session_id=row.session_id,
        scopes=list(row.scopes or ()),
        claims=dict(row.claims or {}),
        auth_time=None if row.auth_time is None else int(row.auth_time.timestamp()),
        acr=row.acr,
        amr=list(row.amr or ()),
        revoked=row.revoked_at is not None,
    )


class SqlGrantStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def create(self, grant: NewGrant) -> GrantRecord:
        row = OAuthGrant(
            org_id=grant.org_id,
            application_id=grant.application_id,
            user_id=grant.user_id,
            session_id=grant.session_id,
            scopes=list(grant.scopes),
            claims=dict(grant.claims),
            auth_time=None if grant.auth_time is None else _dt(grant.auth_time),
            acr=grant.acr,
            amr=list(grant.amr),
        )
        async with self._sessions.begin() as session:
            session.add(row)
            await session.flush()
            return _record(row)

    async def get(self, grant_id: str) -> GrantRecord | None:
        if len(grant_id) > 36:
            return None
        async with self._sessions() as session:
            row = await session.get(OAuthGrant, grant_id)
            return None if row is None else _record(row)

    async def revoke(self, grant_id: str, now: int) -> None:
        # Refresh tokens stay (so that reuse is still recognised); the revoked grant refuses
        # them. Opaque access tokens of the family are marked; JWT ones name the grant.
        async with self._sessions.begin() as session:
            grant = await session.get(OAuthGrant, grant_id)
            if grant is None or grant.revoked_at is not None:
                return
            grant.revoked_at = _dt(now)
            await session.execute(
                update(OpaqueAccessToken)
                .where(OpaqueAccessToken.grant_id == grant_id)
                .values(revoked=True)
            )
            audit.record(
                session,
                org_id=grant.org_id,
                action="oauth.grant.revoke",
                actor=audit.SYSTEM,
                target_type="oauth_grant",
                target_id=grant_id,
            )

    async def add_refresh_token(
        self, org_id: str, grant_id: str, digest: str, expires_at: int, dpop_jkt: str | None
    ) -> None:
        async with self._sessions.begin() as session:
            session.add(
                RefreshToken(
                    org_id=org_id,
                    grant_id=grant_id,
                    token_digest=digest,
                    expires_at=_dt(expires_at),
                    dpop_jkt=dpop_jkt,
                )
            )

    async def find_refresh_token(self, digest: str, application_id: str, now: int) -> RefreshUse:
        async with self._sessions() as session:
            found = (
                await session.execute(
                    select(RefreshToken, OAuthGrant)
                    .join(OAuthGrant, OAuthGrant.id == RefreshToken.grant_id)
                    .where(RefreshToken.token_digest == digest)
                )
            ).one_or_none()
        if found is None:
            return RefreshUse("unknown")
        token, grant_row = found
        grant = _record(grant_row)
        if grant.application_id != application_id:
            return RefreshUse("unknown")
        if grant.revoked:
            return RefreshUse("revoked", grant)
        if token.used_at is not None:
            return RefreshUse("reused", grant)
        if token.expires_at <= _dt(now):
            return RefreshUse("expired", grant)
        return RefreshUse("ok", grant, token.dpop_jkt)

    async def use_refresh_token(self, digest: str, now: int) -> bool:
        # The conditional update is the atomic step: of two concurrent uses one wins.
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(RefreshToken)
                .where(RefreshToken.token_digest == digest, RefreshToken.used_at.is_(None))
                .values(used_at=_dt(now))
            )
            return bool(getattr(result, "rowcount", 0) == 1)

    async def revoke_access_token(self, org_id: str, jti: str, expires_at: int) -> None:
        try:
            async with self._sessions.begin() as session:
                session.add(RevokedToken(org_id=org_id, jti=jti, expires_at=_dt(expires_at)))
        except IntegrityError:
            pass  # already revoked

    async def access_token_revoked(self, jti: str) -> bool:
        if len(jti) > 64:
            return True
        async with self._sessions() as session:
            found = await session.scalar(select(RevokedToken.jti).where(RevokedToken.jti == jti))
            return found is not None

    async def for_session(self, org_id: str, session_id: str) -> list[GrantRecord]:
        async with self._sessions() as session:
            rows = await session.scalars(
                select(OAuthGrant).where(
                    OAuthGrant.org_id == org_id, OAuthGrant.session_id == session_id
                )
            )
            return [_record(row) for row in rows]
