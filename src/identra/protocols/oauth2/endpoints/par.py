"""RFC 9126: the pushed authorization request endpoint.

- §2: POST, form-encoded authorization request parameters; the client authenticates as at the
  token endpoint (public clients send ``client_id``).
- §2.1: ``request_uri`` must not be pushed (``invalid_request``); request objects (``request``,
  RFC 9101) are not supported here (``invalid_request``); parameters appear once (RFC 6749
  §3.1).
- §2.1 "MUST process the request as it would an authorization request": the parts that need
  no user are checked now (``response_type`` is ``code``, ``redirect_uri`` is one the client
  registered, PKCE present when the client requires it); everything is checked again by the
  authorization endpoint when the ``request_uri`` is used, where errors go to the client.
- §2.2: 201 with ``request_uri`` and ``expires_in`` (60 seconds, single use; see
  ``identra.protocols.oauth2.par``).
"""

from __future__ import annotations

from identra.protocols.http import ProtocolRequest, ProtocolResponse
from identra.protocols.oauth2.context import TokenContext
from identra.protocols.oauth2.endpoints.form import (
    FormEndpoint,
    authenticated_client,
    extras_of,
    require_form_post,
)
from identra.protocols.oauth2.errors import (
    InvalidRequest,
    UnauthorizedClient,
    UnsupportedResponseType,
)
from identra.protocols.oauth2.par import REQUEST_URI_TTL
from identra.protocols.oauth2.params import single

# Client authentication is not part of the authorization request that is stored.
_AUTH_PARAMS = ("client_secret", "client_assertion", "client_assertion_type")
MAX_PARAMS = 50
MAX_BYTES = 16_384


class PushedAuthorizationEndpoint(FormEndpoint):
    async def _handle(self, request: ProtocolRequest, ctx: TokenContext) -> ProtocolResponse:
        require_form_post(request, "pushed authorization request")
        extras = extras_of(ctx)
        client = await authenticated_client(request, ctx)
        if "authorization_code" not in client.grant_types:
            raise UnauthorizedClient("this client may not use the authorization code flow")
        if "request_uri" in request.form:
            raise InvalidRequest("request_uri must not be pushed")
        if "request" in request.form:
            raise InvalidRequest("request objects are not supported")
        names = [n for n in request.form if n not in _AUTH_PARAMS]
        if len(names) > MAX_PARAMS:
            raise InvalidRequest("too many parameters")
        params: dict[str, str] = {}
        for name in names:
            value = single(request.form, name)
            if value is not None:
                params[name] = value
        if sum(len(k) + len(v) for k, v in params.items()) > MAX_BYTES:
            raise InvalidRequest("the authorization request is too large")
        params["client_id"] = client.client_id
        response_type = params.get("response_type")
        if not response_type:
            raise InvalidRequest("missing parameter response_type")
        if response_type != "code":
            raise UnsupportedResponseType("only response_type=code is supported")
        redirect_uri = params.get("redirect_uri")
        if redirect_uri is None:
            if len(client.redirect_uris) != 1:
                raise InvalidRequest("missing parameter redirect_uri")
        elif redirect_uri not in client.redirect_uris:
            raise InvalidRequest("redirect_uri is not registered for this client")
        if client.pkce_required and not params.get("code_challenge"):
            raise InvalidRequest("code_challenge is required (PKCE, S256)")
        request_uri = await extras.pushed_requests.push(
            org_id=ctx.tenant.org_id, client_id=client.client_id, params=params
        )
        return ProtocolResponse.json(
            201, {"request_uri": request_uri, "expires_in": REQUEST_URI_TTL}
        )
