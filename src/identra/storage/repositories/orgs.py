"""Organization look-ups shared by the protocol and management layers."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from identra.storage.models import Organization


async def by_handle(session: AsyncSession, handle: str) -> Organization | None:
    return await session.scalar(select(Organization).where(Organization.handle == handle))


async def root(session: AsyncSession) -> Organization:
    org = await session.scalar(select(Organization).where(Organization.parent_id.is_(None)))
    if org is None:
        raise LookupError("the root organization does not exist; run bootstrap")
    return org


def issuer_for(base_issuer: str, org: Organization) -> str:
    """The root organization answers at the base issuer; others under ``/o/{handle}``."""
    return base_issuer if org.parent_id is None else f"{base_issuer}/o/{org.handle}"
