"""RFC 6749 §4.1.3: exchanging an authorization code (with RFC 7636 PKCE, OIDC Core §3.1.3).

Checks, in order, every failure being ``invalid_grant`` (§5.2):
- the code exists and has not been used; a used code is a replay: the tokens issued from it
  are revoked (§4.1.2, §10.5);
- it was issued to the authenticated client (§4.1.3), in this organization, and has not
  expired (``tokens.authorization_code_ttl``);
- ``redirect_uri`` is identical to the one of the authorization request when that request
  carried one (§4.1.3), and never differs from it;
- PKCE: ``code_verifier`` matches the ``code_challenge`` (RFC 7636 §4.6);
- a code requested with ``dpop_jkt`` needs a DPoP proof made with that key (RFC 9449 §10);
- the user still exists and is active.
"""

from __future__ import annotations

from identra.protocols.http import ProtocolRequest, ProtocolResponse
from identra.protocols.oauth2 import pkce
from identra.protocols.oauth2.context import TokenContext
from identra.protocols.oauth2.errors import InvalidGrant
from identra.protocols.oauth2.inspection import REVOKED_KEY
from identra.protocols.oauth2.models import Client
from identra.protocols.oauth2.params import required, single
from identra.protocols.oidc.codes import UsedCode
from identra.protocols.oidc.context import OidcTokenContext, oidc_context
from identra.protocols.oidc.issue import issue_tokens
from identra.protocols.oidc.storage import NewGrant

INVALID = "the authorization code is invalid, expired or was already used"


class AuthorizationCodeGrant:
    grant_type = "authorization_code"

    async def handle(
        self, request: ProtocolRequest, client: Client, ctx: TokenContext
    ) -> ProtocolResponse:
        octx = oidc_context(ctx)
        code = required(request.form, "code")
        redirect_uri = single(request.form, "redirect_uri")
        verifier = single(request.form, "code_verifier")
        record = await octx.codes.redeem(code, octx.access_token_ttl)
        if record is None:
            await self._replay(octx, code)
            raise InvalidGrant(INVALID)
        now = octx.now()
        if record.client_id != client.client_id or record.org_id != octx.tenant.org_id:
            raise InvalidGrant(INVALID, debug="code issued to another client")
        if record.expires_at <= now:
            raise InvalidGrant(INVALID, debug="code expired")
        if redirect_uri is None:
            if record.redirect_uri_sent:
                raise InvalidGrant("redirect_uri is required")
        elif redirect_uri != record.redirect_uri:
            raise InvalidGrant("redirect_uri does not match the authorization request")
        pkce.verify(record.code_challenge, verifier)
        if record.dpop_jkt is not None and record.dpop_jkt != octx.dpop_jkt:
            # RFC 9449 §10: the code is bound to the key named by dpop_jkt.
            raise InvalidGrant("the code is bound to a DPoP key: send a proof made with it")
        user = await octx.users.profile(record.org_id, record.user_id)
        if user is None or not user.active:
            raise InvalidGrant("the user is not active")

        grant = await octx.grants.create(
            NewGrant(
                org_id=record.org_id,
                application_id=record.application_id,
                user_id=record.user_id,
                session_id=record.session_id,
                scopes=record.scopes,
                claims=record.claims,
                auth_time=record.auth_time,
                acr=record.acr,
                amr=record.amr,
            )
        )
        issued = await issue_tokens(
            octx,
            client,
            grant,
            user,
            scopes=record.scopes,
            nonce=record.nonce,
            refresh="refresh_token" in client.grant_types,
        )
        used = UsedCode(grant.id, issued.access.jti, issued.access_expires_at)
        if await octx.codes.mark_used(code, used, octx.access_token_ttl):
            # Another request presented this code while we were issuing: treat it as theft.
            await self._revoke(octx, used)
            raise InvalidGrant(INVALID, debug="concurrent replay of the code")
        return ProtocolResponse.json(200, issued.body)

    async def _replay(self, ctx: OidcTokenContext, code: str) -> None:
        used = await ctx.codes.replayed(code, ctx.access_token_ttl)
        if used is not None:
            await self._revoke(ctx, used)

    @staticmethod
    async def _revoke(ctx: OidcTokenContext, used: UsedCode) -> None:
        if used.grant_id is not None:
            await ctx.grants.revoke(used.grant_id, ctx.now())
        if used.jti is not None and used.expires_at is not None:
            await ctx.grants.revoke_access_token(ctx.tenant.org_id, used.jti, used.expires_at)
            ttl = max(1, used.expires_at - ctx.now())
            await ctx.cache.set(REVOKED_KEY.format(jti=used.jti), "1", ttl=ttl)
