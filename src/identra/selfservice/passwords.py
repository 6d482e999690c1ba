"""Checking and storing a user-chosen password: the policy, the history, the hash."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from identra.clock import Clock
from identra.crypto.passwords import hash_password
from identra.selfservice.policy import PasswordPolicy, Violation, check, reused
from identra.storage.models import PasswordHistory, User


def identifiers(user: User) -> list[str]:
    return [user.username, *(e.value for e in user.emails)]


async def recent_hashes(session: AsyncSession, user: User, count: int) -> list[str]:
    """The user's current password hash and earlier ones, newest first, ``count`` at most."""
    if count <= 0:
        return []
    hashes = [user.password_hash] if user.password_hash else []
    rows = await session.scalars(
        select(PasswordHistory.password_hash)
        .where(PasswordHistory.org_id == user.org_id, PasswordHistory.user_id == user.id)
        .order_by(PasswordHistory.created_at.desc())
        .limit(count)
    )
    return (hashes + list(rows))[:count]


async def violations(
    session: AsyncSession, policy: PasswordPolicy, user: User, password: str
) -> list[Violation]:
    """Every rule ``password`` breaks as the new password of ``user``; the costly history
    check runs only when the cheap rules pass."""
    found = check(policy, password, identifiers(user))
    if found:
        return found
    hashes = await recent_hashes(session, user, policy.history)
    again = await reused(policy, password, hashes)
    return [again] if again is not None else []


async def new_hash(password: str) -> str:
    """argon2id in a worker thread (about half a second of CPU)."""
    return await asyncio.to_thread(hash_password, password)


async def store(
    session: AsyncSession, user: User, hashed: str, policy: PasswordPolicy, clock: Clock
) -> None:
    """Make ``hashed`` the user's password: the old hash moves to the history (pruned to what
    the policy looks at), the lockout counters are reset."""
    now = clock.now()
    keep = max(policy.history, 1)
    if user.password_hash:
        newest = await session.scalar(
            select(PasswordHistory.created_at)
            .where(PasswordHistory.user_id == user.id)
            .order_by(PasswordHistory.created_at.desc())
            .limit(1)
        )
        # Strictly increasing times keep the order even under a frozen clock.
        stamp = now if newest is None or newest < now else newest + timedelta(microseconds=1)
        session.add(
            PasswordHistory(
                org_id=user.org_id,
                user_id=user.id,
                password_hash=user.password_hash,
                created_at=stamp,
            )
        )
        await session.flush()
        stale = list(
            await session.scalars(
                select(PasswordHistory.id)
                .where(PasswordHistory.user_id == user.id)
                .order_by(PasswordHistory.created_at.desc())
                .offset(keep)
            )
        )
        if stale:
            await session.execute(delete(PasswordHistory).where(PasswordHistory.id.in_(stale)))
    user.password_hash = hashed
    user.password_changed_at = now
    user.failed_logins = 0
    user.locked_until = None
    user.version += 1


def changed_stamp(value: datetime | None) -> int:
    """``password_changed_at`` as an integer, to bind a reset link to the password it replaces."""
    return 0 if value is None else int(value.timestamp() * 1_000_000)
