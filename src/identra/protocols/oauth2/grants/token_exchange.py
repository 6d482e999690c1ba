"""RFC 8693: token exchange, the basis of impersonation and organization switching.

- §2.1: ``subject_token`` and ``subject_token_type`` are required; ``actor_token`` and
  ``actor_token_type`` come together or not at all; ``audience`` and ``resource`` may repeat;
  ``requested_token_type`` may only ask for an access token (or a JWT).
- Subject and actor tokens are access tokens of this deployment, active in the addressed
  organization (JWT or opaque, checked like introspection). Anything else, and a subject token
  neither issued to the requesting client nor naming it in ``aud``, is ``invalid_request``
  (§2.2.2: "invalid ... or unacceptable based on policy").
- Only confidential clients that registered the grant type may exchange (the token endpoint
  checks the grant type; public clients get ``unauthorized_client``).
- ``may_act`` (§4.4) in the subject token restricts who may act: the actor's ``sub`` must match.
- Delegation (§4.1): with an actor, the new token carries ``act`` = the actor's ``sub`` and
  ``client_id``, with any ``act`` of the subject token nested inside (the chain of prior actors).
  Without an actor the exchange is impersonation: same subject, no ``act``.
- Narrowing: every requested ``audience``/``resource`` must be one of the client's registered
  audiences (``invalid_target``, RFC 8707 §2); ``scope`` must be within the subject token's
  (``invalid_scope``), default all of it; the lifetime never outlasts the subject token's.
- §2.2.1: the response names ``issued_token_type``; no refresh token is issued.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from identra.protocols.http import ProtocolRequest, ProtocolResponse
from identra.protocols.oauth2.context import TokenContext
from identra.protocols.oauth2.endpoints.form import extras_of
from identra.protocols.oauth2.errors import (
    InvalidRequest,
    InvalidScope,
    InvalidTarget,
    UnauthorizedClient,
)
from identra.protocols.oauth2.inspection import TokenInfo, TokenInspector
from identra.protocols.oauth2.models import Client, Tenant
from identra.protocols.oauth2.params import required, scopes, single
from identra.protocols.oauth2.tokens import (
    ACCESS_TOKEN_TYPE,
    JWT_TOKEN_TYPE,
    issue_access_token,
)

TOKEN_EXCHANGE_GRANT = "urn:ietf:params:oauth:grant-type:token-exchange"
SUPPORTED_TOKEN_TYPES = (ACCESS_TOKEN_TYPE, JWT_TOKEN_TYPE)
MAX_TARGETS = 10


async def _token(
    inspector: TokenInspector,
    token: str,
    token_type: str,
    tenant: Tenant,
    now: int,
    name: str,
) -> TokenInfo:
    if token_type not in SUPPORTED_TOKEN_TYPES:
        raise InvalidRequest(f"unsupported {name}_type")
    info = await inspector.access_token(token, tenant, now)
    if info is None or (token_type == JWT_TOKEN_TYPE and info.format != "jwt"):
        raise InvalidRequest(f"{name} is invalid, expired or revoked")
    if info.subject is None:
        raise InvalidRequest(f"{name} has no subject")
    return info


def _audiences(info: TokenInfo) -> list[str]:
    aud = info.claims.get("aud")
    if isinstance(aud, str):
        return [aud]
    return [a for a in aud if isinstance(a, str)] if isinstance(aud, list) else []


def _targets(request: ProtocolRequest, client: Client) -> list[str]:
    audiences = request.form.get("audience", [])
    resources = request.form.get("resource", [])
    for resource in resources:
        parts = urlsplit(resource)
        if not parts.scheme or not parts.netloc or parts.fragment or "#" in resource:
            raise InvalidTarget("resource must be an absolute URI without a fragment")
    targets = list(dict.fromkeys([*audiences, *resources]))
    if len(targets) > MAX_TARGETS:
        raise InvalidTarget("too many audiences and resources")
    refused = [t for t in targets if t not in client.audiences]
    if refused:
        raise InvalidTarget(f"not an audience of this client: {' '.join(refused)}")
    return targets


def _act(actor: TokenInfo, subject: TokenInfo) -> dict[str, Any]:
    act: dict[str, Any] = {"sub": actor.subject, "client_id": actor.client_id}
    prior = subject.claims.get("act")
    if isinstance(prior, dict):
        act["act"] = prior
    return act


class TokenExchangeGrant:
    grant_type = TOKEN_EXCHANGE_GRANT

    async def handle(
        self, request: ProtocolRequest, client: Client, ctx: TokenContext
    ) -> ProtocolResponse:
        inspector = extras_of(ctx).inspector
        if client.is_public:
            raise UnauthorizedClient("public clients cannot exchange tokens")
        form = request.form
        subject_token = required(form, "subject_token")
        subject_type = required(form, "subject_token_type")
        actor_token = single(form, "actor_token")
        actor_type = single(form, "actor_token_type")
        if (actor_token is None) != (actor_type is None):
            raise InvalidRequest("actor_token and actor_token_type go together")
        if single(form, "requested_token_type") not in (None, *SUPPORTED_TOKEN_TYPES):
            raise InvalidRequest("only access tokens can be requested")
        requested_scope = scopes(single(form, "scope"))
        targets = _targets(request, client)
        now = ctx.now()
        subject = await _token(
            inspector, subject_token, subject_type, ctx.tenant, now, "subject_token"
        )
        if subject.client_id != client.client_id and client.client_id not in _audiences(subject):
            raise InvalidRequest("subject_token was not issued to or for this client")
        extra: dict[str, Any] = {}
        if actor_token is not None and actor_type is not None:
            actor = await _token(inspector, actor_token, actor_type, ctx.tenant, now, "actor_token")
            may_act = subject.claims.get("may_act")
            if isinstance(may_act, dict) and may_act.get("sub") != actor.subject:
                raise InvalidRequest("the actor may not act for this subject (may_act)")
            extra["act"] = _act(actor, subject)
        if requested_scope:
            beyond = [s for s in requested_scope if s not in subject.scope]
            if beyond:
                raise InvalidScope(f"scope beyond the subject token's: {' '.join(beyond)}")
            granted = requested_scope
        else:
            granted = subject.scope
        lifetime = min(client.access_token_ttl or ctx.access_token_ttl, subject.expires_at - now)
        assert subject.subject is not None
        issued = await issue_access_token(
            ctx,
            client=client,
            subject=subject.subject,
            scope=granted,
            audience=targets or None,
            extra=extra,
            grant_id=subject.grant_id,
            ttl=max(lifetime, 1),
        )
        body = issued.response_fields()
        body["issued_token_type"] = ACCESS_TOKEN_TYPE
        return ProtocolResponse.json(200, body)
