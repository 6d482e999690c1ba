"""Passkeys in the ``credentials`` table (kind ``passkey``, any number per user).

``lookup`` is the credential id (base64url) the browser returns; ``data`` holds the COSE
public key (base64url), the signature counter, the transports and backup flags. The user
handle given to authenticators is the user's id (a random UUID, nothing personal).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from identra.observability import audit
from identra.storage.models import Organization, User
from identra.storage.models.users import Credential

KIND = "passkey"


@dataclass(frozen=True)
class StoredPasskey:
    id: str
    user_id: str
    lookup: str
    public_key: str  # base64url COSE key
    sign_count: int
    transports: tuple[str, ...]
    user_status: str = "active"


@dataclass(frozen=True)
class Account:
    username: str
    display_name: str
    org_name: str  # empty for the root organization


class DuplicateCredential(Exception):
    pass


def _dt(ts: int) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def _stored(row: Credential, status: str = "active") -> StoredPasskey:
    data = row.data or {}
    return StoredPasskey(
        id=row.id,
        user_id=row.user_id,
        lookup=row.lookup or "",
        public_key=str(data.get("public_key", "")),
        sign_count=int(data.get("sign_count", 0)),
        transports=tuple(str(t) for t in data.get("transports", [])),
        user_status=status,
    )


class PasskeyStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def by_lookup(self, org_id: str, lookup: str) -> StoredPasskey | None:
        async with self._sessions() as session:
            found = (
                await session.execute(
                    select(Credential, User.status)
                    .join(User, User.id == Credential.user_id)
                    .where(
                        Credential.org_id == org_id,
                        Credential.kind == KIND,
                        Credential.lookup == lookup,
                    )
                    .limit(1)
                )
            ).one_or_none()
        if found is None:
            return None
        row, status = found
        return _stored(row, status)

    async def for_user(self, org_id: str, user_id: str) -> list[StoredPasskey]:
        async with self._sessions() as session:
            rows = await session.scalars(
                select(Credential)
                .where(
                    Credential.org_id == org_id,
                    Credential.user_id == user_id,
                    Credential.kind == KIND,
                )
                .order_by(Credential.created_at)
            )
            return [_stored(row) for row in rows]

    async def account(self, org_id: str, user_id: str) -> Account | None:
        async with self._sessions() as session:
            found = (
                await session.execute(
                    select(User, Organization.name, Organization.parent_id)
                    .join(Organization, Organization.id == User.org_id)
                    .where(User.id == user_id, User.org_id == org_id)
                )
            ).one_or_none()
        if found is None:
            return None
        user, org_name, parent_id = found
        full = " ".join(p for p in (user.given_name, user.family_name) if p)
        return Account(
            user.username,
            user.display_name or full or user.username,
            org_name if parent_id is not None else "",
        )

    async def add(
        self,
        org_id: str,
        user_id: str,
        lookup: str,
        name: str,
        data: dict[str, Any],
        now: int,
        ip: str | None,
    ) -> str:
        async with self._sessions.begin() as session:
            taken = await session.scalar(
                select(Credential.id).where(
                    Credential.org_id == org_id,
                    Credential.kind == KIND,
                    Credential.lookup == lookup,
                )
            )
            if taken is not None:
                raise DuplicateCredential(lookup)
            row = Credential(
                org_id=org_id,
                user_id=user_id,
                kind=KIND,
                name=name,
                lookup=lookup,
                data=data,
                last_used_at=_dt(now),
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
                    "name": name,
                    "aaguid": data.get("aaguid"),
                },
            )
            return row.id

    async def record_use(
        self, org_id: str, credential_id: str, sign_count: int, backed_up: bool, now: int
    ) -> None:
        async with self._sessions.begin() as session:
            row = await session.get(Credential, credential_id, with_for_update=True)
            if row is None or row.org_id != org_id:
                return
            data = dict(row.data or {})
            data["sign_count"] = max(sign_count, int(data.get("sign_count", 0)))
            data["backed_up"] = backed_up
            row.data = data
            row.last_used_at = _dt(now)

    async def record_mismatch(
        self, org_id: str, credential_id: str, user_id: str, stored: int, seen: int, ip: str | None
    ) -> None:
        """A valid signature with a counter that went backwards: perhaps a cloned key."""
        async with self._sessions.begin() as session:
            audit.record(
                session,
                org_id=org_id,
                action="credential.sign_count_mismatch",
                actor=audit.Actor("user", user_id, ip),
                target_type="user",
                target_id=user_id,
                outcome="failure",
                details={"credential_id": credential_id, "stored": stored, "seen": seen},
            )
