"""The database user store: users are rows of ``users`` with argon2id password hashes.

Writes here are raw row changes for callers that record their own audit events (the import
command); administrative changes go through ``identra.admin.users``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from identra.clock import Clock
from identra.crypto.passwords import hash_password, verify_password
from identra.storage.models import User, UserEmail, UserPhone, UserStore
from identra.userstores.base import ReadOnlyStore, StoreUser

LOCKOUT_AFTER = 5
LOCKOUT_SECONDS = 300


def to_store_user(user: User) -> StoreUser:
    return StoreUser(
        username=user.username,
        key=user.id,
        display_name=user.display_name,
        given_name=user.given_name,
        family_name=user.family_name,
        emails=[e.value for e in user.emails],
        phone_numbers=[p.value for p in user.phone_numbers],
    )


class DatabaseStore:
    def __init__(self, session: AsyncSession, store: UserStore, clock: Clock) -> None:
        self.session = session
        self.store = store
        self.clock = clock
        self.identifier = store.identifier
        self.read_only = store.read_only

    async def row(self, username: str) -> User | None:
        return await self.session.scalar(
            select(User).where(
                User.org_id == self.store.org_id,
                User.user_store_id == self.store.id,
                User.username_normalized == username.lower(),
            )
        )

    async def verify(self, user: User, password: str) -> bool:
        """Check the password of a row of this store: status, lockout, rehash on success."""
        now = self.clock.now()
        if user.status != "active" or user.password_hash is None:
            return False
        if user.locked_until is not None and user.locked_until > now:
            return False
        result = verify_password(user.password_hash, password)
        if not result.ok:
            user.failed_logins += 1
            if user.failed_logins >= LOCKOUT_AFTER:
                user.locked_until = now + timedelta(seconds=LOCKOUT_SECONDS)
                user.failed_logins = 0
            return False
        if result.new_hash:
            user.password_hash = result.new_hash
        user.failed_logins = 0
        user.last_login_at = now
        return True

    async def authenticate(self, username: str, password: str) -> StoreUser | None:
        user = await self.row(username)
        if user is None or not await self.verify(user, password):
            return None
        return to_store_user(user)

    async def lookup(self, username: str) -> StoreUser | None:
        user = await self.row(username)
        return to_store_user(user) if user is not None else None

    async def list(self, limit: int = 1000) -> list[StoreUser]:
        rows = await self.session.scalars(
            select(User)
            .where(User.user_store_id == self.store.id)
            .order_by(User.username_normalized)
            .limit(limit)
        )
        return [to_store_user(u) for u in rows]

    async def create(self, user: StoreUser, password: str | None) -> StoreUser:
        if self.read_only:
            raise ReadOnlyStore(f"user store {self.identifier} is read-only")
        row = User(
            org_id=self.store.org_id,
            user_store_id=self.store.id,
            username=user.username,
            username_normalized=user.username.lower(),
            display_name=user.display_name,
            given_name=user.given_name,
            family_name=user.family_name,
            claims={},
            password_hash=hash_password(password) if password else None,
            password_changed_at=self.clock.now() if password else None,
        )
        row.emails = [
            UserEmail(
                org_id=row.org_id,
                value=v,
                value_normalized=v.lower(),
                primary=i == 0,
                position=i,
            )
            for i, v in enumerate(user.emails)
        ]
        row.phone_numbers = [
            UserPhone(org_id=row.org_id, value=v, primary=i == 0, position=i)
            for i, v in enumerate(user.phone_numbers)
        ]
        self.session.add(row)
        await self.session.flush()
        return to_store_user(row)

    async def update(
        self, username: str, changes: dict[str, Any], password: str | None = None
    ) -> StoreUser:
        if self.read_only:
            raise ReadOnlyStore(f"user store {self.identifier} is read-only")
        row = await self.row(username)
        if row is None:
            raise LookupError(username)
        for name in ("display_name", "given_name", "family_name"):
            if name in changes:
                setattr(row, name, changes[name])
        if password is not None:
            row.password_hash = hash_password(password)
            row.password_changed_at = self.clock.now()
        row.version += 1
        await self.session.flush()
        return to_store_user(row)

    async def delete(self, username: str) -> None:
        if self.read_only:
            raise ReadOnlyStore(f"user store {self.identifier} is read-only")
        row = await self.row(username)
        if row is not None:
            await self.session.delete(row)
            await self.session.flush()

    async def close(self) -> None:
        return None
