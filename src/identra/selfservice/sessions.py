"""Ending a user's SSO sessions from self-service (My Account, password reset and change).

A live session (in the cache) is ended through the same :class:`SessionTerminator` as
RP-initiated logout: forgotten, its refresh tokens revoked (except ``offline_access`` grants,
OIDC Core §11), back-channel logout sent to its clients. A session whose cache entry is already
gone only has its durable record closed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from identra.protocols.oidc.end_session import SessionTerminator
from identra.protocols.oidc.session import SessionManager
from identra.selfservice.common import SessionRow
from identra.storage.models import UserSession
from identra.storage.repositories.sessions import SqlSessionRecords


class SsoSessions:
    def __init__(
        self,
        db: async_sessionmaker[AsyncSession],
        manager: SessionManager,
        terminator: SessionTerminator,
        issuer_of: Callable[[str], Awaitable[str]],
        now: Callable[[], int],
    ) -> None:
        self._db = db
        self._manager = manager
        self._terminator = terminator
        self._records = SqlSessionRecords(db)
        self._issuer_of = issuer_of
        self._now = now

    async def active(self, org_id: str, user_id: str) -> list[SessionRow]:
        now = datetime.fromtimestamp(self._now(), UTC)
        async with self._db() as session:
            rows = await session.scalars(
                select(UserSession)
                .where(
                    UserSession.org_id == org_id,
                    UserSession.user_id == user_id,
                    UserSession.ended_at.is_(None),
                    UserSession.expires_at > now,
                )
                .order_by(UserSession.created_at.desc())
                .limit(100)
            )
            return [
                SessionRow(
                    id=r.id,
                    created_at=int(r.created_at.timestamp()),
                    expires_at=int(r.expires_at.timestamp()),
                    ip=r.ip,
                    user_agent=r.user_agent,
                    amr=tuple(r.amr or ()),
                )
                for r in rows
            ]

    async def end_one(self, org_id: str, user_id: str, sid: str) -> bool:
        if not sid or len(sid) > 64:
            return False
        mine = {row.id for row in await self.active(org_id, user_id)}
        if sid not in mine:
            return False
        await self._end(org_id, user_id, sid)
        return True

    async def end_all(self, org_id: str, user_id: str, keep: str | None = None) -> int:
        ended = 0
        for row in await self.active(org_id, user_id):
            if row.id != keep:
                await self._end(org_id, user_id, row.id)
                ended += 1
        return ended

    async def _end(self, org_id: str, user_id: str, sid: str) -> None:
        now = self._now()
        live = await self._manager.by_sid(sid, now)
        if live is not None and live.org_id == org_id and live.user_id == user_id:
            await self._terminator.end(live, await self._issuer_of(org_id))
        else:
            await self._records.ended(org_id, sid, now)
