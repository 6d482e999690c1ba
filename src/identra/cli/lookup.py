"""Finding the organization, user or application a command names, with messages for people."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from identra.cli.runtime import CliError
from identra.storage.models import Application, Organization, User


async def org(session: AsyncSession, handle: str) -> Organization:
    found = await session.scalar(select(Organization).where(Organization.handle == handle))
    if found is None:
        raise CliError(f"organization {handle!r} does not exist")
    return found


async def user(session: AsyncSession, where: Organization, username_or_id: str) -> User:
    """By id first, then by username (case-insensitive), inside one organization."""
    found = await session.scalar(
        select(User).where(
            User.org_id == where.id,
            or_(User.id == username_or_id, User.username_normalized == username_or_id.lower()),
        )
    )
    if found is None:
        raise CliError(f"no user {username_or_id!r} in organization {where.handle!r}")
    return found


async def app(session: AsyncSession, where: Organization, name_or_id: str) -> Application:
    """By id, client_id or name, inside one organization."""
    rows = (
        await session.scalars(
            select(Application).where(
                Application.org_id == where.id,
                or_(
                    Application.id == name_or_id,
                    Application.client_id == name_or_id,
                    Application.name == name_or_id,
                ),
            )
        )
    ).all()
    if not rows:
        raise CliError(f"no application {name_or_id!r} in organization {where.handle!r}")
    # An id or client_id match wins over a name that happens to look like one.
    exact = [a for a in rows if name_or_id in (a.id, a.client_id)]
    return (exact or list(rows))[0]
