"""Event webhooks: ``/api/v1/orgs/{org}/webhooks`` (managed with the actions permission)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Depends, Query, Request, Response
from sqlalchemy import or_, select

from identra.admin import webhooks as service
from identra.management.deps import Scope, require
from identra.management.etag import check_if_match, set_etag
from identra.management.pagination import DEFAULT_LIMIT, Page, page_of, paginate
from identra.management.resources import (
    Cursor,
    Limit,
    Prefix,
    created,
    resource_router,
    starts_with,
)
from identra.management.schemas.webhooks import (
    MessageOut,
    WebhookCreate,
    WebhookCreated,
    WebhookOut,
    WebhookPatch,
    WebhookSecretOut,
)
from identra.storage.models import OutboxMessage, Webhook

router = resource_router("/orgs/{org}/webhooks", "webhooks")
Read = Annotated[Scope, Depends(require("actions", "read"))]
Write = Annotated[Scope, Depends(require("actions", "write"))]


def _out(hook: Webhook) -> WebhookOut:
    return WebhookOut(
        id=hook.id,
        created_at=hook.created_at,
        updated_at=hook.updated_at,
        version=hook.version,
        url=hook.url,
        events=list(hook.events or []),
        enabled=hook.enabled,
        description=hook.description,
    )


@router.get("", response_model=Page[WebhookOut])
async def list_webhooks(
    scope: Read, q: Prefix = None, cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT
) -> Page[WebhookOut]:
    """``q``: the start of the URL (after ``https://``), or of the description."""
    query = select(Webhook).where(Webhook.org_id == scope.org.id)
    if q:
        query = query.where(
            or_(
                starts_with(Webhook.url, "https://" + q),
                starts_with(Webhook.url, q),
                starts_with(Webhook.description, q),
            )
        )
    rows = list((await scope.session.scalars(paginate(query, Webhook, cursor, limit))).all())
    items, next_cursor = page_of(rows, limit)
    return Page(items=[_out(w) for w in items], next_cursor=next_cursor)


@router.post("", status_code=201, response_model=WebhookCreated)
async def create_webhook(body: WebhookCreate, scope: Write, response: Response) -> WebhookCreated:
    hook, secret = await service.create(
        scope.session,
        scope.org,
        service.NewWebhook(**body.model_dump()),
        scope.actor,
        scope.services.box,
    )
    created(response, hook.version, f"/api/v1/orgs/{scope.org.handle}/webhooks/{hook.id}")
    return WebhookCreated(**_out(hook).model_dump(), secret=secret)


@router.get("/{webhook_id}", response_model=WebhookOut)
async def get_webhook(webhook_id: str, scope: Read, response: Response) -> WebhookOut:
    hook = await service.get(scope.session, scope.org, webhook_id)
    set_etag(response, hook.version)
    return _out(hook)


@router.patch("/{webhook_id}", response_model=WebhookOut)
async def update_webhook(
    webhook_id: str, body: WebhookPatch, scope: Write, request: Request, response: Response
) -> WebhookOut:
    hook = await service.get(scope.session, scope.org, webhook_id)
    check_if_match(request, hook.version)
    await service.update(
        scope.session, scope.org, hook, body.model_dump(exclude_unset=True), scope.actor
    )
    set_etag(response, hook.version)
    return _out(hook)


@router.post("/{webhook_id}/secret", response_model=WebhookSecretOut)
async def rotate_secret(
    webhook_id: str, scope: Write, request: Request, response: Response
) -> WebhookSecretOut:
    hook = await service.get(scope.session, scope.org, webhook_id)
    check_if_match(request, hook.version)
    secret = await service.rotate_secret(
        scope.session, scope.org, hook, scope.actor, scope.services.box
    )
    set_etag(response, hook.version)
    return WebhookSecretOut(secret=secret)


@router.get("/{webhook_id}/messages", response_model=list[MessageOut])
async def list_messages(
    webhook_id: str,
    scope: Read,
    status: Literal["pending", "delivered", "failed"] | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[MessageOut]:
    """The newest outbox messages of the webhook, with their delivery state."""
    hook = await service.get(scope.session, scope.org, webhook_id)
    query = select(OutboxMessage).where(
        OutboxMessage.webhook_id == hook.id, OutboxMessage.org_id == scope.org.id
    )
    if status is not None:
        query = query.where(OutboxMessage.status == status)
    rows = await scope.session.scalars(query.order_by(OutboxMessage.seq.desc()).limit(limit))
    return [
        MessageOut(
            seq=m.seq,
            event_type=m.event_type,
            status=m.status,
            attempts=m.attempts,
            next_attempt_at=m.next_attempt_at if m.status == "pending" else None,
            delivered_at=m.delivered_at,
            last_error=m.last_error,
            payload=m.payload,
        )
        for m in rows
    ]


@router.delete("/{webhook_id}", status_code=204)
async def delete_webhook(webhook_id: str, scope: Write, request: Request) -> Response:
    hook = await service.get(scope.session, scope.org, webhook_id)
    check_if_match(request, hook.version)
    await service.delete(scope.session, scope.org, hook, scope.actor)
    return Response(status_code=204)
