"""Event webhooks of an organization (``identra.actions.webhooks``).

A webhook is a URL (https; http only for loopback), the event types it wants (or ``*``), and
a signing secret generated here (``whsec_...``, Standard Webhooks), shown once at creation or
rotation, stored encrypted. Managed with the ``actions`` permission. A new webhook receives the
events that happen after its creation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from identra.actions import signing
from identra.actions.webhooks import EVENT_TYPES, secret_context
from identra.admin.common import check_changes, check_http_url
from identra.crypto.secretbox import SecretBox
from identra.errors import Conflict, InvalidInput, NotFound
from identra.observability import audit
from identra.storage.models import AuditEvent, Organization, Webhook
from identra.storage.types import new_id

FIELDS = ("url", "events", "enabled", "description")
MAX_PER_ORG = 20


@dataclass
class NewWebhook:
    url: str
    events: list[str] = field(default_factory=lambda: ["*"])
    enabled: bool = True
    description: str = ""


def normalize_events(events: Any) -> list[str]:
    if not isinstance(events, list) or not events:
        raise InvalidInput("events must be a non-empty list of event types or ['*']", "events")
    unknown = [e for e in events if e != "*" and e not in EVENT_TYPES]
    if unknown:
        raise InvalidInput(
            f"unknown event type {unknown[0]!r}; known: {', '.join(EVENT_TYPES)} or *", "events"
        )
    return sorted(set(events))


async def get(session: AsyncSession, org: Organization, webhook_id: str) -> Webhook:
    hook = await session.scalar(
        select(Webhook).where(Webhook.id == webhook_id, Webhook.org_id == org.id)
    )
    if hook is None:
        raise NotFound("webhook")
    return hook


async def create(
    session: AsyncSession, org: Organization, new: NewWebhook, actor: audit.Actor, box: SecretBox
) -> tuple[Webhook, str]:
    """The new webhook and its signing secret (shown this once)."""
    check_http_url(new.url, "url")
    count = await session.scalar(select(func.count()).where(Webhook.org_id == org.id))
    if int(count or 0) >= MAX_PER_ORG:
        raise Conflict(f"an organization has at most {MAX_PER_ORG} webhooks")
    secret = signing.generate_secret()
    hook_id = new_id()
    # Events from now on: the relay starts after the current end of the audit log.
    cursor = int(await session.scalar(select(func.max(AuditEvent.seq))) or 0)
    hook = Webhook(
        id=hook_id,
        org_id=org.id,
        url=new.url,
        events=normalize_events(new.events),
        enabled=bool(new.enabled),
        description=new.description,
        secret_encrypted=box.encrypt(secret, context=secret_context(hook_id)),
        relayed_seq=cursor,
    )
    session.add(hook)
    await session.flush()
    audit.record(
        session,
        org_id=org.id,
        action="webhook.create",
        actor=actor,
        target_type="webhook",
        target_id=hook.id,
        details={"url": hook.url, "events": hook.events},
    )
    return hook, secret


async def update(
    session: AsyncSession,
    org: Organization,
    hook: Webhook,
    changes: dict[str, Any],
    actor: audit.Actor,
) -> Webhook:
    check_changes(changes)
    unknown = sorted(set(changes) - set(FIELDS))
    if unknown:
        raise InvalidInput(f"{unknown[0]} cannot be changed", unknown[0])
    if "url" in changes:
        hook.url = check_http_url(changes["url"], "url")
    if "events" in changes:
        hook.events = normalize_events(changes["events"])
    if "enabled" in changes:
        if changes["enabled"] and not hook.enabled:
            # Re-enabled: events from now on, not the backlog of the time it was off.
            hook.relayed_seq = int(await session.scalar(select(func.max(AuditEvent.seq))) or 0)
        hook.enabled = bool(changes["enabled"])
    if "description" in changes:
        hook.description = changes["description"]
    hook.version += 1
    await session.flush()
    audit.record(
        session,
        org_id=org.id,
        action="webhook.update",
        actor=actor,
        target_type="webhook",
        target_id=hook.id,
        details={"fields": sorted(changes)},
    )
    return hook


async def rotate_secret(
    session: AsyncSession, org: Organization, hook: Webhook, actor: audit.Actor, box: SecretBox
) -> str:
    secret = signing.generate_secret()
    hook.secret_encrypted = box.encrypt(secret, context=secret_context(hook.id))
    hook.version += 1
    await session.flush()
    audit.record(
        session,
        org_id=org.id,
        action="webhook.secret.rotate",
        actor=actor,
        target_type="webhook",
        target_id=hook.id,
    )
    return secret


async def delete(
    session: AsyncSession, org: Organization, hook: Webhook, actor: audit.Actor
) -> None:
    audit.record(
        session,
        org_id=org.id,
        action="webhook.delete",
        actor=actor,
        target_type="webhook",
        target_id=hook.id,
        details={"url": hook.url},
    )
    await session.delete(hook)
    await session.flush()
