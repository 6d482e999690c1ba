"""Keyset (cursor) pagination, stable under concurrent inserts.

Three orders: creation order ``(created_at, key)`` for most resources, key order for rows that
have no timestamp (memberships, assignments), and newest-first by sequence for the audit log.
Cursors are opaque base64url JSON; a cursor that does not decode is a 400, never a 500.
"""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field
from sqlalchemy import Select, and_, or_

from identra.management.problems import Problem

T = TypeVar("T")
AnySelect = TypeVar("AnySelect", bound="Select[*tuple[Any, ...]]")
DEFAULT_LIMIT = 50
MAX_LIMIT = 200
_KEY = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(None, description="pass as `cursor` to get the next page")


def _encode(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def _decode(cursor: str) -> Any:
    try:
        return json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, TypeError) as exc:
        raise _bad_cursor() from exc


def _bad_cursor() -> Problem:
    return Problem(400, "Bad Request", "the cursor is invalid")


def _key(value: Any) -> str:
    if not isinstance(value, str) or not _KEY.match(value):
        raise _bad_cursor()
    return value


def encode_cursor(created_at: datetime, row_id: str) -> str:
    return _encode([created_at.isoformat(), row_id])


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    value = _decode(cursor)
    if not isinstance(value, list) or len(value) != 2 or not isinstance(value[0], str):
        raise _bad_cursor()
    try:
        stamp = datetime.fromisoformat(value[0])
        if stamp.tzinfo is None:
            raise ValueError("naive")
        stamp = stamp.astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise _bad_cursor() from exc
    return stamp, _key(value[1])


def paginate(
    query: Select[Any], model: Any, cursor: str | None, limit: int, key: str = "id"
) -> Select[Any]:
    """Order by (created_at, key) and start after the cursor; fetch one extra row."""
    column = getattr(model, key)
    if cursor:
        created_at, row_key = decode_cursor(cursor)
        query = query.where(
            or_(
                model.created_at > created_at,
                and_(model.created_at == created_at, column > row_key),
            )
        )
    return query.order_by(model.created_at, column).limit(limit + 1)


def page_of(rows: list[Any], limit: int, key: str = "id") -> tuple[list[Any], str | None]:
    if len(rows) > limit:
        last = rows[limit - 1]
        return rows[:limit], encode_cursor(last.created_at, getattr(last, key))
    return rows, None


def paginate_by_key(query: AnySelect, column: Any, cursor: str | None, limit: int) -> AnySelect:
    """Order by one unique string column (for rows without timestamps)."""
    if cursor:
        value = _decode(cursor)
        if not isinstance(value, list) or len(value) != 1:
            raise _bad_cursor()
        query = query.where(column > _key(value[0]))
    return query.order_by(column).limit(limit + 1)


def key_page_of(rows: list[Any], limit: int, key: str) -> tuple[list[Any], str | None]:
    if len(rows) > limit:
        return rows[:limit], _encode([getattr(rows[limit - 1], key)])
    return rows, None


def paginate_newest_first(
    query: Select[Any], column: Any, cursor: str | None, limit: int
) -> Select[Any]:
    """Order by a monotonically increasing integer, newest first (the audit log's ``seq``)."""
    if cursor:
        value = _decode(cursor)
        if (
            not isinstance(value, dict)
            or not isinstance(value.get("seq"), int)
            or isinstance(value.get("seq"), bool)
            or not 0 < value["seq"] < 2**63
        ):
            raise _bad_cursor()
        query = query.where(column < value["seq"])
    return query.order_by(column.desc()).limit(limit + 1)


def newest_first_page_of(rows: list[Any], limit: int, key: str) -> tuple[list[Any], str | None]:
    if len(rows) > limit:
        return rows[:limit], _encode({"seq": getattr(rows[limit - 1], key)})
    return rows, None
