"""Small helpers every administrative service uses."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from identra.errors import Conflict, InvalidInput

LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")


async def flush_or_conflict(session: AsyncSession, message: str) -> None:
    """Flush in a savepoint; a uniqueness race lost to a concurrent writer becomes a 409."""
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise Conflict(message) from exc


def check_changes(changes: Mapping[str, Any], nullable: Iterable[str] = ()) -> None:
    """A PATCH must change something, and only nullable fields may be set to null."""
    if not changes:
        raise InvalidInput("the change is empty")
    allowed = set(nullable)
    for name, value in changes.items():
        if value is None and name not in allowed:
            raise InvalidInput(f"{name} cannot be null", name)


def check_http_url(url: str, field: str) -> str:
    """An absolute https URL (http only for loopback, for local development and tests)."""
    if len(url) > 2000 or any(c.isspace() or ord(c) < 0x20 or c == "\x7f" for c in url):
        raise InvalidInput(f"{url!r} is not a valid URL", field)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise InvalidInput(f"{url!r} is not a valid URL", field) from exc
    scheme = parts.scheme.lower()
    host = parts.hostname
    if scheme not in ("http", "https") or not host:
        raise InvalidInput(f"{url!r} must be an absolute http(s) URL", field)
    if parts.username is not None or parts.password is not None:
        raise InvalidInput("URLs must not carry credentials", field)
    if parts.fragment or "#" in url:
        raise InvalidInput(f"{url!r} must not have a fragment", field)
    if scheme == "http" and host not in LOOPBACK_HOSTS:
        raise InvalidInput(f"{url!r} must use https (http only for loopback)", field)
    del port
    return url
