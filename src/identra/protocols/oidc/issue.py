"""The token response for a user grant (RFC 6749 §5.1, OIDC Core §3.1.3.3).

Shared by the authorization-code and refresh-token grants: an RFC 9068 access token carrying
the authentication facts (§2.2.1: ``auth_time``, ``acr``, ``amr``) and the grant id, a rotated
refresh token when the client may refresh, and an ID token when ``openid`` was granted.

The ID token's ``sub`` is in the client's subject space (public or pairwise, OIDC Core §8) and
it is signed with the client's ``id_token_signed_response_alg`` (OIDC Registration §2); the
access token keeps the local user id (decision 0027).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from identra.protocols.oauth2.errors import ServerError
from identra.protocols.oauth2.models import Client
from identra.protocols.oauth2.tokens import IssuedToken, Signer, issue_access_token
from identra.protocols.oidc.claims import release
from identra.protocols.oidc.context import OidcTokenContext
from identra.protocols.oidc.id_token import mint_id_token
from identra.protocols.oidc.storage import ClientSettings, GrantRecord, UserProfile
from identra.protocols.oidc.subjects import Subjects


def id_token_signer(ctx: OidcTokenContext, settings: ClientSettings) -> Signer:
    """The key the client's ID tokens are signed with: its registered algorithm's active key."""
    alg = settings.id_token_signed_response_alg
    if alg is None:
        return ctx.id_token_signer or ctx.signer
    if ctx.id_token_signers is not None:
        try:
            return ctx.id_token_signers(alg)
        except KeyError:
            pass
    else:
        for signer in (ctx.id_token_signer, ctx.signer):
            if signer is not None and signer.alg == alg:
                return signer
    raise ServerError(
        "no signing key for the client's ID token algorithm",
        debug=f"application {settings.application_id}: no active {alg} key",
    )


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
    # Before anything is stored: a client whose ID token cannot be made gets nothing.
    id_signer = id_token_signer(ctx, settings) if "openid" in scopes else None
    id_subject = Subjects(ctx.digest).subject(settings, user.id) if "openid" in scopes else None
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
    body["scope"] = " ".join(access.scope)  # as a pre-issue extension left them
    if refresh:
        token = secrets.token_urlsafe(32)
        lifetime = settings.refresh_token_ttl or ctx.refresh_token_ttl
        # RFC 9449 §5: a public client's refresh token is bound to its DPoP key.
        jkt = ctx.dpop_jkt if client.is_public else None
        await ctx.grants.add_refresh_token(
            grant.org_id, grant.id, ctx.digest(token), now + lifetime, jkt
        )
        body["refresh_token"] = token
    if id_signer is not None and id_subject is not None:
        body["id_token"] = mint_id_token(
            signer=id_signer,
            issuer=ctx.tenant.issuer,
            client_id=client.client_id,
            subject=id_subject,
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
