"""Starlette <-> ProtocolRequest/ProtocolResponse, the only place the two meet."""

from __future__ import annotations

from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import Response

from identra.protocols.http import ProtocolRequest, ProtocolResponse


async def to_protocol(request: Request) -> ProtocolRequest:
    form: dict[str, list[str]] = {}
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if request.method == "POST" and content_type == "application/x-www-form-urlencoded":
        body = await request.body()
        try:
            form = parse_qs(body.decode(), keep_blank_values=True, strict_parsing=False)
        except UnicodeDecodeError:
            form = {}
    return ProtocolRequest(
        method=request.method,
        url=str(request.url),
        headers={k.lower(): v for k, v in request.headers.items()},
        query=parse_qs(request.url.query, keep_blank_values=True),
        form=form,
        client_ip=request.client.host if request.client else None,
    )


def to_starlette(response: ProtocolResponse) -> Response:
    return Response(content=response.body, status_code=response.status, headers=response.headers)
