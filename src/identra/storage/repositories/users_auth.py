"""Password login against the users table (``identra.authenticators.password.storage``)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from identra.authenticators.password.storage import PasswordAccount
from identra.observability import audit
from identra.storage.models import User, UserStore


def _ts(value: datetime | None) -> int | None:
    return None if value is None else int(value.timestamp())


def _dt(value: int) -> datetime:
    return datetime.fromtimestamp(value, UTC)


class SqlPasswordUserStore:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def find(self, org_id: str, username: str) -> PasswordAccount | None:
        async with self._sessions() as session:
            row = (
                await session.execute(
                    select(User)
                    .join(UserStore, UserStore.id == User.user_store_id)
                    .where(
                        User.org_id == org_id,
                        User.username_normalized == username.lower(),
                        UserStore.enabled.is_(True),
                    )
                    .order_by(UserStore.position)
                    .limit(1)
                )
            ).scalar_one_or_none()
        if row is None:
            return None
        return PasswordAccount(
            user_id=row.id,
            status=row.status,
            password_hash=row.password_hash,
            failed_logins=row.failed_logins,
            locked_until=_ts(row.locked_until),
        )

    async def record_failure(
        self,
        org_id: str,
        user_id: str,
        failed_logins: int,
        locked_until: int | None,
        ip: str | None,
    ) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                update(User)
                .where(User.id == user_id, User.org_id == org_id)
                .values(
                    failed_logins=failed_logins,
                    locked_until=None if locked_until is None else _dt(locked_until),
                )
            )
            audit.record(
                session,
                org_id=org_id,
                action="login.password",
                actor=audit.Actor("user", user_id, ip),
                target_type="user",
                target_id=user_id,
                outcome="failure",
                details={"failed_logins": failed_logins, "locked": locked_until is not None},
            )

    async def record_success(
        self, org_id: str, user_id: str, new_hash: str | None, now: int, ip: str | None
    ) -> None:
        values: dict[str, object] = {
            "failed_logins": 0,
            "locked_until": None,
            "last_login_at": _dt(now),
        }
        if new_hash is not None:
            values["password_hash"] = new_hash
        async with self._sessions.begin() as session:
            await session.execute(
                update(User).where(User.id == user_id, User.org_id == org_id).values(**values)
            )
            audit.record(
                session,
                org_id=org_id,
                action="login.password",
                actor=audit.Actor("user", user_id, ip),
                target_type="user",
                target_id=user_id,
                details={"rehashed": new_hash is not None},
            )
