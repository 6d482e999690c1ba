"""Remembered consent (``consents``), one row per user and application."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from identra.observability import audit
from identra.storage.models import Consent


class SqlConsentStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def granted(self, user_id: str, application_id: str) -> tuple[set[str], set[str]]:
        async with self._sessions() as session:
            row = await session.scalar(
                select(Consent).where(
                    Consent.user_id == user_id, Consent.application_id == application_id
                )
            )
        if row is None:
            return set(), set()
        return set(row.scopes or ()), set(row.claims or ())

    async def grant(
        self, org_id: str, user_id: str, application_id: str, scopes: list[str], claims: list[str]
    ) -> None:
        for _attempt in range(2):  # a concurrent first consent may win the insert: merge then
            try:
                async with self._sessions.begin() as session:
                    row = await session.scalar(
                        select(Consent).where(
                            Consent.user_id == user_id, Consent.application_id == application_id
                        )
                    )
                    if row is None:
                        row = Consent(
                            org_id=org_id,
                            user_id=user_id,
                            application_id=application_id,
                            scopes=[],
                            claims=[],
                        )
                        session.add(row)
                    row.scopes = sorted(set(row.scopes or ()) | set(scopes))
                    row.claims = sorted(set(row.claims or ()) | set(claims))
                    audit.record(
                        session,
                        org_id=org_id,
                        action="consent.grant",
                        actor=audit.Actor("user", user_id),
                        target_type="application",
                        target_id=application_id,
                        details={"scopes": scopes, "claims": claims},
                    )
                return
            except IntegrityError:
                continue
