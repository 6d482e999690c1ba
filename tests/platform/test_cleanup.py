"""The cleanup job (``identra.storage.cleanup``): what goes, what must stay, and once per lease."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from identra.clock import FrozenClock
from identra.storage import cleanup
from identra.storage.models import (
    AuditEvent,
    OAuthGrant,
    OpaqueAccessToken,
    OutboxMessage,
    RefreshToken,
    RevokedToken,
    UserSession,
    Webhook,
)
from tests.protocol.oidc.support import make_app, make_user
from tests.support import Harness, harness

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)


@pytest.fixture
async def h(tmp_path: Path) -> AsyncIterator[Harness]:
    async with harness(tmp_path, clock=FrozenClock(NOW)) as value:
        yield value


async def _org_id(h: Harness) -> str:
    async with h.services.sessions() as session:
        org: str = await session.scalar(select(AuditEvent.org_id).limit(1)) or ""
    return org


async def _seed(h: Harness) -> dict[str, Any]:
    """Rows on both sides of every line, named for what the job must do with them."""
    app = await make_app(h)
    user_id = await make_user(h, username="owner")
    org_id = await _org_id(h)
    old, recent = NOW - 3 * DAY, NOW - timedelta(hours=1)
    ids: dict[str, Any] = {}
    async with h.services.sessions.begin() as s:

        def grant(name: str, created: datetime) -> OAuthGrant:
            row = OAuthGrant(
                org_id=org_id, application_id=app.id, user_id=user_id, created_at=created
            )
            s.add(row)
            ids[name] = row
            return row

        def refresh(name: str, g: OAuthGrant, expires: datetime) -> None:
            row = RefreshToken(
                org_id=org_id, grant_id=g.id, token_digest=f"d-{name}", expires_at=expires
            )
            s.add(row)
            ids[name] = row

        stale = grant("grant_stale", old)  # its refresh token expired long ago: both go
        live = grant("grant_live", old)  # a refresh token still valid: stays
        grant("grant_new", recent)  # no tokens yet (a code is out): stays
        bare = grant("grant_opaque", old)  # only an unexpired opaque token: stays
        await s.flush()
        refresh("refresh_stale", stale, NOW - 2 * DAY)
        refresh("refresh_live", live, NOW + DAY)
        # Expired, but an access token minted from it may still be valid: stays for now.
        refresh("refresh_recent", live, NOW - timedelta(minutes=5))
        for name, expires in (("opaque_expired", NOW - DAY), ("opaque_live", NOW + DAY)):
            row = OpaqueAccessToken(
                org_id=org_id,
                grant_id=bare.id if name == "opaque_live" else None,
                application_id=app.id,
                token_digest=f"o-{name}",
                claims={},
                expires_at=expires,
            )
            s.add(row)
            ids[name] = row
        s.add(RevokedToken(org_id=org_id, jti="jti-expired", expires_at=NOW - timedelta(seconds=1)))
        s.add(RevokedToken(org_id=org_id, jti="jti-live", expires_at=NOW + DAY))
        for name, ended, expires in (
            ("session_ended_long_ago", NOW - 8 * DAY, NOW + DAY),
            ("session_expired_long_ago", None, NOW - 8 * DAY),
            ("session_ended_lately", NOW - DAY, NOW + DAY),
            ("session_open", None, NOW + DAY),
        ):
            row = UserSession(org_id=org_id, user_id=user_id, expires_at=expires, ended_at=ended)
            s.add(row)
            ids[name] = row
        hook = Webhook(org_id=org_id, url="https://hooks.example/x", secret_encrypted="x")
        s.add(hook)
        await s.flush()
        for name, status, delivered, attempt in (
            ("outbox_delivered_old", "delivered", NOW - 8 * DAY, NOW - 8 * DAY),
            ("outbox_delivered_new", "delivered", NOW - DAY, NOW - DAY),
            ("outbox_failed_old", "failed", None, NOW - 31 * DAY),
            ("outbox_failed_new", "failed", None, NOW - 2 * DAY),
            ("outbox_pending_old", "pending", None, NOW - 40 * DAY),
        ):
            row = OutboxMessage(
                org_id=org_id,
                webhook_id=hook.id,
                event_type="user.created",
                payload={},
                status=status,
                delivered_at=delivered,
                next_attempt_at=attempt,
            )
            s.add(row)
            ids[name] = row
        await s.flush()
    return {name: getattr(row, "seq", None) or row.id for name, row in ids.items()}


async def _present(h: Harness, model: Any, key: Any, value: Any) -> bool:
    async with h.services.sessions() as s:
        return bool(await s.scalar(select(func.count()).select_from(model).where(key == value)))


async def test_expired_rows_go_and_live_ones_stay(h: Harness) -> None:
    ids = await _seed(h)
    removed = await cleanup.run_once(h.services)
    gone = {
        "grant_stale": (OAuthGrant, OAuthGrant.id),
        "refresh_stale": (RefreshToken, RefreshToken.id),
        "opaque_expired": (OpaqueAccessToken, OpaqueAccessToken.id),
        "session_ended_long_ago": (UserSession, UserSession.id),
        "session_expired_long_ago": (UserSession, UserSession.id),
        "outbox_delivered_old": (OutboxMessage, OutboxMessage.seq),
        "outbox_failed_old": (OutboxMessage, OutboxMessage.seq),
    }
    kept = {
        "grant_live": (OAuthGrant, OAuthGrant.id),
        "grant_new": (OAuthGrant, OAuthGrant.id),
        "grant_opaque": (OAuthGrant, OAuthGrant.id),
        "refresh_live": (RefreshToken, RefreshToken.id),
        "refresh_recent": (RefreshToken, RefreshToken.id),
        "opaque_live": (OpaqueAccessToken, OpaqueAccessToken.id),
        "session_ended_lately": (UserSession, UserSession.id),
        "session_open": (UserSession, UserSession.id),
        "outbox_delivered_new": (OutboxMessage, OutboxMessage.seq),
        "outbox_failed_new": (OutboxMessage, OutboxMessage.seq),
        "outbox_pending_old": (OutboxMessage, OutboxMessage.seq),
    }
    for name, (model, key) in gone.items():
        assert not await _present(h, model, key, ids[name]), f"{name} should be gone"
    for name, (model, key) in kept.items():
        assert await _present(h, model, key, ids[name]), f"{name} should stay"
    assert not await _present(h, RevokedToken, RevokedToken.jti, "jti-expired")
    assert await _present(h, RevokedToken, RevokedToken.jti, "jti-live")
    assert removed.counts == {
        "refresh_tokens": 1,
        "opaque_access_tokens": 1,
        "oauth_grants": 1,
        "revoked_tokens": 1,
        "user_sessions": 2,
        "outbox": 2,
    }
    # Audit events are kept unless a retention is configured.
    assert "audit_events" not in removed.counts
    # A second pass finds nothing more.
    assert (await cleanup.run_once(h.services)).counts == {}


async def test_audit_retention_when_configured(tmp_path: Path) -> None:
    async with harness(tmp_path, clock=FrozenClock(NOW + 400 * DAY), audit_retention_days=365) as h:
        await make_user(h, username="someone")  # audited now, i.e. 400 days after NOW
        async with h.services.sessions.begin() as s:
            s.add(AuditEvent(org_id="x", at=NOW, action="user.create", actor_type="system"))
        removed = await cleanup.run_once(h.services)
        assert removed.counts.get("audit_events") == 1
        async with h.services.sessions() as s:
            actions = (await s.scalars(select(AuditEvent.at))).all()
        assert actions and all(at > NOW for at in actions)


async def test_only_one_node_runs_a_pass_per_lease(h: Harness) -> None:
    await _seed(h)
    first = await cleanup.clean_if_leased(h.services, node_id="node-a")
    second = await cleanup.clean_if_leased(h.services, node_id="node-b")
    assert first is not None and first.counts
    assert second is None


async def test_batches_cover_more_rows_than_one_batch(
    h: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cleanup, "BATCH", 3)
    org_id = await _org_id(h)
    async with h.services.sessions.begin() as s:
        for i in range(8):
            s.add(
                RevokedToken(org_id=org_id, jti=f"old-{i}", expires_at=NOW - timedelta(seconds=1))
            )
    removed = await cleanup.run_once(h.services)
    assert removed.counts["revoked_tokens"] == 8
