"""The request shape shared by the form-posting endpoints (RFC 6749 §3.2, RFC 7009 §2.1,
RFC 7662 §2.1, RFC 9126 §2.1, RFC 8628 §3.1): POST with an
``application/x-www-form-urlencoded`` body, then client authentication.
"""

from __future__ import annotations

from identra.protocols.http import ProtocolRequest, ProtocolResponse
from identra.protocols.oauth2.client_auth import authenticate_client
from identra.protocols.oauth2.context import TokenContext
from identra.protocols.oauth2.errors import InvalidRequest, OAuth2Error, ServerError
from identra.protocols.oauth2.extras import TokenExtras
from identra.protocols.oauth2.models import Client


def require_form_post(request: ProtocolRequest, endpoint: str) -> None:
    if request.method != "POST":
        raise InvalidRequest(f"the {endpoint} endpoint accepts POST only")
    content_type = (request.header("content-type") or "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        raise InvalidRequest("the body must be application/x-www-form-urlencoded")


async def authenticated_client(request: ProtocolRequest, ctx: TokenContext) -> Client:
    return await authenticate_client(
        request,
        ctx.tenant,
        ctx.clients,
        ctx.verifier,
        assertions=ctx.extras.assertions if ctx.extras is not None else None,
    )


def extras_of(ctx: TokenContext) -> TokenExtras:
    if ctx.extras is None:
        raise ServerError("this endpoint is not configured")
    return ctx.extras


class FormEndpoint:
    """Base of the form-posting endpoints: any OAuth2Error becomes its RFC error response."""

    async def __call__(self, request: ProtocolRequest, ctx: TokenContext) -> ProtocolResponse:
        try:
            return await self._handle(request, ctx)
        except OAuth2Error as error:
            return error.response()

    async def _handle(self, request: ProtocolRequest, ctx: TokenContext) -> ProtocolResponse:
        raise NotImplementedError
