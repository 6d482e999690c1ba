"""Event webhooks: the audit log relayed to an organization's endpoints through a durable,
signed outbox.

Where events come from: every change Identra makes is audited in the same transaction
(``identra.observability.audit``). The relay reads the audit log past each webhook's cursor
(``webhooks.relayed_seq``), maps audit actions to event types (:func:`event_type`), and queues
one ``outbox`` row per subscribed webhook and event; the unique ``(webhook_id, source_seq)``
makes the relay idempotent, so several nodes may run it at once. Events committed out of
sequence order (concurrent transactions on PostgreSQL) are caught by re-reading the last
:data:`LOOKBACK` seconds. A new webhook receives events from its creation on.

Delivery: due messages are claimed with a conditional update (one node sends each attempt),
POSTed as JSON with Standard Webhooks headers (``identra.actions.signing``: ``webhook-id`` is
the event id and stays the same on retries, so receivers can drop duplicates), and marked
``delivered`` on a 2xx. Anything else is retried with exponential backoff
(:func:`backoff`: 5 s, 20 s, 80 s, ... capped at 6 hours) up to :data:`MAX_ATTEMPTS` attempts,
then marked ``failed``. Messages survive restarts: the outbox is a table.

:func:`schedule` runs relay and delivery every second on each node (``services.events.every``).
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from identra import __version__
from identra.actions import signing
from identra.actions.caller import new_transport
from identra.services import Services
from identra.storage.models import AuditEvent, Organization, OutboxMessage, Webhook
from identra.storage.types import utcnow

log = logging.getLogger(__name__)

EVENT_TYPES = (
    "user.created",
    "user.updated",
    "user.deleted",
    "user.password_changed",
    "login.succeeded",
    "login.failed",
    "session.ended",
    "group.created",
    "group.updated",
    "group.deleted",
    "group.members_changed",
)
_BY_ACTION = {
    "user.create": "user.created",
    "user.register": "user.created",
    "user.provision": "user.created",
    "user.update": "user.updated",
    "user.profile_update": "user.updated",
    "user.email_change": "user.updated",
    "user.email_verify": "user.updated",
    "user.lock": "user.updated",
    "user.unlink": "user.updated",
    "user.federated_link": "user.updated",
    "user.delete": "user.deleted",
    "user.password_change": "user.password_changed",
    "user.password_reset": "user.password_changed",
    "session.end": "session.ended",
    "session.revoke": "session.ended",
    "user.sessions_end": "session.ended",
    # Management API, CLI and SCIM alike (SCIM writes go through identra.admin).
    "group.create": "group.created",
    "group.update": "group.updated",
    "group.delete": "group.deleted",
    "group.members.set": "group.members_changed",
    "group.members.add": "group.members_changed",
    "group.members.remove": "group.members_changed",
}
RELAYED_ACTIONS = (*_BY_ACTION, "login.step", "login.password", "login.federated")
LOOKBACK = 30  # seconds of audit log re-read for events committed out of sequence order
BATCH = 500
MAX_ATTEMPTS = 10
LEASE = 60  # seconds an attempt is claimed for
TIMEOUT = 10.0
MAX_RESPONSE_BYTES = 64 * 1024
INTERVAL = 1.0


def event_types(row: AuditEvent) -> list[str]:
    """The webhook events an audit event stands for, most specific first (a webhook gets the
    first one it subscribes to: one message per audit event)."""
    details = row.details or {}
    if row.action == "login.step":
        if row.outcome == "success" and details.get("action") == "allow":
            return ["login.succeeded"]
        return ["login.failed"] if row.outcome == "failure" else []
    if row.action in ("login.password", "login.federated"):
        return ["login.failed"] if row.outcome == "failure" else []
    if row.outcome != "success" or row.action not in _BY_ACTION:
        return []
    if row.action == "user.update" and "password" in (details.get("fields") or []):
        return ["user.password_changed", "user.updated"]
    return [_BY_ACTION[row.action]]


def secret_context(webhook_id: str) -> str:
    return f"webhook-secret:{webhook_id}"


def payload(row: AuditEvent, kind: str, org_handle: str) -> dict[str, Any]:
    """The JSON a webhook receives (Standard Webhooks' ``type``/``timestamp``/``data``)."""
    data: dict[str, Any] = {
        "actor": {"type": row.actor_type, "id": row.actor_id},
        "outcome": row.outcome,
        "audit_action": row.action,
    }
    if row.target_type is not None:
        data["target"] = {"type": row.target_type, "id": row.target_id}
    user_id = row.target_id if row.target_type == "user" else None
    if user_id is None and row.actor_type == "user":
        user_id = row.actor_id
    if user_id is not None:
        data["user"] = {"id": user_id}
    if row.target_type in ("session", "group"):
        data[row.target_type] = {"id": row.target_id}
    if row.ip:
        data["ip"] = row.ip
    if row.request_id:
        data["request_id"] = row.request_id
    if row.details:
        data["details"] = row.details  # already scrubbed of secret-looking keys
    return {
        "id": f"evt_{row.id}",
        "type": kind,
        "timestamp": row.at.isoformat().replace("+00:00", "Z"),
        "organization": {"id": row.org_id, "handle": org_handle},
        "data": data,
    }


def backoff(attempts: int) -> int:
    """Seconds before attempt ``attempts + 1``: 5, 20, 80, 320... capped at 6 hours."""
    return int(min(5 * 4 ** max(attempts - 1, 0), 6 * 3600))


async def current_seq(services: Services) -> int:
    async with services.sessions() as session:
        return int(await session.scalar(select(func.max(AuditEvent.seq))) or 0)


async def relay(services: Services) -> int:
    """Queue outbox messages for new audit events; how many were queued."""
    async with services.sessions() as session:
        hooks = list(await session.scalars(select(Webhook).where(Webhook.enabled.is_(True))))
    queued = 0
    for hook in hooks:
        try:
            queued += await _relay_one(services, hook.id)
        except IntegrityError:
            pass  # another node queued the same events first
    return queued


async def _relay_one(services: Services, webhook_id: str) -> int:
    now = services.clock.now()
    async with services.sessions.begin() as session:
        hook = await session.get(Webhook, webhook_id)
        if hook is None or not hook.enabled:
            return 0
        wanted = set(hook.events or [])
        mine = (
            AuditEvent.org_id == hook.org_id,
            AuditEvent.action.in_(RELAYED_ACTIONS),
            AuditEvent.at >= hook.created_at,
        )
        fresh = list(
            await session.scalars(
                select(AuditEvent)
                .where(*mine, AuditEvent.seq > hook.relayed_seq)
                .order_by(AuditEvent.seq)
                .limit(BATCH)
            )
        )
        # Audit times are wall-clock (the column default), so is the look-back.
        recent = utcnow() - timedelta(seconds=LOOKBACK)
        late = list(
            await session.scalars(
                select(AuditEvent)
                .where(*mine, AuditEvent.seq <= hook.relayed_seq, AuditEvent.at >= recent)
                .order_by(AuditEvent.seq)
                .limit(BATCH)
            )
        )
        rows = late + fresh
        if not rows:
            return 0
        done = set(
            await session.scalars(
                select(OutboxMessage.source_seq).where(
                    OutboxMessage.webhook_id == hook.id,
                    OutboxMessage.source_seq.in_([r.seq for r in rows]),
                )
            )
        )
        org = await session.get(Organization, hook.org_id)
        handle = org.handle if org is not None else ""
        queued = 0
        for row in rows:
            kinds = [k for k in event_types(row) if "*" in wanted or k in wanted]
            if row.seq in done or not kinds:
                continue
            kind = kinds[0]
            session.add(
                OutboxMessage(
                    org_id=hook.org_id,
                    webhook_id=hook.id,
                    event_type=kind,
                    payload=payload(row, kind, handle),
                    attempts=0,
                    next_attempt_at=now,
                    source_seq=row.seq,
                    status="pending",
                )
            )
            queued += 1
        top = max((r.seq for r in fresh), default=hook.relayed_seq)
        if top > hook.relayed_seq:
            # The cursor only moves forward, and only from the value this relay read.
            await session.execute(
                update(Webhook)
                .where(Webhook.id == hook.id, Webhook.relayed_seq == hook.relayed_seq)
                .values(relayed_seq=top)
                .execution_options(synchronize_session=False)
            )
        await session.flush()
    return queued


async def deliver_due(services: Services, transport: httpx.AsyncBaseTransport | None = None) -> int:
    """Attempt every due message once; how many were delivered."""
    now = services.clock.now()
    async with services.sessions() as session:
        due = list(
            await session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now)
                .order_by(OutboxMessage.next_attempt_at, OutboxMessage.seq)
                .limit(50)
            )
        )
    if not due:
        return 0
    results = await asyncio.gather(*(_attempt(services, m, transport) for m in due))
    return sum(1 for r in results if r)


async def _claim(services: Services, message: OutboxMessage) -> bool:
    """Take the attempt: move ``next_attempt_at`` a lease ahead if no other node did."""
    lease = services.clock.now() + timedelta(seconds=LEASE)
    async with services.sessions.begin() as session:
        result = await session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.seq == message.seq,
                OutboxMessage.status == "pending",
                OutboxMessage.next_attempt_at == message.next_attempt_at,
            )
            .values(next_attempt_at=lease)
            .execution_options(synchronize_session=False)
        )
    return bool(getattr(result, "rowcount", 0) == 1)


async def _attempt(
    services: Services, message: OutboxMessage, transport: httpx.AsyncBaseTransport | None
) -> bool:
    if not await _claim(services, message):
        return False
    async with services.sessions() as session:
        hook = await session.get(Webhook, message.webhook_id)
    if hook is None:
        return False
    error: str | None = None
    try:
        secret = services.box.decrypt(hook.secret_encrypted, context=secret_context(hook.id))
        body = json.dumps(message.payload, separators=(",", ":"), ensure_ascii=False).encode()
        headers = {
            "content-type": "application/json",
            "user-agent": f"Identra/{__version__} (webhooks)",
            **signing.headers(
                secret, str(message.payload.get("id")), services.clock.timestamp(), body
            ),
        }
        status = await _post(hook.url, body, headers, transport)
        if not 200 <= status < 300:
            error = f"HTTP {status}"
    except (httpx.HTTPError, TimeoutError) as exc:
        error = f"{type(exc).__name__}: could not deliver"
    except Exception as exc:  # a bad secret or payload must not stop the loop
        log.exception("webhook delivery failed")
        error = f"{type(exc).__name__}"
    now = services.clock.now()
    attempts = message.attempts + 1
    values: dict[str, Any] = {"attempts": attempts, "last_error": error}
    if error is None:
        values.update(status="delivered", delivered_at=now)
    elif attempts >= MAX_ATTEMPTS:
        values.update(status="failed")
    else:
        values.update(next_attempt_at=now + timedelta(seconds=backoff(attempts)))
    async with services.sessions.begin() as session:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.seq == message.seq)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
    return error is None


async def _post(
    url: str, body: bytes, headers: dict[str, str], transport: httpx.AsyncBaseTransport | None
) -> int:
    async with asyncio.timeout(TIMEOUT):
        async with httpx.AsyncClient(
            transport=transport or new_transport(),
            follow_redirects=False,
            trust_env=False,
            timeout=TIMEOUT,
        ) as http:
            async with http.stream("POST", url, content=body, headers=headers) as resp:
                read = 0
                async for chunk in resp.aiter_bytes():
                    read += len(chunk)
                    if read > MAX_RESPONSE_BYTES:
                        break  # the answer's body is not needed
                return resp.status_code


async def tick(services: Services) -> None:
    """One round: relay new events, then deliver what is due."""
    await relay(services)
    await deliver_due(services)


def schedule(services: Services, interval: float = INTERVAL) -> None:
    """Run :func:`tick` periodically on this node until the services stop."""
    services.events.every(interval, lambda: tick(services))
