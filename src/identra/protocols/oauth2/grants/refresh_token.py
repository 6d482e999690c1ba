"""RFC 6749 §6: refreshing an access token, with rotation and reuse detection.

- The refresh token must have been issued to the authenticated client (§6), be unexpired and
  belong to a grant that is not revoked; otherwise ``invalid_grant``.
- Rotation (RFC 9700 §4.14.2): every use returns a new refresh token and retires the old one.
  Presenting a retired token again means it was stolen or replayed: the whole family (the
  ``oauth_grants`` row and every refresh token in it) is revoked.
- ``scope`` may narrow the access token's scope but never add to what was originally granted
  (§6: "MUST NOT include any scope not originally granted"; ``invalid_scope``); when omitted it
  is the original scope. The family keeps its original scope.
- A refresh token bound to a DPoP key (RFC 9449 §5, public clients) needs a proof by that key.
- An ID token is returned when ``openid`` was granted (OIDC Core §12.2), without ``nonce`` and
  with the original ``auth_time``.
"""

from __future__ import annotations

from identra.protocols.http import ProtocolRequest, ProtocolResponse
from identra.protocols.oauth2.context import TokenContext
from identra.protocols.oauth2.errors import InvalidDpopProof, InvalidGrant, InvalidScope
from identra.protocols.oauth2.models import Client
from identra.protocols.oauth2.params import required, scopes, single
from identra.protocols.oidc.context import oidc_context
from identra.protocols.oidc.issue import issue_tokens

INVALID = "the refresh token is invalid, expired or revoked"


class RefreshTokenGrant:
    grant_type = "refresh_token"

    async def handle(
        self, request: ProtocolRequest, client: Client, ctx: TokenContext
    ) -> ProtocolResponse:
        octx = oidc_context(ctx)
        token = required(request.form, "refresh_token")
        requested = scopes(single(request.form, "scope"))
        if len(token) > 512:
            raise InvalidGrant(INVALID)
        now = octx.now()
        digest = octx.digest(token)
        found = await octx.grants.find_refresh_token(digest, client.id, now)
        grant = found.grant
        if found.status == "reused" and grant is not None:
            await octx.grants.revoke(grant.id, now)
            raise InvalidGrant(INVALID, debug="refresh token reuse: family revoked")
        if found.status != "ok" or grant is None:
            raise InvalidGrant(INVALID, debug=f"refresh token {found.status}")
        if grant.org_id != octx.tenant.org_id or grant.user_id is None:
            raise InvalidGrant(INVALID, debug="refresh token of another organization")
        if found.dpop_jkt is not None and found.dpop_jkt != octx.dpop_jkt:
            # RFC 9449 §5: a bound refresh token needs a proof by the same key.
            raise InvalidDpopProof("the refresh token is bound to another DPoP key")
        if requested:
            extra = [s for s in requested if s not in grant.scopes]
            if extra:
                raise InvalidScope(f"scope not originally granted: {' '.join(extra)}")
            granted = [s for s in grant.scopes if s in requested]
        else:
            granted = list(grant.scopes)
        user = await octx.users.profile(grant.org_id, grant.user_id)
        if user is None or not user.active:
            await octx.grants.revoke(grant.id, now)
            raise InvalidGrant(INVALID, debug="user no longer active")
        # Checks passed: retire the token. Losing this race means someone else used it.
        if not await octx.grants.use_refresh_token(digest, now):
            await octx.grants.revoke(grant.id, now)
            raise InvalidGrant(INVALID, debug="concurrent refresh token reuse: family revoked")
        issued = await issue_tokens(octx, client, grant, user, scopes=granted, refresh=True)
        return ProtocolResponse.json(200, issued.body)
