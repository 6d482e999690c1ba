"""Password login against the organization's user stores
(``identra.authenticators.password.storage``): database users by their argon2id hash here,
directory (LDAP) users through the user-store registry (``identra.userstores``)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from identra.authenticators.password.storage import DirectoryUnavailable, PasswordAccount
from identra.clock import Clock
from identra.crypto.secretbox import SecretBox
from identra.observability import audit
from identra.storage.models import Organization, User, UserStore
from identra.userstores.base import StoreError
from identra.userstores.registry import DIRECTORY_KINDS, UserStores


def _ts(value: datetime | None) -> int | None:
    return None if value is None else int(value.timestamp())


def _dt(value: int) -> datetime:
    return datetime.fromtimestamp(value, UTC)


class SqlPasswordUserStore:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], box: SecretBox, clock: Clock
    ) -> None:
        self._sessions = sessions
        self._box = box
        self._clock = clock

    async def find(self, org_id: str, username: str) -> PasswordAccount | None:
        async with self._sessions() as session:
            query = (
                select(User, UserStore.kind)
                .join(UserStore, UserStore.id == User.user_store_id)
                .where(User.org_id == org_id, UserStore.enabled.is_(True))
            )
            prefix, sep, rest = username.partition("/")
            store_id = None
            if sep and rest:  # STORE/name, as WSO2 Identity Server writes it
                store_id = await session.scalar(
                    select(UserStore.id).where(
                        UserStore.org_id == org_id,
                        func.lower(UserStore.identifier) == prefix.lower(),
                    )
                )
            if store_id is not None:
                query = query.where(
                    User.user_store_id == store_id, User.username_normalized == rest.lower()
                )
            else:
                query = query.where(User.username_normalized == username.lower())
            found = (
                await session.execute(query.order_by(UserStore.position).limit(1))
            ).one_or_none()
        if found is None:
            return None
        row, kind = found
        return PasswordAccount(
            user_id=row.id,
            status=row.status,
            password_hash=row.password_hash,
            failed_logins=row.failed_logins,
            locked_until=_ts(row.locked_until),
            directory=kind in DIRECTORY_KINDS,
        )

    async def directory_login(self, org_id: str, username: str, password: str) -> str | None:
        async with self._sessions.begin() as session:
            org = await session.get(Organization, org_id)
            if org is None:
                return None
            registry = await UserStores.load(session, org, self._box, self._clock)
            directories = [row for row in registry.rows if registry.is_directory(row)]
            if not directories:
                return None
            scoped = UserStores(session, org, self._box, self._clock, directories)
            try:
                user = await scoped.authenticate(username, password)
            except StoreError as exc:
                raise DirectoryUnavailable(str(exc)) from exc
            return None if user is None else user.id

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
