"""Delete rows that can no longer matter, once across all nodes.

Every :data:`CHECK_SECONDS` each node tries to take a lease on the cache backend
(``Cache.add``: one holder at a time, for :data:`LEASE_SECONDS`); the holder deletes, in
batches of :data:`BATCH` so no transaction holds locks for long:

- refresh tokens expired for longer than the longest access-token lifetime plus a day (an
  access token minted from one can outlive it by that much, and its grant must stay until then);
- grants with no refresh or opaque token left, created before that same horizon (a missing
  grant reads as revoked, so only grants whose every token has certainly expired go);
- opaque access tokens and revoked-``jti`` marks past their expiry;
- SSO session records ended or expired more than :data:`SESSION_RETENTION_DAYS` ago;
- webhook outbox messages delivered more than :data:`OUTBOX_DELIVERED_DAYS` ago, and failed ones
  after :data:`OUTBOX_FAILED_DAYS` (kept that long for operators to look into);
- audit events older than ``IDENTRA_AUDIT_RETENTION_DAYS``, when that is set (0 keeps all).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, exists, func, or_, select

from identra.crypto.rotation import NODE_ID, RotationServices, longest_token_lifetime
from identra.storage.models import (
    AuditEvent,
    OAuthGrant,
    OpaqueAccessToken,
    OutboxMessage,
    RefreshToken,
    RevokedToken,
    UserSession,
)

log = logging.getLogger(__name__)
CHECK_SECONDS = 900.0
LEASE_SECONDS = 600.0
LEASE_KEY = "maintenance:cleanup-lease"
BATCH = 1000
SESSION_RETENTION_DAYS = 7
OUTBOX_DELIVERED_DAYS = 7
OUTBOX_FAILED_DAYS = 30


@dataclass
class Removed:
    """Rows deleted per table in one run."""

    counts: dict[str, int] = field(default_factory=dict)

    def add(self, table: str, n: int) -> None:
        if n:
            self.counts[table] = self.counts.get(table, 0) + n


async def _delete_batches(
    services: RotationServices, model: Any, key: Any, condition: Any, removed: Removed
) -> None:
    """Delete rows matching ``condition`` in batches of :data:`BATCH`, one transaction each."""
    while True:
        async with services.sessions.begin() as session:
            ids = (await session.scalars(select(key).where(condition).limit(BATCH))).all()
            if ids:
                await session.execute(delete(model).where(key.in_(ids)))
        removed.add(model.__tablename__, len(ids))
        if len(ids) < BATCH:
            return


def _grant_unused(horizon: datetime) -> Any:
    refresh = exists().where(RefreshToken.grant_id == OAuthGrant.id)
    opaque = exists().where(OpaqueAccessToken.grant_id == OAuthGrant.id)
    return (OAuthGrant.created_at < horizon) & ~refresh & ~opaque


async def run_once(services: RotationServices) -> Removed:
    """One cleanup pass (no lease: :func:`clean_if_leased` takes it)."""
    now = services.clock.now()
    horizon = now - timedelta(seconds=await longest_token_lifetime(services)) - timedelta(days=1)
    removed = Removed()
    plan: list[tuple[Any, Any, Any]] = [
        (RefreshToken, RefreshToken.id, RefreshToken.expires_at < horizon),
        (OpaqueAccessToken, OpaqueAccessToken.id, OpaqueAccessToken.expires_at < now),
        (OAuthGrant, OAuthGrant.id, _grant_unused(horizon)),
        (RevokedToken, RevokedToken.jti, RevokedToken.expires_at < now),
        (
            UserSession,
            UserSession.id,
            func.coalesce(UserSession.ended_at, UserSession.expires_at)
            < now - timedelta(days=SESSION_RETENTION_DAYS),
        ),
        (
            OutboxMessage,
            OutboxMessage.seq,
            or_(
                (OutboxMessage.status == "delivered")
                & (OutboxMessage.delivered_at < now - timedelta(days=OUTBOX_DELIVERED_DAYS)),
                (OutboxMessage.status == "failed")
                & (OutboxMessage.next_attempt_at < now - timedelta(days=OUTBOX_FAILED_DAYS)),
            ),
        ),
    ]
    retention = services.settings.audit_retention_days
    if retention > 0:
        cutoff = now - timedelta(days=retention)
        plan.append((AuditEvent, AuditEvent.seq, AuditEvent.at < cutoff))
    for model, key, condition in plan:
        await _delete_batches(services, model, key, condition, removed)
    return removed


async def clean_if_leased(services: RotationServices, node_id: str = NODE_ID) -> Removed | None:
    """Run a pass when this node takes the lease; None when another node holds it."""
    if not await services.cache.add(LEASE_KEY, node_id, ttl=LEASE_SECONDS):
        return None
    removed = await run_once(services)
    if removed.counts:
        log.info("expired rows removed", extra={"removed": removed.counts})
    return removed


def schedule(services: RotationServices) -> None:
    """Every :data:`CHECK_SECONDS` until the node stops (``ConfigEvents.every``)."""

    async def check() -> None:
        await clean_if_leased(services)

    services.events.every(CHECK_SECONDS, check)
