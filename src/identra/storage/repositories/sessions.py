"""Durable records of SSO sessions (``user_sessions``); the live copy is in the cache."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from identra.flows.ports import ActiveSession
from identra.observability import audit
from identra.protocols.oidc.session import SsoSession
from identra.storage.models import UserSession


def _dt(value: int) -> datetime:
    return datetime.fromtimestamp(value, UTC)


class SqlSessionRecords:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def started(self, session: SsoSession, ip: str | None, user_agent: str | None) -> None:
        async with self._sessions.begin() as db:
            db.add(
                UserSession(
                    id=session.id,
                    org_id=session.org_id,
                    user_id=session.user_id,
                    expires_at=_dt(session.expires_at),
                    ip=ip[:64] if ip else None,
                    user_agent=user_agent[:500] if user_agent else None,
                    amr=list(session.amr),
                    created_at=_dt(session.created_at),
                )
            )
            audit.record(
                db,
                org_id=session.org_id,
                action="session.start",
                actor=audit.Actor("user", session.user_id, ip),
                target_type="session",
                target_id=session.id,
            )

    async def ended(self, org_id: str, session_id: str, now: int) -> None:
        async with self._sessions.begin() as db:
            result = await db.execute(
                update(UserSession)
                .where(
                    UserSession.id == session_id,
                    UserSession.org_id == org_id,
                    UserSession.ended_at.is_(None),
                )
                .values(ended_at=_dt(now))
            )
            if getattr(result, "rowcount", 0):
                audit.record(
                    db,
                    org_id=org_id,
                    action="session.end",
                    actor=audit.SYSTEM,
                    target_type="session",
                    target_id=session_id,
                )

    async def active(self, org_id: str, user_id: str, now: int) -> list[ActiveSession]:
        """The user's sessions that have neither ended nor expired, oldest first."""
        async with self._sessions() as db:
            rows = await db.scalars(
                select(UserSession)
                .where(
                    UserSession.org_id == org_id,
                    UserSession.user_id == user_id,
                    UserSession.ended_at.is_(None),
                    UserSession.expires_at > _dt(now),
                )
                .order_by(UserSession.created_at)
            )
            return [
                ActiveSession(r.id, int(r.created_at.timestamp()), r.ip, r.user_agent) for r in rows
            ]
