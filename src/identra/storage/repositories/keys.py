"""Signing-key rows: load, create and rotate with overlap."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from identra.crypto import jwk
from identra.crypto.secretbox import SecretBox
from identra.storage.models import SigningKey


def _new_row(alg: str, status: str, box: SecretBox, now: datetime) -> SigningKey:
    key = jwk.generate(alg)
    kid = jwk.new_kid()
    return SigningKey(
        kid=kid,
        alg=alg,
        status=status,
        public_jwk=jwk.public_jwk(key, kid, alg),
        private_jwk_encrypted=box.encrypt(jwk.private_json(key), context=f"signing-key:{kid}"),
        activated_at=now if status == "active" else None,
        created_at=now,
    )


async def published_keys(session: AsyncSession, now: datetime) -> list[SigningKey]:
    rows = (await session.scalars(select(SigningKey).where(SigningKey.org_id.is_(None)))).all()
    return [r for r in rows if r.expires_at is None or r.expires_at > now]


async def ensure_keys(session: AsyncSession, alg: str, box: SecretBox, now: datetime) -> bool:
    """Create the first active key, and a published next key, for ``alg`` if missing."""
    rows = await published_keys(session, now)
    created = False
    if not any(r.status == "active" and r.alg == alg for r in rows):
        session.add(_new_row(alg, "active", box, now))
        created = True
    if not any(r.status == "next" and r.alg == alg for r in rows):
        session.add(_new_row(alg, "next", box, now))
        created = True
    return created


async def rotate(
    session: AsyncSession, alg: str, box: SecretBox, now: datetime, overlap: timedelta
) -> SigningKey:
    """Promote the published next key, retire the active one, publish a fresh next key.

    The retired key stays in the JWKS for ``overlap`` (the longest token lifetime), so tokens
    it signed still verify; the promoted key was published one rotation earlier, so relying
    parties that cache the JWKS already know it.
    """
    rows = await published_keys(session, now)
    for row in rows:
        if row.status == "active" and row.alg == alg:
            row.status = "retired"
            row.retired_at = now
            row.expires_at = now + overlap
    promoted = next((r for r in rows if r.status == "next" and r.alg == alg), None)
    if promoted is None:
        promoted = _new_row(alg, "active", box, now)
        session.add(promoted)
    promoted.status = "active"
    promoted.activated_at = now
    session.add(_new_row(alg, "next", box, now))
    return promoted


def load_private(row: SigningKey, box: SecretBox) -> jwk.LoadedKey:
    data = json.loads(box.decrypt(row.private_jwk_encrypted, context=f"signing-key:{row.kid}"))
    return jwk.LoadedKey(row.kid, row.alg, jwk.import_private(data), row.public_jwk)
