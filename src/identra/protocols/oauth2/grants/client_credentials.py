"""RFC 6749 §4.4: the client acts on its own behalf.

- The client MUST authenticate (§4.4.2): public clients are refused.
- A refresh token SHOULD NOT be issued (§4.4.3).
- The requested scope must be a subset of the client's allowed scopes (§3.3); with no ``scope``
  parameter the client receives all of its allowed scopes.
"""

from __future__ import annotations

from identra.protocols.http import ProtocolRequest, ProtocolResponse
from identra.protocols.oauth2.context import TokenContext
from identra.protocols.oauth2.errors import InvalidScope, UnauthorizedClient
from identra.protocols.oauth2.models import Client
from identra.protocols.oauth2.params import scopes, single
from identra.protocols.oauth2.tokens import issue_access_token


class ClientCredentialsGrant:
    grant_type = "client_credentials"

    async def handle(
        self, request: ProtocolRequest, client: Client, ctx: TokenContext
    ) -> ProtocolResponse:
        if client.is_public:
            raise UnauthorizedClient("public clients cannot use client_credentials")
        requested = scopes(single(request.form, "scope"))
        if requested:
            refused = [s for s in requested if s not in client.scopes]
            if refused:
                raise InvalidScope(f"scope not allowed for this client: {' '.join(refused)}")
            granted = requested
        else:
            granted = sorted(client.scopes)
        # JWT or opaque per the client, DPoP-bound when the request carried a proof.
        issued = await issue_access_token(
            ctx, client=client, subject=client.client_id, scope=granted
        )
        return ProtocolResponse.json(200, issued.response_fields())
