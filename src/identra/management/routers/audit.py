"""The audit log of an organization: ``/api/v1/orgs/{org}/audit-events`` (read-only).

Newest first, paged by the log's sequence number, so a page never shifts when events arrive.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Query
from sqlalchemy import select

from identra.management.deps import Scope, require
from identra.management.pagination import (
    DEFAULT_LIMIT,
    Page,
    newest_first_page_of,
    paginate_newest_first,
)
from identra.management.resources import Cursor, Limit, resource_router
from identra.management.schemas.audit import AuditEventOut
from identra.storage.models import AuditEvent

router = resource_router("/orgs/{org}/audit-events", "audit log")
Read = Annotated[Scope, Depends(require("audit", "read"))]
Id = Annotated[str | None, Query(max_length=64)]
Instant = Annotated[
    datetime | None, Query(description="RFC 3339 date-time; without an offset, UTC")
]


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:  # e.g. 0001-01-01T00:00+01:00 lies before datetime.min
        return (
            datetime.min.replace(tzinfo=UTC)
            if value.year == 1
            else datetime.max.replace(tzinfo=UTC)
        )


@router.get("", response_model=Page[AuditEventOut])
async def list_audit_events(
    scope: Read,
    action: Annotated[str | None, Query(max_length=64, description="exact action name")] = None,
    actor_id: Id = None,
    target_id: Id = None,
    target_type: Annotated[str | None, Query(max_length=32)] = None,
    outcome: Annotated[str | None, Query(max_length=16)] = None,
    since: Instant = None,
    until: Instant = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[AuditEventOut]:
    """Events of this organization, newest first. ``since`` is inclusive, ``until`` exclusive."""
    query = select(AuditEvent).where(AuditEvent.org_id == scope.org.id)
    if action is not None:
        query = query.where(AuditEvent.action == action)
    if actor_id is not None:
        query = query.where(AuditEvent.actor_id == actor_id)
    if target_id is not None:
        query = query.where(AuditEvent.target_id == target_id)
    if target_type is not None:
        query = query.where(AuditEvent.target_type == target_type)
    if outcome is not None:
        query = query.where(AuditEvent.outcome == outcome)
    if since is not None:
        query = query.where(AuditEvent.at >= _utc(since))
    if until is not None:
        query = query.where(AuditEvent.at < _utc(until))
    statement = paginate_newest_first(query, AuditEvent.seq, cursor, limit)
    rows = list((await scope.session.scalars(statement)).all())
    items, next_cursor = newest_first_page_of(rows, limit, "seq")
    return Page(items=[AuditEventOut.model_validate(e) for e in items], next_cursor=next_cursor)
