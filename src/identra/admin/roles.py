"""Roles (named sets of management permissions) and their assignments to users and groups.

Every organization has an ``administrator`` role holding every permission; it cannot be
deleted, renamed or narrowed, and the root organization keeps at least one holder of it so
that the deployment never locks its own administrators out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from identra import permissions
from identra.admin.common import check_changes, flush_or_conflict
from identra.admin.groups import org_user_ids
from identra.errors import Conflict, InvalidInput, NotFound
from identra.observability import audit
from identra.storage.models import Group, Organization, Role, RoleAssignment

FIELDS = ("name", "description", "permissions")
AUDIENCE = "organization"


@dataclass
class NewRole:
    name: str
    description: str = ""
    permissions: list[str] = field(default_factory=list)


def is_administrator(role: Role) -> bool:
    return role.name == permissions.ADMINISTRATOR_ROLE


def check_permissions(values: Sequence[str]) -> list[str]:
    """Known management permissions only; de-duplicated, in the order given."""
    for index, value in enumerate(values):
        if value not in permissions.ALL:
            raise InvalidInput(f"{value!r} is not a management permission", f"permissions/{index}")
    return list(dict.fromkeys(values))


async def get(session: AsyncSession, org: Organization, role_id: str) -> Role:
    role = await session.scalar(
        select(Role).where(Role.id == role_id, Role.org_id == org.id, Role.audience == AUDIENCE)
    )
    if role is None:
        raise NotFound("role")
    return role


async def _name_taken(session: AsyncSession, org: Organization, name: str) -> bool:
    found = await session.scalar(select(Role.id).where(Role.org_id == org.id, Role.name == name))
    return found is not None


async def create(
    session: AsyncSession, org: Organization, new: NewRole, actor: audit.Actor
) -> Role:
    perms = check_permissions(new.permissions)
    conflict = f"a role named {new.name} exists"
    if await _name_taken(session, org, new.name):
        raise Conflict(conflict)
    role = Role(
        org_id=org.id,
        name=new.name,
        description=new.description,
        audience=AUDIENCE,
        permissions=perms,
    )
    session.add(role)
    await flush_or_conflict(session, conflict)
    audit.record(
        session,
        org_id=org.id,
        action="role.create",
        actor=actor,
        target_type="role",
        target_id=role.id,
        details={"name": role.name, "permissions": perms},
    )
    return role


async def update(
    session: AsyncSession,
    org: Organization,
    role: Role,
    changes: dict[str, Any],
    actor: audit.Actor,
) -> Role:
    check_changes(changes)
    unknown = sorted(set(changes) - set(FIELDS))
    if unknown:
        raise InvalidInput(f"{unknown[0]} cannot be changed", unknown[0])
    if "permissions" in changes:
        changes["permissions"] = check_permissions(changes["permissions"])
    if is_administrator(role):
        if "name" in changes and changes["name"] != role.name:
            raise InvalidInput("the administrator role cannot be renamed", "name")
        if "permissions" in changes and set(changes["permissions"]) != set(permissions.ALL):
            raise InvalidInput("the administrator role keeps every permission", "permissions")
    conflict = f"a role named {changes.get('name')} exists"
    if "name" in changes and changes["name"] != role.name:
        if await _name_taken(session, org, changes["name"]):
            raise Conflict(conflict)
    for name, value in changes.items():
        setattr(role, name, value)
    role.version += 1
    await flush_or_conflict(session, conflict)
    details: dict[str, Any] = {"fields": sorted(changes)}
    if "permissions" in changes:
        details["permissions"] = changes["permissions"]
    audit.record(
        session,
        org_id=org.id,
        action="role.update",
        actor=actor,
        target_type="role",
        target_id=role.id,
        details=details,
    )
    return role


async def delete(session: AsyncSession, org: Organization, role: Role, actor: audit.Actor) -> None:
    if is_administrator(role):
        raise Conflict("the administrator role cannot be deleted")
    audit.record(
        session,
        org_id=org.id,
        action="role.delete",
        actor=actor,
        target_type="role",
        target_id=role.id,
        details={"name": role.name},
    )
    await session.delete(role)
    await session.flush()


async def get_assignment(session: AsyncSession, role: Role, assignment_id: str) -> RoleAssignment:
    found = await session.scalar(
        select(RoleAssignment).where(
            RoleAssignment.id == assignment_id,
            RoleAssignment.role_id == role.id,
            RoleAssignment.org_id == role.org_id,
        )
    )
    if found is None:
        raise NotFound("assignment")
    return found


async def assign(
    session: AsyncSession,
    org: Organization,
    role: Role,
    actor: audit.Actor,
    *,
    user_id: str | None = None,
    group_id: str | None = None,
) -> RoleAssignment:
    """Assign the role to one user or one group of the same organization.

    The unique constraint on (role, user, group) does not hold when one side is NULL, so
    assignments to a role are serialized by updating the role row first (its version: an
    assignment changes who holds the role); the duplicate check then sees every committed one.
    """
    if (user_id is None) == (group_id is None):
        raise InvalidInput("give exactly one of user_id and group_id")
    if user_id is not None:
        await org_user_ids(session, org, [user_id], "user_id", indexed=False)
        same = RoleAssignment.user_id == user_id
        subject = f"user {user_id}"
    else:
        found = await session.scalar(
            select(Group.id).where(Group.id == group_id, Group.org_id == org.id)
        )
        if found is None:
            raise InvalidInput(f"group {group_id} does not exist", "group_id")
        same = RoleAssignment.group_id == group_id
        subject = f"group {group_id}"
    conflict = f"the role is already assigned to {subject}"
    role.version += 1
    await session.flush()
    if await session.scalar(
        select(RoleAssignment.id).where(RoleAssignment.role_id == role.id, same)
    ):
        raise Conflict(conflict)
    assignment = RoleAssignment(org_id=org.id, role_id=role.id, user_id=user_id, group_id=group_id)
    session.add(assignment)
    await flush_or_conflict(session, conflict)
    audit.record(
        session,
        org_id=org.id,
        action="role.assign",
        actor=actor,
        target_type="role",
        target_id=role.id,
        details={"assignment_id": assignment.id, "user_id": user_id, "group_id": group_id},
    )
    return assignment


async def unassign(
    session: AsyncSession,
    org: Organization,
    role: Role,
    assignment: RoleAssignment,
    actor: audit.Actor,
) -> None:
    role.version += 1
    await session.flush()  # serializes changes to the role's assignments (see assign)
    if is_administrator(role) and org.parent_id is None:
        holders = await session.scalar(
            select(func.count())
            .select_from(RoleAssignment)
            .where(RoleAssignment.role_id == role.id)
        )
        if (holders or 0) <= 1:
            raise Conflict("the root organization's administrator role must keep one assignment")
    audit.record(
        session,
        org_id=org.id,
        action="role.unassign",
        actor=actor,
        target_type="role",
        target_id=role.id,
        details={
            "assignment_id": assignment.id,
            "user_id": assignment.user_id,
            "group_id": assignment.group_id,
        },
    )
    await session.delete(assignment)
    await session.flush()
