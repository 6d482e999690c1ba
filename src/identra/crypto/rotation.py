"""Scheduled signing-key rotation, once across all nodes.

Every :data:`CHECK_SECONDS` each node looks at the active deployment keys. When one was
activated more than ``IDENTRA_KEY_ROTATION_DAYS`` days ago (0 turns the schedule off), the node
tries to take a lease on the cache backend (``Cache.add``: only one node can hold it, for
:data:`LEASE_SECONDS`); the holder checks again under the lease and rotates with overlap
(``Keyring.rotate``: the published next key becomes active, the old one stays in the JWKS for
the longest token lifetime). The write to ``signing_keys`` is broadcast as a configuration
event, so every node reloads its keyring at once.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from identra.cache.base import Cache
from identra.cache.invalidation import ConfigEvents
from identra.clock import Clock
from identra.crypto.keyring import Keyring
from identra.settings import Settings
from identra.storage.models import Application
from identra.storage.repositories import keys as key_rows

log = logging.getLogger(__name__)
CHECK_SECONDS = 600.0
LEASE_SECONDS = 300.0
LEASE_KEY = "keys:rotation-lease"
NODE_ID = secrets.token_hex(8)


class RotationServices(Protocol):
    @property
    def settings(self) -> Settings: ...

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]: ...

    @property
    def cache(self) -> Cache: ...

    @property
    def keyring(self) -> Keyring: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def events(self) -> ConfigEvents: ...


async def longest_token_lifetime(services: RotationServices) -> int:
    """Seconds a token signed now may stay valid: how long a retired key stays published."""
    tokens = services.settings.tokens
    longest = max(tokens.access_token_ttl, tokens.id_token_ttl)
    async with services.sessions() as session:
        row = (
            await session.execute(
                select(func.max(Application.access_token_ttl), func.max(Application.id_token_ttl))
            )
        ).one()
    return int(max([longest, *(v for v in row if v is not None)]))


async def _due(services: RotationServices, now: datetime) -> list[str]:
    """Algorithms whose active key is older than the configured age."""
    max_age = timedelta(days=services.settings.key_rotation_days)
    async with services.sessions() as session:
        rows = await key_rows.published_keys(session, now)
    return sorted(
        {
            r.alg
            for r in rows
            if r.status == "active" and (r.activated_at or r.created_at) <= now - max_age
        }
    )


async def rotate_if_due(services: RotationServices, node_id: str = NODE_ID) -> list[str]:
    """Rotate every algorithm whose active key is too old; returns the new active kids."""
    if services.settings.key_rotation_days <= 0:
        return []
    if not await _due(services, services.clock.now()):
        return []
    if not await services.cache.add(LEASE_KEY, node_id, ttl=LEASE_SECONDS):
        return []
    # Under the lease, look again: another node may have rotated just before we took it.
    due = await _due(services, services.clock.now())
    if not due:
        return []
    overlap = await longest_token_lifetime(services)
    rotated = []
    for alg in due:
        kid = await services.keyring.rotate(alg, overlap)
        log.info("signing key rotated on schedule", extra={"alg": alg, "kid": kid})
        rotated.append(kid)
    return rotated


def schedule(services: RotationServices) -> None:
    """Check every :data:`CHECK_SECONDS` until the node stops (``ConfigEvents.every``)."""

    async def check() -> None:
        await rotate_if_due(services)

    services.events.every(CHECK_SECONDS, check)
