"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

import secrets
import string
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Dialect
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator

JsonType = JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware UTC datetimes; SQLite returns naive values, which are re-tagged as UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value if value.tzinfo else value.replace(tzinfo=UTC)


def new_id() -> str:
    return str(uuid.uuid4())


def new_client_id() -> str:
    """A random OAuth client id (143 bits), letters and digits only: an id that began with
    ``-`` would read as an option on a command line, and ``_`` or ``-`` are easy to misread."""
    return "".join(secrets.choice(_CLIENT_ID_ALPHABET) for _ in range(24))


_CLIENT_ID_ALPHABET = string.ascii_letters + string.digits


def utcnow() -> datetime:
    return datetime.now(UTC)
