"""Standard OIDC claims (OIDC Core §5.1) of a user, for ID tokens and UserInfo."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import joinedload

from identra.protocols.oidc.storage import UserProfile
from identra.storage.models import User

# Standard claims that may be kept in the user's free-form ``claims`` document.
_FROM_DOCUMENT = (
    "middle_name",
    "nickname",
    "profile",
    "picture",
    "website",
    "gender",
    "birthdate",
    "zoneinfo",
    "address",
)


def standard_claims(user: User) -> dict[str, Any]:
    claims: dict[str, Any] = {"preferred_username": user.username}
    name = user.display_name or " ".join(p for p in (user.given_name, user.family_name) if p)
    if name:
        claims["name"] = name
    if user.given_name:
        claims["given_name"] = user.given_name
    if user.family_name:
        claims["family_name"] = user.family_name
    if user.locale:
        claims["locale"] = user.locale
    document = user.claims or {}
    for key in _FROM_DOCUMENT:
        value = document.get(key)
        if key == "address" and not isinstance(value, dict):
            continue
        if value is not None and (key == "address" or isinstance(value, str)):
            claims[key] = value
    if user.updated_at is not None:
        claims["updated_at"] = int(user.updated_at.timestamp())
    emails = sorted(user.emails, key=lambda e: (not e.primary, e.position))
    if emails:
        claims["email"] = emails[0].value
        claims["email_verified"] = bool(emails[0].verified)
    phones = sorted(user.phone_numbers, key=lambda p: (not p.primary, p.position))
    if phones:
        claims["phone_number"] = phones[0].value
        claims["phone_number_verified"] = bool(phones[0].verified)
    return claims


class SqlUserDirectory:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def profile(self, org_id: str, user_id: str) -> UserProfile | None:
        if len(user_id) > 36:
            return None
        async with self._sessions() as session:
            # One query with the emails and phone numbers joined (the relationships load with
            # two more by default): this runs on every refresh and ID token.
            user = (
                (
                    await session.scalars(
                        select(User)
                        .where(User.id == user_id, User.org_id == org_id)
                        .options(joinedload(User.emails), joinedload(User.phone_numbers))
                    )
                )
                .unique()
                .one_or_none()
            )
            if user is None:
                return None
            return UserProfile(
                id=user.id,
                org_id=user.org_id,
                active=user.status == "active",
                claims=standard_claims(user),
            )
