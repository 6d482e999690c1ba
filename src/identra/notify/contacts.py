"""Where to reach a user: their verified email address and phone number, from SQL.

Only active users of enabled user stores are reachable. Email goes only to a *verified*
address (primary first). SMS goes to the primary number among the verified ones, or among all
numbers when none is marked verified (numbers provisioned by an administrator, SCIM or an
import are trusted as given); numbers that are not valid E.164 are skipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from identra.notify.phone import InvalidPhoneNumber, normalize_e164
from identra.storage.models import User, UserStore
from identra.storage.models.users import UserEmail, UserPhone


@dataclass(frozen=True)
class Contact:
    user_id: str
    username: str
    email: str | None  # a verified address
    phone: str | None  # E.164


def _email(user: User) -> str | None:
    verified = [e for e in user.emails if e.verified]
    verified.sort(key=lambda e: (not e.primary, e.position))
    return verified[0].value if verified else None


def _phone(user: User) -> str | None:
    numbers: list[UserPhone] = list(user.phone_numbers)
    if any(p.verified for p in numbers):
        numbers = [p for p in numbers if p.verified]
    numbers.sort(key=lambda p: (not p.primary, p.position))
    for number in numbers:
        try:
            return normalize_e164(number.value)
        except InvalidPhoneNumber:
            continue
    return None


def _contact(user: User) -> Contact:
    return Contact(user.id, user.username, _email(user), _phone(user))


class Contacts:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    def _reachable(self, org_id: str) -> Select[Any]:
        return (
            select(User)
            .join(UserStore, UserStore.id == User.user_store_id)
            .where(User.org_id == org_id, User.status == "active", UserStore.enabled.is_(True))
        )

    async def of_user(self, org_id: str, user_id: str) -> Contact | None:
        async with self._sessions() as session:
            user = await session.scalar(self._reachable(org_id).where(User.id == user_id))
            return None if user is None else _contact(user)

    async def find(self, org_id: str, identifier: str) -> Contact | None:
        """The active user known by ``identifier``: a username (in user-store order), else a
        verified email address belonging to exactly one user. None when nobody or several
        match."""
        value = identifier.strip().lower()
        if not value or len(value) > 320:
            return None
        async with self._sessions() as session:
            user = await session.scalar(
                self._reachable(org_id)
                .where(User.username_normalized == value)
                .order_by(UserStore.position)
                .limit(1)
            )
            if user is None and "@" in value:
                found = (
                    await session.scalars(
                        self._reachable(org_id)
                        .join(UserEmail, UserEmail.user_id == User.id)
                        .where(
                            UserEmail.org_id == org_id,
                            UserEmail.value_normalized == value,
                            UserEmail.verified.is_(True),
                        )
                        .distinct()
                        .limit(2)
                    )
                ).all()
                user = found[0] if len(found) == 1 else None
            return None if user is None else _contact(user)
