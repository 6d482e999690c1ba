"""An organization's branding row (``branding`` with no application)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from identra.storage.models import Branding


async def org_row(session: AsyncSession, org_id: str) -> Branding | None:
    return await session.scalar(
        select(Branding).where(Branding.org_id == org_id, Branding.application_id.is_(None))
    )


async def put(session: AsyncSession, org_id: str, config: dict[str, Any]) -> Branding:
    row = await org_row(session, org_id)
    if row is None:
        row = Branding(org_id=org_id, application_id=None, config=config)
        session.add(row)
    else:
        row.config = dict(config)  # a new dict, so the JSON column is seen as changed
    await session.flush()
    return row


async def remove(session: AsyncSession, org_id: str) -> bool:
    row = await org_row(session, org_id)
    if row is None:
        return False
    await session.delete(row)
    await session.flush()
    return True
