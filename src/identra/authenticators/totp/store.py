"""The TOTP credential in the ``credentials`` table (kind ``totp``, one per user).

``secret_encrypted`` holds the Base32 secret sealed with the master key (bound to the org and
user); ``data.last_step`` is the last accepted time step, so no code is accepted twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from identra.observability import audit
from identra.storage.models import Organization, User
from identra.storage.models.users import Credential
from identra.storage.repositories import credentials

KIND = "totp"


@dataclass(frozen=True)
class StoredTotp:
    id: str
    secret_encrypted: str
    last_step: int


@dataclass(frozen=True)
class Account:
    username: str
    issuer_name: str  # the organization's name as authenticator apps show it


def secret_context(org_id: str, user_id: str) -> str:
    """Associated data for the sealed secret: a ciphertext only opens for its own user."""
    return f"totp:{org_id}:{user_id}"


def _dt(ts: int) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


class TotpStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def get(self, org_id: str, user_id: str) -> StoredTotp | None:
        async with self._sessions() as session:
            row = await credentials.newest(session, org_id, user_id, KIND)
        if row is None or not row.secret_encrypted:
            return None
        return StoredTotp(row.id, row.secret_encrypted, int((row.data or {}).get("last_step", -1)))

    async def account(self, org_id: str, user_id: str) -> Account | None:
        async with self._sessions() as session:
            found = (
                await session.execute(
                    select(User.username, Organization.name, Organization.parent_id)
                    .join(Organization, Organization.id == User.org_id)
                    .where(User.id == user_id, User.org_id == org_id)
                )
            ).one_or_none()
        if found is None:
            return None
        username, org_name, parent_id = found
        return Account(username, org_name if parent_id is not None else "")

    async def replace(
        self,
        org_id: str,
        user_id: str,
        secret_encrypted: str,
        last_step: int,
        now: int,
        ip: str | None,
    ) -> str:
        """Store the user's TOTP credential, replacing an earlier one."""
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
                name="Authenticator app",
                secret_encrypted=secret_encrypted,
                data={"last_step": last_step, "algorithm": "SHA1", "digits": 6, "period": 30},
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
                    "replaced": int(getattr(removed, "rowcount", 0) or 0),
                },
            )
            return row.id

    async def record_use(self, org_id: str, credential_id: str, step: int, now: int) -> None:
        async with self._sessions.begin() as session:
            row = await session.get(Credential, credential_id)
            if row is None or row.org_id != org_id:
                return
            data = dict(row.data or {})
            data["last_step"] = max(step, int(data.get("last_step", -1)))
            row.data = data
            row.last_used_at = _dt(now)
