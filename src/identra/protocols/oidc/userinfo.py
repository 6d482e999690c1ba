"""OIDC Core 1.0 §5.3: the UserInfo endpoint, a protected resource (RFC 6750).

- GET or POST. The access token comes in the ``Authorization: Bearer`` header (``DPoP`` with
  a proof for sender-constrained tokens, RFC 9449 §7), or in a
  form-encoded POST body (RFC 6750 §2.2); never in the query (§2.3 is not supported, RFC 9700
  §2.2.2). More than one method is ``invalid_request``.
- No credentials: 401 with a bare ``WWW-Authenticate: Bearer`` challenge (RFC 6750 §3.1: no
  error code). A bad, expired or revoked token: 401 ``invalid_token``. A token without the
  ``openid`` scope: 403 ``insufficient_scope``.
- The answer holds ``sub`` and the claims of the granted scopes (§5.4) plus those requested in
  the ``userinfo`` member of the ``claims`` parameter (§5.5). ``sub`` is the one the client's
  ID tokens carry (§5.3.2: they MUST agree), so a pairwise client gets its pairwise ``sub``
  (§8.1); the access token itself names the local user.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from identra.cache.base import Cache
from identra.protocols.http import ProtocolRequest, ProtocolResponse
from identra.protocols.oauth2 import dpop
from identra.protocols.oauth2.client_auth import endpoint_url
from identra.protocols.oauth2.errors import (
    InvalidDpopProof,
    InvalidRequest,
    InvalidToken,
    OAuth2Error,
)
from identra.protocols.oauth2.inspection import TokenInspector
from identra.protocols.oauth2.models import Tenant
from identra.protocols.oidc.claims import release
from identra.protocols.oidc.storage import ClientSettingsStore, GrantStore, UserDirectory
from identra.protocols.oidc.subjects import Subjects

REALM = "identra"


@dataclass(frozen=True)
class UserinfoContext:
    tenant: Tenant
    inspector: TokenInspector
    grants: GrantStore
    users: UserDirectory
    cache: Cache  # DPoP proof replay
    now: Callable[[], int]
    # The client's subject space (OIDC Core §8): both are needed for pairwise subjects. The
    # digest is the deployment's keyed digest (``services.box.digest``).
    client_settings: ClientSettingsStore | None = field(default=None, kw_only=True)
    digest: Callable[[str], str] | None = field(default=None, kw_only=True)


def _challenge(error: str | None = None, description: str | None = None) -> str:
    value = f'Bearer realm="{REALM}"'
    if error:
        value += f', error="{error}"'
    if description:
        value += f', error_description="{description}"'
    return value


def _bearer_error(status: int, error: str, description: str) -> ProtocolResponse:
    return ProtocolResponse.json(
        status,
        {"error": error, "error_description": description},
        {"www-authenticate": _challenge(error, description)},
    )


def _token(request: ProtocolRequest) -> tuple[str, str] | None:
    """(scheme, token) from the Authorization header or the form body."""
    header = request.header("authorization")
    form_token = request.form.get("access_token") if request.method == "POST" else None
    if header is not None and form_token is not None:
        raise InvalidRequest("use only one way to send the access token")
    if form_token is not None:
        if len(form_token) != 1:
            raise InvalidRequest("access_token was sent more than once")
        return "Bearer", form_token[0]
    if header is None:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() not in ("bearer", "dpop") or not value.strip():
        raise InvalidToken("the Authorization header must use the Bearer or DPoP scheme")
    return scheme, value.strip()


async def userinfo(request: ProtocolRequest, ctx: UserinfoContext) -> ProtocolResponse:
    if request.method not in ("GET", "POST"):
        return _bearer_error(400, "invalid_request", "use GET or POST")
    if "access_token" in request.query:
        return _bearer_error(400, "invalid_request", "access tokens are not accepted in the URL")
    try:
        presented = _token(request)
    except InvalidToken as error:
        return _bearer_error(401, error.error, error.description)
    except OAuth2Error as error:
        return _bearer_error(400, error.error, error.description)
    if presented is None:
        return ProtocolResponse.json(
            401, {"error": "invalid_token"}, {"www-authenticate": _challenge()}
        )
    scheme, token = presented
    now = ctx.now()
    # JWT or opaque, unexpired, not revoked (itself or its family), of this organization.
    info = await ctx.inspector.access_token(token, ctx.tenant, now)
    if info is None:
        return _bearer_error(401, "invalid_token", "the access token is invalid or expired")
    try:
        await dpop.check_resource_access(
            scheme=scheme,
            access_token=token,
            token_jkt=info.jkt,
            proof=dpop.proof_header(request),
            method=request.method,
            urls=(endpoint_url(request, ctx.tenant), request.url),
            now=now,
            replay=ctx.cache,
        )
    except InvalidDpopProof as error:
        return dpop.resource_error(error)
    except InvalidToken as error:
        return _bearer_error(401, error.error, error.description)
    if "openid" not in info.scope:
        return _bearer_error(403, "insufficient_scope", "the access token lacks the openid scope")
    grant_claims: dict[str, Any] = {}
    if info.grant_id is not None:
        grant = await ctx.grants.get(info.grant_id)
        if grant is None or grant.revoked:
            return _bearer_error(401, "invalid_token", "the access token was revoked")
        grant_claims = grant.claims
    subject = info.subject
    user = await ctx.users.profile(ctx.tenant.org_id, subject) if subject else None
    if user is None or not user.active:
        return _bearer_error(401, "invalid_token", "the user is not active")
    try:
        subject = await _subject(ctx, info.client_id, user.id)
    except InvalidToken as error:
        return _bearer_error(401, error.error, error.description)
    except OAuth2Error as error:
        return error.response()
    body: dict[str, Any] = {"sub": subject}
    body.update(
        release(user.claims, info.scope, grant_claims.get("userinfo"), include_scope_claims=True)
    )
    return ProtocolResponse.json(200, body)


async def _subject(ctx: UserinfoContext, client_id: str, user_id: str) -> str:
    """The ``sub`` the client knows the user by."""
    if ctx.client_settings is None or ctx.digest is None:
        return user_id
    found = await ctx.client_settings.by_ids(ctx.tenant.org_id, [client_id])
    settings = found.get(client_id)
    if settings is None:
        # Its subject space is unknown: answering with the local id could link the user.
        raise InvalidToken("the client of the access token no longer exists")
    return Subjects(ctx.digest).subject(settings, user_id)
