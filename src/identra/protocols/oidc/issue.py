"""The token response for a user grant (RFC 6749 §5.1, OIDC Core §3.1.3.3).

Shared by the authorization-code and refresh-token grants: an RFC 9068 access token carrying
the authentication facts (§2.2.1: ``auth_time``, ``acr``, ``amr``) and the grant id, a rotated
refresh token when the client may refresh, and an ID token when ``openid`` was granted.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from identra.protocols.oauth2.models import Client
from identra.protocols.oauth2.tokens import IssuedToken, issue_access_token
from identra.protocols.oidc.claims import release
from identra.protocols.oidc.context import OidcTokenContext
from identra.protocols.oidc.id_token import mint_id_token
from identra.protocols.oidc.storage import GrantRecord, UserProfile


@dataclass(frozen=True)
class IssuedTokens:
    body: dict[str, Any]
    access: IssuedToken
    access_expires_at: int


async def issue_tokens(
    ctx: OidcTokenContext,
    client: Client,
    grant: GrantRecord,
    user: UserProfile,
    *,
    scopes: list[str],
    nonce: str | None = None,
    refresh: bool,
) -> IssuedTokens:
    now = ctx.now()
    settings = await ctx.client_settings.settings(client.id)
    extra: dict[str, Any] = {}
    if grant.auth_time is not None:
        extra["auth_time"] = grant.auth_time
    if grant.acr:
        extra["acr"] = grant.acr
    if grant.amr:
        extra["amr"] = list(grant.amr)
    if grant.session_id:
        extra["sid"] = grant.session_id
    # The client's format (JWT or opaque) and DPoP binding apply (tokens.issue_access_token).
    access = await issue_access_token(
        ctx, client=client, subject=user.id, scope=scopes, extra=extra, grant_id=grant.id
    )
    body: dict[str, Any] = access.response_fields()
    body["scope"] = " ".join(scopes)
    if refresh:
        token = secrets.token_urlsafe(32)
        lifetime = settings.refresh_token_ttl or ctx.refresh_token_ttl
        # RFC 9449 §5: a public client's refresh token is bound to its DPoP key.
        jkt = ctx.dpop_jkt if client.is_public else None
        await ctx.grants.add_refresh_token(
            grant.org_id, grant.id, ctx.digest(token), now + lifetime, jkt
        )
        body["refresh_token"] = token
    if "openid" in scopes:
        body["id_token"] = mint_id_token(
            signer=ctx.id_token_signer or ctx.signer,
            issuer=ctx.tenant.issuer,
            client_id=client.client_id,
            subject=user.id,
            now=now,
            ttl=settings.id_token_ttl or ctx.id_token_ttl,
            auth_time=grant.auth_time,
            nonce=nonce,
            acr=grant.acr,
            amr=grant.amr,
            sid=grant.session_id,
            access_token=access.token,
            claims=release(
                user.claims, scopes, grant.claims.get("id_token"), include_scope_claims=False
            ),
        )
    return IssuedTokens(body, access, now + access.expires_in)
