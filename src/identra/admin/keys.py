"""Deployment-wide signing keys: listing (public material only) and rotation.

Keys belong to the deployment, not to one organization, so they are managed through the root
organization. Rotation keeps the retired key published for the longest lifetime a token it
signed can have, so every token issued before the rotation still verifies.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from identra.crypto.keyring import Keyring
from identra.errors import InvalidInput
from identra.observability import audit
from identra.settings import TokenSettings
from identra.storage.models import Application, Organization, SigningKey

ALGS = ("RS256", "PS256", "ES256", "EdDSA")


def status_of(row: SigningKey, now: datetime) -> str:
    if row.expires_at is not None and row.expires_at <= now:
        return "expired"
    return row.status


async def longest_token_ttl(session: AsyncSession, tokens: TokenSettings) -> int:
    """Seconds the longest-lived signed token (access or ID token) can stay valid."""
    row = (
        await session.execute(
            select(func.max(Application.access_token_ttl), func.max(Application.id_token_ttl))
        )
    ).one()
    candidates = [tokens.access_token_ttl, tokens.id_token_ttl, *(v for v in row if v)]
    return max(int(v) for v in candidates)


async def rotate(
    session: AsyncSession,
    org: Organization,
    keyring: Keyring,
    alg: str,
    tokens: TokenSettings,
    actor: audit.Actor,
) -> str:
    """Promote the next key for ``alg``; returns the new active key's ``kid``.

    ``org`` is the root organization, whose audit log records the rotation.
    """
    if alg not in ALGS:
        raise InvalidInput(f"alg must be one of {', '.join(ALGS)}", "alg")
    overlap = await longest_token_ttl(session, tokens)
    previous = list(
        await session.scalars(
            select(SigningKey.kid).where(
                SigningKey.org_id.is_(None), SigningKey.alg == alg, SigningKey.status == "active"
            )
        )
    )
    # The keyring commits the rotation in its own transaction and reloads this node's keys.
    kid = await keyring.rotate(alg, overlap_seconds=overlap)
    audit.record(
        session,
        org_id=org.id,
        action="keys.rotate",
        actor=actor,
        target_type="signing_key",
        target_id=kid,
        details={"alg": alg, "retired": previous, "overlap_seconds": overlap},
    )
    await session.flush()
    return kid
