"""RFC 7009: token revocation.

- §2.1: POST, form-encoded ``token`` (required) and ``token_type_hint`` (optional; it orders
  the search but never limits it). Every client authenticates as it does at the token endpoint;
  public clients identify themselves with ``client_id`` and revoke their own tokens.
- §2.1: only the client a token was issued to may revoke it: another client of the organization
  gets ``unauthorized_client`` and the token stays valid.
- §2.2: the answer is 200 for a revoked token and for one that is invalid, unknown, expired
  or of another organization ("invalid tokens do not cause an error response").
- What is revoked: a JWT access token by its ``jti`` (table ``revoked_tokens`` plus the cache
  key ``revoked:{jti}`` that resource checks read, kept until the token expires); an opaque
  access token by its row; a refresh token with its whole grant family (§2.1 "SHOULD also
  invalidate all access tokens based on the same authorization grant"): the grant, its refresh
  tokens, its opaque access tokens, and JWT access tokens naming the grant (``grant_id``),
  which introspection then reports inactive.
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
from identra.protocols.oauth2.errors import UnauthorizedClient
from identra.protocols.oauth2.inspection import REFRESH_TOKEN, REVOKED_KEY
from identra.protocols.oauth2.params import required, single


def _ok() -> ProtocolResponse:
    return ProtocolResponse(200, b"", {"cache-control": "no-store", "pragma": "no-cache"})


class RevocationEndpoint(FormEndpoint):
    async def _handle(self, request: ProtocolRequest, ctx: TokenContext) -> ProtocolResponse:
        require_form_post(request, "revocation")
        extras = extras_of(ctx)
        client = await authenticated_client(request, ctx)
        token = required(request.form, "token")
        hint = single(request.form, "token_type_hint")
        now = ctx.now()
        info = await extras.inspector.inspect(token, ctx.tenant, now, hint)
        if info is None:
            return _ok()
        if info.client_id != client.client_id:
            raise UnauthorizedClient("the token was not issued to this client")
        if info.kind == REFRESH_TOKEN:
            assert info.grant_id is not None
            await extras.revocations.revoke_grant(info.grant_id, now, client.id)
        elif info.format == "opaque":
            assert info.digest is not None
            await extras.revocations.revoke_opaque(info.digest, client.id)
        else:
            jti = info.jti
            assert jti is not None
            await extras.revocations.revoke_jti(ctx.tenant.org_id, jti, info.expires_at, client.id)
            ttl = max(info.expires_at - now, 1)
            await extras.cache.set(REVOKED_KEY.format(jti=jti), "1", ttl=ttl)
        return _ok()
