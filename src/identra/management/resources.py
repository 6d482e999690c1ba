"""Pieces every resource router shares: the router itself, list parameters, item headers."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from sqlalchemy import ColumnElement, func

from identra.management.etag import set_etag
from identra.management.pagination import MAX_LIMIT
from identra.management.routing import ManagementRoute

Cursor = Annotated[str | None, Query(max_length=500, description="`next_cursor` of the last page")]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
Filter = Annotated[str | None, Query(max_length=255)]
Prefix = Annotated[str | None, Query(max_length=255, description="prefix, ignoring case")]


def starts_with(column: Any, prefix: str) -> ColumnElement[bool]:
    """``column`` begins with ``prefix``, ignoring case, alike on SQLite and PostgreSQL (whose
    ``LIKE`` differ on case); ``%``, ``_`` and ``\\`` in the prefix match themselves."""
    escaped = prefix.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return func.lower(column).like(escaped + "%", escape="\\")


def resource_router(prefix: str, tag: str) -> APIRouter:
    return APIRouter(prefix=prefix, tags=[tag], route_class=ManagementRoute)


def created(response: Response, version: int, location: str) -> None:
    set_etag(response, version)
    response.headers["location"] = location
