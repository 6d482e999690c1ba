"""RFC 7662: token introspection.

- §2.1: POST, form-encoded ``token`` (required) and ``token_type_hint`` (optional; it orders
  the search but never limits it). The caller must authenticate as a confidential client
  (any method of ``client_auth``); public clients get ``invalid_client``.
- §2.2: ``{"active": false}`` and nothing else for a token that is unknown, expired, revoked,
  rotated, malformed, of another organization, or a refresh token of another client (refresh
  tokens are the client's own business; access tokens may be introspected by any resource
  server of the organization). An active token's answer carries ``scope``, ``client_id``,
  ``token_type`` (Bearer or DPoP), ``exp``, ``iat``, ``sub``, ``aud``, ``iss``, ``jti`` and,
  when present, ``cnf`` (RFC 9449 §6.2) and ``act`` (RFC 8693 §4.1).
- §4: the response is never cached (``Cache-Control: no-store``).
"""

from __future__ import annotations

from typing import Any

from identra.protocols.http import ProtocolRequest, ProtocolResponse
from identra.protocols.oauth2.context import TokenContext
from identra.protocols.oauth2.endpoints.form import (
    FormEndpoint,
    authenticated_client,
    extras_of,
    require_form_post,
)
from identra.protocols.oauth2.errors import InvalidClient
from identra.protocols.oauth2.inspection import REFRESH_TOKEN, TokenInfo
from identra.protocols.oauth2.params import required, single

INACTIVE: dict[str, Any] = {"active": False}
_REPORTED = ("scope", "client_id", "exp", "iat", "nbf", "sub", "aud", "iss", "jti", "cnf", "act")


def describe(info: TokenInfo) -> dict[str, Any]:
    out: dict[str, Any] = {"active": True}
    out.update({k: info.claims[k] for k in _REPORTED if k in info.claims})
    if info.kind == REFRESH_TOKEN:
        out["token_type"] = "refresh_token"
    else:
        out["token_type"] = "DPoP" if info.jkt else "Bearer"
    return out


class IntrospectionEndpoint(FormEndpoint):
    async def _handle(self, request: ProtocolRequest, ctx: TokenContext) -> ProtocolResponse:
        require_form_post(request, "introspection")
        extras = extras_of(ctx)
        client = await authenticated_client(request, ctx)
        if client.is_public:
            raise InvalidClient("public clients may not introspect tokens", basic=False)
        token = required(request.form, "token")
        hint = single(request.form, "token_type_hint")
        info = await extras.inspector.inspect(token, ctx.tenant, ctx.now(), hint)
        if info is None:
            return ProtocolResponse.json(200, INACTIVE)
        if info.kind == REFRESH_TOKEN and info.client_id != client.client_id:
            return ProtocolResponse.json(200, INACTIVE)
        return ProtocolResponse.json(200, describe(info))
