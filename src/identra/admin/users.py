"""Creating, changing and deleting users."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from identra.admin.common import check_changes, flush_or_conflict
from identra.clock import Clock
from identra.crypto.passwords import hash_password
from identra.errors import Conflict, InvalidInput, NotFound
from identra.observability import audit
from identra.storage.models import Organization, User, UserEmail, UserPhone, UserStore


@dataclass(frozen=True)
class ContactPoint:
    value: str
    type: str | None = None
    primary: bool = False
    verified: bool = False


@dataclass
class NewUser:
    username: str
    password: str | None = None
    user_store: str = "PRIMARY"
    status: str = "active"
    display_name: str | None = None
    given_name: str | None = None
    family_name: str | None = None
    locale: str | None = None
    external_id: str | None = None
    emails: list[ContactPoint] = field(default_factory=list)
    phone_numbers: list[ContactPoint] = field(default_factory=list)
    claims: dict[str, Any] = field(default_factory=dict)
    id: str | None = None  # chosen in advance when an action is told about the user first


PLAIN_FIELDS = (
    "status",
    "display_name",
    "given_name",
    "family_name",
    "locale",
    "external_id",
    "claims",
)
NULLABLE = ("password", "display_name", "given_name", "family_name", "locale", "external_id")
STATUSES = ("active", "locked", "disabled", "unverified")
# The attributes a pre-update profile action hears about (identra.actions.users).
PROFILE_FIELDS = (
    "display_name",
    "given_name",
    "family_name",
    "locale",
    "external_id",
    "emails",
    "phone_numbers",
    "claims",
)


def contacts_of(items: list[UserEmail] | list[UserPhone]) -> list[dict[str, Any]]:
    return [
        {"value": c.value, "type": c.type, "primary": c.primary, "verified": c.verified}
        for c in items
    ]


def profile_of(user: User) -> dict[str, Any]:
    """The user's attributes, by the management API's field names."""
    return {
        "username": user.username,
        **{name: getattr(user, name) for name in PROFILE_FIELDS[:5]},
        "emails": contacts_of(user.emails),
        "phone_numbers": contacts_of(user.phone_numbers),
        "claims": dict(user.claims or {}),
    }


async def get(session: AsyncSession, org: Organization, user_id: str) -> User:
    user = await session.scalar(select(User).where(User.id == user_id, User.org_id == org.id))
    if user is None:
        raise NotFound("user")
    return user


async def store_names(session: AsyncSession, org: Organization) -> dict[str, str]:
    rows = await session.execute(
        select(UserStore.id, UserStore.identifier).where(UserStore.org_id == org.id)
    )
    return {row.id: row.identifier for row in rows}


def set_emails(user: User, items: list[ContactPoint]) -> None:
    if sum(1 for e in items if e.primary) > 1:
        raise InvalidInput("only one email may be primary", "emails")
    user.emails = [
        UserEmail(
            org_id=user.org_id,
            value=e.value,
            value_normalized=e.value.lower(),
            type=e.type,
            primary=e.primary,
            verified=e.verified,
            position=i,
        )
        for i, e in enumerate(items)
    ]


def set_phones(user: User, items: list[ContactPoint]) -> None:
    if sum(1 for p in items if p.primary) > 1:
        raise InvalidInput("only one phone number may be primary", "phone_numbers")
    user.phone_numbers = [
        UserPhone(
            org_id=user.org_id,
            value=p.value,
            type=p.type,
            primary=p.primary,
            verified=p.verified,
            position=i,
        )
        for i, p in enumerate(items)
    ]


async def check_new(session: AsyncSession, org: Organization, new: NewUser) -> UserStore:
    """The store a new user goes to, after the checks :func:`create` makes (store writable,
    username free); raises as :func:`create` would."""
    store = await session.scalar(
        select(UserStore).where(UserStore.org_id == org.id, UserStore.identifier == new.user_store)
    )
    if store is None:
        raise InvalidInput(f"user store {new.user_store} does not exist", "user_store")
    if store.read_only or not store.enabled:
        raise InvalidInput(f"user store {new.user_store} does not accept new users", "user_store")
    # Usernames are unique across all of an organization's stores, so login needs no store.
    taken = await session.scalar(
        select(User.id).where(
            User.org_id == org.id, User.username_normalized == new.username.lower()
        )
    )
    if taken is not None:
        raise Conflict(f"the username {new.username} is taken")
    return store


async def create(
    session: AsyncSession, org: Organization, new: NewUser, actor: audit.Actor, clock: Clock
) -> tuple[User, str]:
    """Create a user in one of the organization's writable stores; returns it and its store."""
    store = await check_new(session, org, new)
    normalized = new.username.lower()
    user = User(
        org_id=org.id,
        user_store_id=store.id,
        username=new.username,
        username_normalized=normalized,
        status=new.status,
        display_name=new.display_name,
        given_name=new.given_name,
        family_name=new.family_name,
        locale=new.locale,
        external_id=new.external_id,
        claims=new.claims,
        password_hash=hash_password(new.password) if new.password else None,
        password_changed_at=clock.now() if new.password else None,
    )
    if new.id is not None:
        user.id = new.id
    set_emails(user, new.emails)
    set_phones(user, new.phone_numbers)
    session.add(user)
    await flush_or_conflict(session, f"the username {new.username} is taken")
    audit.record(
        session,
        org_id=org.id,
        action="user.create",
        actor=actor,
        target_type="user",
        target_id=user.id,
        details={"username": user.username},
    )
    return user, store.identifier


async def update(
    session: AsyncSession,
    org: Organization,
    user: User,
    changes: dict[str, Any],
    actor: audit.Actor,
    clock: Clock,
) -> User:
    """Apply a partial change; ``changes`` holds only the fields the caller sent."""
    check_changes(changes, NULLABLE)
    unknown = sorted(set(changes) - {*PLAIN_FIELDS, "emails", "phone_numbers", "password"})
    if unknown:
        raise InvalidInput(f"{unknown[0]} cannot be changed", unknown[0])
    if "status" in changes and changes["status"] not in STATUSES:
        raise InvalidInput(f"status must be one of {', '.join(STATUSES)}", "status")
    for name in PLAIN_FIELDS:
        if name in changes:
            setattr(user, name, changes[name])
    if "emails" in changes:
        set_emails(user, [ContactPoint(**e) for e in changes["emails"]])
    if "phone_numbers" in changes:
        set_phones(user, [ContactPoint(**p) for p in changes["phone_numbers"]])
    if "password" in changes:
        password = changes["password"]
        user.password_hash = hash_password(password) if password else None
        user.password_changed_at = clock.now()
    if user.status == "active":
        user.locked_until = None
        user.failed_logins = 0
    user.version += 1
    await flush_or_conflict(session, "the user changed concurrently; reload and retry")
    audit.record(
        session,
        org_id=org.id,
        action="user.update",
        actor=actor,
        target_type="user",
        target_id=user.id,
        details={"fields": sorted(changes)},
    )
    return user


async def delete(session: AsyncSession, org: Organization, user: User, actor: audit.Actor) -> None:
    await session.delete(user)
    audit.record(
        session,
        org_id=org.id,
        action="user.delete",
        actor=actor,
        target_type="user",
        target_id=user.id,
        details={"username": user.username},
    )
    await session.flush()
