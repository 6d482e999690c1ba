"""User stores of an organization: where its users live, read in ``position`` order.

This module creates database stores; directory (LDAP) stores, which carry a connection
configuration and a sealed bind password, are created by ``identra.userstores.config``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from identra.admin.common import check_changes, flush_or_conflict
from identra.errors import Conflict, InvalidInput, NotFound
from identra.observability import audit
from identra.storage.models import Group, Organization, User, UserStore

IDENTIFIER = re.compile(r"^[A-Z0-9_-]{1,32}$")
KINDS = ("database",)
FIELDS = ("description", "position", "read_only", "enabled")


@dataclass
class NewUserStore:
    identifier: str
    kind: str = "database"
    description: str = ""
    position: int | None = None
    read_only: bool = False
    enabled: bool = True


def check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise InvalidInput(
            f"user store kind {kind!r} is not created here; LDAP stores need a config "
            "(identra.userstores.config)",
            "kind",
        )


async def get(session: AsyncSession, org: Organization, store_id: str) -> UserStore:
    store = await session.scalar(
        select(UserStore).where(UserStore.id == store_id, UserStore.org_id == org.id)
    )
    if store is None:
        raise NotFound("user store")
    return store


async def create(
    session: AsyncSession, org: Organization, new: NewUserStore, actor: audit.Actor
) -> UserStore:
    if not IDENTIFIER.match(new.identifier):
        raise InvalidInput(
            "identifier must be 1-32 upper-case letters, digits, '_' or '-'", "identifier"
        )
    check_kind(new.kind)
    taken = await session.scalar(
        select(UserStore.id).where(
            UserStore.org_id == org.id, UserStore.identifier == new.identifier
        )
    )
    conflict = f"a user store {new.identifier} exists"
    if taken is not None:
        raise Conflict(conflict)
    position = new.position
    if position is None:
        last = await session.scalar(
            select(func.max(UserStore.position)).where(UserStore.org_id == org.id)
        )
        position = 0 if last is None else last + 1
    store = UserStore(
        org_id=org.id,
        identifier=new.identifier,
        kind=new.kind,
        description=new.description,
        position=position,
        read_only=new.read_only,
        enabled=new.enabled,
    )
    session.add(store)
    await flush_or_conflict(session, conflict)
    audit.record(
        session,
        org_id=org.id,
        action="userstore.create",
        actor=actor,
        target_type="userstore",
        target_id=store.id,
        details={"identifier": store.identifier, "kind": store.kind},
    )
    return store


async def update(
    session: AsyncSession,
    org: Organization,
    store: UserStore,
    changes: dict[str, Any],
    actor: audit.Actor,
) -> UserStore:
    check_changes(changes)
    unknown = set(changes) - set(FIELDS)
    if unknown:
        raise InvalidInput(f"{sorted(unknown)[0]} cannot be changed", sorted(unknown)[0])
    for name, value in changes.items():
        setattr(store, name, value)
    store.version += 1
    audit.record(
        session,
        org_id=org.id,
        action="userstore.update",
        actor=actor,
        target_type="userstore",
        target_id=store.id,
        details={"identifier": store.identifier, "fields": sorted(changes)},
    )
    await session.flush()
    return store


async def delete(
    session: AsyncSession, org: Organization, store: UserStore, actor: audit.Actor
) -> None:
    # Lock the row first (PostgreSQL): a user being added to the store concurrently either
    # commits before the count below sees it, or waits and then fails its foreign key check.
    await session.execute(select(UserStore.id).where(UserStore.id == store.id).with_for_update())
    users = await session.scalar(
        select(func.count()).select_from(User).where(User.user_store_id == store.id)
    )
    if users:
        raise Conflict(f"user store {store.identifier} still has {users} user(s)")
    groups = await session.scalar(
        select(func.count()).select_from(Group).where(Group.user_store_id == store.id)
    )
    if groups:
        raise Conflict(f"user store {store.identifier} still has {groups} group(s)")
    stores = await session.scalar(
        select(func.count()).select_from(UserStore).where(UserStore.org_id == org.id)
    )
    if (stores or 0) <= 1:
        raise Conflict("the last user store of an organization cannot be deleted")
    audit.record(
        session,
        org_id=org.id,
        action="userstore.delete",
        actor=actor,
        target_type="userstore",
        target_id=store.id,
        details={"identifier": store.identifier},
    )
    await session.delete(store)
    await flush_or_conflict(session, f"user store {store.identifier} is in use")
