"""Remembered consent (``consents``), one row per user and application."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from identra.observability import audit
from identra.storage.models import Consent, OAuthGrant, OpaqueAccessToken


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

    async def revoke(self, org_id: str, user_id: str, application_id: str, now: datetime) -> bool:
        """Forget the consent and revoke the user's grants to the application (their refresh
        tokens and access tokens with them). For My Account and the management API."""
        async with self._sessions.begin() as session:
            deleted = await session.execute(
                delete(Consent).where(
                    Consent.org_id == org_id,
                    Consent.user_id == user_id,
                    Consent.application_id == application_id,
                )
            )
            await session.execute(
                update(OAuthGrant)
                .where(
                    OAuthGrant.org_id == org_id,
                    OAuthGrant.user_id == user_id,
                    OAuthGrant.application_id == application_id,
                    OAuthGrant.revoked_at.is_(None),
                )
                .values(revoked_at=now)
            )
            await session.execute(
                update(OpaqueAccessToken)
                .where(
                    OpaqueAccessToken.application_id == application_id,
                    OpaqueAccessToken.grant_id.in_(
                        select(OAuthGrant.id).where(
                            OAuthGrant.user_id == user_id,
                            OAuthGrant.application_id == application_id,
                        )
                    ),
                )
                .values(revoked=True)
            )
            found = bool(getattr(deleted, "rowcount", 0))
            if found:
                audit.record(
                    session,
                    org_id=org_id,
                    action="consent.revoke",
                    actor=audit.Actor("user", user_id),
                    target_type="application",
                    target_id=application_id,
                )
            return found
