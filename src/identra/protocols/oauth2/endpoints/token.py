"""RFC 6749 §3.2: the token endpoint.

Order of checks: POST only (§3.2), form body (§4.1.3), client authentication (§3.2.1, with
RFC 7523 §2.2 JWT assertions when ``ctx.extras`` offers them) between the cross-node limits of
``throttle`` (failed authentications per address and client, then the client's own rate),
``grant_type`` known and enabled for the client (§5.2 unsupported_grant_type /
unauthorized_client), the DPoP proof if one was sent or the client must send one (RFC 9449 §5,
§5.2 ``dpop_bound_access_tokens``), then the grant's own validation. A verified proof's key
thumbprint travels to the grant as ``ctx.dpop_jkt``, and ``tokens.issue_access_token`` binds
the access token to it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from identra.protocols.http import ProtocolRequest, ProtocolResponse
from identra.protocols.oauth2 import dpop, throttle
from identra.protocols.oauth2.client_auth import (
    authenticate_client,
    claimed_client_id,
    endpoint_url,
)
from identra.protocols.oauth2.context import TokenContext
from identra.protocols.oauth2.errors import (
    InvalidClient,
    InvalidDpopProof,
    InvalidRequest,
    OAuth2Error,
    UnauthorizedClient,
    UnsupportedGrantType,
)
from identra.protocols.oauth2.grants.base import Grant
from identra.protocols.oauth2.params import required


class TokenEndpoint:
    def __init__(self, grants: Mapping[str, Grant]) -> None:
        self._grants = dict(grants)

    async def __call__(self, request: ProtocolRequest, ctx: TokenContext) -> ProtocolResponse:
        try:
            return await self._handle(request, ctx)
        except OAuth2Error as error:
            return error.response()

    async def _handle(self, request: ProtocolRequest, ctx: TokenContext) -> ProtocolResponse:
        if request.method != "POST":
            raise InvalidRequest("the token endpoint accepts POST only")
        content_type = (request.header("content-type") or "").split(";")[0].strip().lower()
        if content_type != "application/x-www-form-urlencoded":
            raise InvalidRequest("the body must be application/x-www-form-urlencoded")
        grant_type = required(request.form, "grant_type")
        cache = ctx.extras.cache if ctx.extras is not None else None
        caller = throttle.Caller(ctx.tenant.org_id, request.client_ip, claimed_client_id(request))
        now = ctx.now()
        if cache is not None:
            await throttle.refuse_blocked(cache, caller, now)
        try:
            client = await authenticate_client(
                request,
                ctx.tenant,
                ctx.clients,
                ctx.verifier,
                assertions=ctx.extras.assertions if ctx.extras is not None else None,
            )
        except InvalidClient:
            if cache is not None:
                await throttle.count_failure(cache, caller, now)
            raise
        if cache is not None:
            await throttle.admit(cache, client, now)
        grant = self._grants.get(grant_type)
        if grant is None:
            raise UnsupportedGrantType(f"unsupported grant_type {grant_type}")
        if grant_type not in client.grant_types:
            raise UnauthorizedClient(f"this client may not use {grant_type}")
        if ctx.token_hook is not None:
            ctx = replace(ctx, request=request)
        if ctx.extras is not None:
            proof = dpop.proof_header(request)
            if proof is not None:
                verified = await dpop.verify_proof(
                    proof,
                    method="POST",
                    urls=(endpoint_url(request, ctx.tenant), request.url),
                    now=ctx.now(),
                    replay=ctx.extras.cache,
                )
                ctx = replace(ctx, dpop_jkt=verified.jkt)
            elif client.dpop_bound_access_tokens:
                raise InvalidDpopProof("this client must send a DPoP proof")
        return await grant.handle(request, client, ctx)
