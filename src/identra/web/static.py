"""Static assets of the hosted pages (``/static/<name>``): the few scripts that pages which
cannot work without JavaScript (WebAuthn) load with their CSP nonce.

Files come from the ``identra/static`` package directory; only plain names of files that
exist there are served (no paths), read once and kept in memory with their ETag.
"""

from __future__ import annotations

import hashlib
import re
from functools import cache
from importlib import resources

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}\.(js|css)$")
TYPES = {"js": "text/javascript; charset=utf-8", "css": "text/css; charset=utf-8"}


@cache
def _asset(name: str) -> tuple[bytes, str] | None:
    item = resources.files("identra").joinpath("static", name)
    if not item.is_file():
        return None
    body = item.read_bytes()
    return body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


async def asset(request: Request) -> Response:
    name = request.path_params["name"]
    found = _asset(name) if NAME.match(name) else None
    if found is None:
        return Response("not found", status_code=404, media_type="text/plain")
    body, etag = found
    headers = {
        "etag": etag,
        "cache-control": "public, max-age=3600",
        "x-content-type-options": "nosniff",
    }
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=TYPES[name.rsplit(".", 1)[1]], headers=headers)


def routes() -> list[BaseRoute]:
    return [
        Route("/static/{name}", asset, methods=["GET"]),
        Route("/o/{org}/static/{name}", asset, methods=["GET"]),
    ]
