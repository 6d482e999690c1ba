"""Reading enrolled credentials (TOTP, backup codes...) shared by the authenticators."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from identra.storage.models import Credential


async def newest(session: AsyncSession, org_id: str, user_id: str, kind: str) -> Credential | None:
    """The user's most recently enrolled credential of ``kind``, if any."""
    found: Credential | None = await session.scalar(
        select(Credential)
        .where(Credential.org_id == org_id, Credential.user_id == user_id, Credential.kind == kind)
        .order_by(Credential.created_at.desc())
        .limit(1)
    )
    return found
