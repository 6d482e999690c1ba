"""ETags from row versions, and ``If-Match`` optimistic concurrency (RFC 9110 §13.1.1)."""

from __future__ import annotations

from fastapi import Request, Response

from identra.errors import PreconditionFailed


def etag_of(version: int) -> str:
    return f'"{version}"'


def set_etag(response: Response, version: int) -> None:
    response.headers["etag"] = etag_of(version)


def check_if_match(request: Request, version: int) -> None:
    """Raise 412 when the client's ``If-Match`` names another version. No header: no check."""
    header = request.headers.get("if-match")
    if header is None:
        return
    candidates = [part.strip().removeprefix("W/") for part in header.split(",")]
    if "*" in candidates or etag_of(version) in candidates:
        return
    raise PreconditionFailed("the resource was changed since it was read (stale If-Match)")
