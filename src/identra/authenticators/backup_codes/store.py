"""The backup-code set in the ``credentials`` table (kind ``backup_codes``, one per user).

``data.codes`` lists the keyed digests of the codes; ``data.used`` lists the digests already
spent. Enrolling again replaces the whole set.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from identra.observability import audit
from identra.storage.models.users import Credential
from identra.storage.repositories import credentials

KIND = "backup_codes"


@dataclass(frozen=True)
class CodeSet:
    id: str
    codes: tuple[str, ...]  # digests
    used: frozenset[str]

    @property
    def remaining(self) -> int:
        return sum(1 for code in self.codes if code not in self.used)


def _dt(ts: int) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def _code_set(row: Credential) -> CodeSet:
    data = row.data or {}
    return CodeSet(
        row.id,
        tuple(str(c) for c in data.get("codes", [])),
        frozenset(str(c) for c in data.get("used", [])),
    )


class BackupCodeStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def get(self, org_id: str, user_id: str) -> CodeSet | None:
        async with self._sessions() as session:
            row = await credentials.newest(session, org_id, user_id, KIND)
        return None if row is None else _code_set(row)

    async def replace(
        self, org_id: str, user_id: str, digests: list[str], now: int, ip: str | None
    ) -> str:
        async with self._sessions.begin() as session:
            removed = await session.execute(
                delete(Credential).where(
                    Credential.org_id == org_id,
                    Credential.user_id == user_id,
                    Credential.kind == KIND,
                )
            )
            row = Credential(
                org_id=org_id,
                user_id=user_id,
                kind=KIND,
                name="Backup codes",
                data={"codes": digests, "used": []},
            )
            session.add(row)
            await session.flush()
            audit.record(
                session,
                org_id=org_id,
                action="credential.enrolled",
                actor=audit.Actor("user", user_id, ip),
                target_type="user",
                target_id=user_id,
                details={
                    "kind": KIND,
                    "credential_id": row.id,
                    "codes": len(digests),
                    "replaced": int(getattr(removed, "rowcount", 0) or 0),
                },
            )
            return row.id

    async def spend(
        self, org_id: str, credential_id: str, digest: str, now: int, ip: str | None
    ) -> int | None:
        """Mark ``digest`` used; the number of codes left, or None if it was already spent."""
        async with self._sessions.begin() as session:
            row = await session.get(Credential, credential_id, with_for_update=True)
            if row is None or row.org_id != org_id:
                return None
            current = _code_set(row)
            if digest in current.used or digest not in current.codes:
                return None
            data = dict(row.data or {})
            data["used"] = [*sorted(current.used), digest]
            row.data = data
            row.last_used_at = _dt(now)
            remaining = current.remaining - 1
            audit.record(
                session,
                org_id=org_id,
                action="credential.backup_code_used",
                actor=audit.Actor("user", row.user_id, ip),
                target_type="user",
                target_id=row.user_id,
                details={"credential_id": row.id, "remaining": remaining},
            )
            return remaining
