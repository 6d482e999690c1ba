"""Groups of users and their members.

A member must be a user of the group's own organization. A user id from another organization
is reported exactly like one that does not exist, so that ids cannot be probed across tenants.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete as sql_delete
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from identra.admin.common import check_changes, flush_or_conflict
from identra.errors import Conflict, InvalidInput, NotFound
from identra.observability import audit
from identra.storage.models import Group, GroupMember, Organization, User

FIELDS = ("name", "description", "external_id")
NULLABLE = ("external_id",)
MAX_MEMBERS_PER_CALL = 1000


@dataclass
class NewGroup:
    name: str
    description: str = ""
    external_id: str | None = None


async def get(session: AsyncSession, org: Organization, group_id: str) -> Group:
    group = await session.scalar(select(Group).where(Group.id == group_id, Group.org_id == org.id))
    if group is None:
        raise NotFound("group")
    return group


async def _name_taken(session: AsyncSession, org: Organization, name: str) -> bool:
    found = await session.scalar(select(Group.id).where(Group.org_id == org.id, Group.name == name))
    return found is not None


async def create(
    session: AsyncSession, org: Organization, new: NewGroup, actor: audit.Actor
) -> Group:
    conflict = f"a group named {new.name} exists"
    if await _name_taken(session, org, new.name):
        raise Conflict(conflict)
    group = Group(
        org_id=org.id, name=new.name, description=new.description, external_id=new.external_id
    )
    session.add(group)
    await flush_or_conflict(session, conflict)
    audit.record(
        session,
        org_id=org.id,
        action="group.create",
        actor=actor,
        target_type="group",
        target_id=group.id,
        details={"name": group.name},
    )
    return group


async def update(
    session: AsyncSession,
    org: Organization,
    group: Group,
    changes: dict[str, Any],
    actor: audit.Actor,
) -> Group:
    check_changes(changes, NULLABLE)
    unknown = sorted(set(changes) - set(FIELDS))
    if unknown:
        raise InvalidInput(f"{unknown[0]} cannot be changed", unknown[0])
    conflict = f"a group named {changes.get('name')} exists"
    if "name" in changes and changes["name"] != group.name:
        if await _name_taken(session, org, changes["name"]):
            raise Conflict(conflict)
    for name, value in changes.items():
        setattr(group, name, value)
    group.version += 1
    await flush_or_conflict(session, conflict)
    audit.record(
        session,
        org_id=org.id,
        action="group.update",
        actor=actor,
        target_type="group",
        target_id=group.id,
        details={"fields": sorted(changes)},
    )
    return group


async def delete(
    session: AsyncSession, org: Organization, group: Group, actor: audit.Actor
) -> None:
    audit.record(
        session,
        org_id=org.id,
        action="group.delete",
        actor=actor,
        target_type="group",
        target_id=group.id,
        details={"name": group.name},
    )
    await session.delete(group)
    await session.flush()


async def org_user_ids(
    session: AsyncSession,
    org: Organization,
    user_ids: Sequence[str],
    field: str,
    *,
    indexed: bool = True,
) -> list[str]:
    """Check that every id names a user of ``org``; the ids, de-duplicated, in order.

    ``field`` names the ids in the request body; ``indexed`` when it is a list.
    """
    wanted = list(dict.fromkeys(user_ids))
    found: set[str] = set()
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        rows = await session.scalars(
            select(User.id).where(User.org_id == org.id, User.id.in_(chunk))
        )
        found.update(rows)
    for index, user_id in enumerate(user_ids):
        if user_id not in found:
            pointer = f"{field}/{index}" if indexed else field
            raise InvalidInput(f"user {user_id} does not exist", pointer)
    return wanted


async def is_member(session: AsyncSession, group: Group, user_id: str) -> bool:
    found = await session.scalar(
        select(GroupMember.user_id).where(
            GroupMember.group_id == group.id, GroupMember.user_id == user_id
        )
    )
    return found is not None


def _touch(group: Group) -> None:
    """Membership is part of the group's state: its ETag changes with it."""
    group.version += 1


async def set_members(
    session: AsyncSession,
    org: Organization,
    group: Group,
    user_ids: Sequence[str],
    actor: audit.Actor,
) -> None:
    """Replace the members with exactly ``user_ids``."""
    if len(user_ids) > MAX_MEMBERS_PER_CALL:
        raise InvalidInput(f"at most {MAX_MEMBERS_PER_CALL} members per call", "user_ids")
    wanted = await org_user_ids(session, org, user_ids, "user_ids")
    current = set(
        await session.scalars(select(GroupMember.user_id).where(GroupMember.group_id == group.id))
    )
    added = [u for u in wanted if u not in current]
    removed = sorted(current - set(wanted))
    if removed:
        await session.execute(
            sql_delete(GroupMember).where(
                GroupMember.group_id == group.id, GroupMember.user_id.in_(removed)
            )
        )
    session.add_all(GroupMember(group_id=group.id, user_id=u) for u in added)
    if not added and not removed:
        return
    _touch(group)
    await flush_or_conflict(session, "the members changed concurrently; retry")
    audit.record(
        session,
        org_id=org.id,
        action="group.members.set",
        actor=actor,
        target_type="group",
        target_id=group.id,
        details={"added": added, "removed": removed},
    )


async def add_member(
    session: AsyncSession, org: Organization, group: Group, user_id: str, actor: audit.Actor
) -> bool:
    """Add one member; False when the user already was one (nothing changes)."""
    await org_user_ids(session, org, [user_id], "user_id", indexed=False)
    if await is_member(session, group, user_id):
        return False
    session.add(GroupMember(group_id=group.id, user_id=user_id))
    _touch(group)
    await flush_or_conflict(session, "the members changed concurrently; retry")
    audit.record(
        session,
        org_id=org.id,
        action="group.members.add",
        actor=actor,
        target_type="group",
        target_id=group.id,
        details={"user_id": user_id},
    )
    return True


async def remove_member(
    session: AsyncSession, org: Organization, group: Group, user_id: str, actor: audit.Actor
) -> None:
    if not await is_member(session, group, user_id):
        raise NotFound("member")
    await session.execute(
        sql_delete(GroupMember).where(
            GroupMember.group_id == group.id, GroupMember.user_id == user_id
        )
    )
    _touch(group)
    audit.record(
        session,
        org_id=org.id,
        action="group.members.remove",
        actor=actor,
        target_type="group",
        target_id=group.id,
        details={"user_id": user_id},
    )
    await session.flush()
