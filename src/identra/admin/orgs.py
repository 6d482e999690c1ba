"""Organizations: creating a child gives it a PRIMARY user store and an administrator role."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from identra import permissions
from identra.errors import Conflict, InvalidInput, NotFound
from identra.observability import audit
from identra.storage.models import Organization, Role, UserStore

HANDLE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}[a-z0-9]$")
RESERVED = {"root", "api", "admin", "console", "o", "oauth2", "well-known", "static"}


async def by_handle(session: AsyncSession, handle: str) -> Organization:
    org = await session.scalar(select(Organization).where(Organization.handle == handle))
    if org is None:
        raise NotFound("organization")
    return org


async def create(
    session: AsyncSession, parent: Organization, handle: str, name: str, actor: audit.Actor
) -> Organization:
    if not HANDLE.match(handle) or handle in RESERVED:
        raise InvalidInput(
            "handle must be 2-64 lower-case letters, digits or hyphens, and not reserved",
            "handle",
        )
    if await session.scalar(select(Organization.id).where(Organization.handle == handle)):
        raise Conflict(f"the handle {handle} is taken")
    org = Organization(handle=handle, name=name, parent_id=parent.id, path="")
    session.add(org)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise Conflict(f"the handle {handle} is taken") from exc
    org.path = f"{parent.path}{org.id}/"
    session.add(UserStore(org_id=org.id, identifier="PRIMARY", kind="database", position=0))
    session.add(
        Role(
            org_id=org.id,
            name=permissions.ADMINISTRATOR_ROLE,
            description="Full management access to this organization and its descendants",
            permissions=list(permissions.ALL),
        )
    )
    audit.record(
        session,
        org_id=org.id,
        action="organization.create",
        actor=actor,
        target_type="organization",
        target_id=org.id,
        details={"handle": handle, "parent": parent.handle},
    )
    # The parent's log records it too: its administrators see what happens beneath them.
    audit.record(
        session,
        org_id=parent.id,
        action="organization.create",
        actor=actor,
        target_type="organization",
        target_id=org.id,
        details={"handle": handle},
    )
    await session.flush()
    return org


async def delete(session: AsyncSession, org: Organization, actor: audit.Actor) -> None:
    if org.parent_id is None:
        raise InvalidInput("the root organization cannot be deleted")
    child = await session.scalar(select(Organization.id).where(Organization.parent_id == org.id))
    if child is not None:
        raise Conflict("delete the organization's sub-organizations first")
    audit.record(
        session,
        org_id=org.parent_id,
        action="organization.delete",
        actor=actor,
        target_type="organization",
        target_id=org.id,
        details={"handle": org.handle},
    )
    await session.delete(org)
    await session.flush()
