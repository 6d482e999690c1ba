"""Access tokens: JWTs per RFC 9068 ("at+jwt") or opaque reference tokens, optionally DPoP-bound.

Every grant issues access tokens through :func:`issue_access_token`, so that the client's
``access_token_format`` (RFC 9068 JWT by default, opaque per application) and sender
constraining (RFC 9449 §6: ``cnf.jkt`` and ``token_type`` DPoP) apply to all of them alike.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from identra.protocols.oauth2.errors import ServerError
from identra.protocols.oauth2.hooks import TokenDraft, checked
from identra.protocols.oauth2.models import Client, Tenant

if TYPE_CHECKING:
    from identra.protocols.oauth2.context import TokenContext

# RFC 8693 §3 token type identifiers.
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"
JWT_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:jwt"
REFRESH_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:refresh_token"


class Signer(Protocol):
    @property
    def kid(self) -> str: ...

    @property
    def alg(self) -> str: ...

    def sign(self, claims: dict[str, Any], typ: str = "JWT") -> str: ...


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_in: int
    scope: list[str]
    jti: str
    token_type: str = "Bearer"  # "DPoP" when bound to a DPoP key (RFC 9449 §5)

    def response_fields(self) -> dict[str, object]:
        """The RFC 6749 §5.1 members describing this access token."""
        out: dict[str, object] = {
            "access_token": self.token,
            "token_type": self.token_type,
            "expires_in": self.expires_in,
        }
        if self.scope:
            out["scope"] = " ".join(self.scope)
        return out


def access_token_claims(
    *,
    tenant: Tenant,
    client: Client,
    subject: str,
    scope: list[str],
    now: int,
    ttl: int,
    audience: list[str] | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """RFC 9068 §2.2: iss, exp, aud, sub, client_id, iat, jti are required."""
    if audience:
        aud: list[str] = list(audience)
    else:
        aud = list(client.audiences) if client.audiences else [client.client_id]
    claims: dict[str, Any] = {
        "iss": tenant.issuer,
        "sub": subject,
        "aud": aud[0] if len(aud) == 1 else aud,
        "client_id": client.client_id,
        "iat": now,
        "exp": now + ttl,
        "jti": secrets.token_urlsafe(16),
        "org_id": tenant.org_id,
    }
    if scope:
        claims["scope"] = " ".join(scope)
    if extra:
        claims.update(extra)
    return claims


def mint_access_token(
    *,
    signer: Signer,
    tenant: Tenant,
    client: Client,
    subject: str,
    scope: list[str],
    now: int,
    ttl: int,
    extra: dict[str, Any] | None = None,
    audience: list[str] | None = None,
) -> IssuedToken:
    """A signed RFC 9068 JWT access token (always a JWT, whatever the client's format)."""
    claims = access_token_claims(
        tenant=tenant,
        client=client,
        subject=subject,
        scope=scope,
        now=now,
        ttl=ttl,
        audience=audience,
        extra=extra,
    )
    return IssuedToken(signer.sign(claims, typ="at+jwt"), ttl, scope, claims["jti"])


async def issue_access_token(
    ctx: TokenContext,
    *,
    client: Client,
    subject: str,
    scope: list[str],
    audience: list[str] | None = None,
    extra: dict[str, Any] | None = None,
    grant_id: str | None = None,
    ttl: int | None = None,
) -> IssuedToken:
    """Issue an access token in the client's format, bound to the request's DPoP key if any.

    - ``access_token_format == "opaque"``: a random reference token; its keyed digest and the
      claims it stands for go to ``opaque_access_tokens``. Introspection (RFC 7662) answers
      for it.
    - otherwise an RFC 9068 JWT signed with the active key.
    - ``grant_id``: the token family the token belongs to (``oauth_grants``); it is stored with
      opaque tokens and named in the ``grant_id`` claim, so that revoking the family (RFC 7009
      §2.1, refresh-token reuse) makes its access tokens inactive too.
    - ``ctx.dpop_jkt`` set (a verified DPoP proof): ``cnf: {"jkt": ...}`` and token type DPoP.
    - ``ttl`` defaults to the client's access-token lifetime, then the deployment's.
    - ``ctx.token_hook`` (``identra.actions``, the pre-issue access token action) sees the
      claims before they are signed or stored and may change them within ``hooks.checked``;
      the token's scope and lifetime are then the hook's.
    """
    lifetime = ttl or client.access_token_ttl or ctx.access_token_ttl
    claims_extra = dict(extra or {})
    if grant_id is not None:
        # Introspection reports a token inactive once its family is revoked.
        claims_extra.setdefault("grant_id", grant_id)
    token_type = "Bearer"
    if ctx.dpop_jkt is not None:
        claims_extra["cnf"] = {"jkt": ctx.dpop_jkt}
        token_type = "DPoP"
    now = ctx.now()
    opaque = client.access_token_format == "opaque"
    if opaque and ctx.extras is None:
        raise ServerError("opaque access tokens are not available here")
    claims = access_token_claims(
        tenant=ctx.tenant,
        client=client,
        subject=subject,
        scope=scope,
        now=now,
        ttl=lifetime,
        audience=audience,
        extra=claims_extra,
    )
    if ctx.token_hook is not None:
        # An extension may change claims, scopes, audiences and lifetime (hooks.checked keeps
        # what identifies the token), or refuse the token with an OAuth2Error.
        draft = TokenDraft(
            tenant=ctx.tenant,
            client=client,
            grant_type=_grant_type(ctx),
            subject=subject,
            scopes=tuple(scope),
            claims=claims,
            ttl=lifetime,
            request=ctx.request,
        )
        final = checked(draft, await ctx.token_hook.before_issue(draft))
        claims, scope, lifetime = final.claims, list(final.scopes), final.ttl
    if opaque:
        assert ctx.extras is not None
        token = secrets.token_urlsafe(32)
        await ctx.extras.opaque_tokens.save(
            digest=ctx.extras.secrets.digest(token),
            org_id=ctx.tenant.org_id,
            application_id=client.id,
            grant_id=grant_id,
            claims=claims,
            expires_at=now + lifetime,
        )
        return IssuedToken(token, lifetime, scope, claims["jti"], token_type)
    signed = ctx.signer.sign(claims, typ="at+jwt")
    return IssuedToken(signed, lifetime, scope, claims["jti"], token_type)


def _grant_type(ctx: TokenContext) -> str | None:
    if ctx.request is None:
        return None
    values = ctx.request.form.get("grant_type")
    return values[0] if values else None
