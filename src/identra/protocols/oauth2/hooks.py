"""Extension points of token issuance, implemented outside protocol code.

A :class:`TokenHook` sees every access token just before it is signed (or stored, for opaque
tokens) and may return a changed draft: other claims, scopes, audiences or lifetime. It may also
refuse the token by raising an :class:`~identra.protocols.oauth2.errors.OAuth2Error`.
``identra.actions`` implements it with the pre-issue access token action.

Whatever a hook returns, :func:`checked` keeps the claims that identify the token and its
holder as they were: ``iss``, ``sub``, ``client_id``, ``org_id``, ``jti``, ``iat``, ``cnf``,
``grant_id``, ``act`` and the authentication facts. ``exp`` and ``scope`` are derived from the
draft's ``ttl`` and ``scopes``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from identra.protocols.http import ProtocolRequest
from identra.protocols.oauth2.errors import ServerError
from identra.protocols.oauth2.models import Client, Tenant

# Claims a hook can never change: who issued the token, to whom, about whom, for which
# organization, and how the holder proved itself.
PROTECTED = frozenset(
    {
        "iss",
        "sub",
        "client_id",
        "org_id",
        "jti",
        "iat",
        "nbf",
        "cnf",
        "grant_id",
        "act",
        "may_act",
        "auth_time",
        "acr",
        "amr",
        "sid",
    }
)
# Derived from the draft, not taken from its claims.
DERIVED = frozenset({"exp", "scope"})


@dataclass(frozen=True)
class TokenDraft:
    """An access token about to be issued."""

    tenant: Tenant
    client: Client
    grant_type: str | None
    subject: str
    scopes: tuple[str, ...]
    claims: dict[str, Any]
    ttl: int
    # The token request (headers and form), when the token endpoint issues the token.
    request: ProtocolRequest | None = field(default=None, compare=False)


class TokenHook(Protocol):
    async def before_issue(self, draft: TokenDraft) -> TokenDraft:
        """The draft to issue (``draft`` itself when nothing changes); raise an OAuth2Error to
        refuse the token."""
        ...


def checked(original: TokenDraft, changed: TokenDraft) -> TokenDraft:
    """``changed`` with the protected claims of ``original`` and ``exp``/``scope`` derived.

    A hook that tried to change a protected claim is a programming error on our side (the
    action layer refuses such operations first): the token is not issued.
    """
    if changed.ttl < 1:
        raise ServerError("a token hook set a lifetime below one second")
    claims = dict(changed.claims)
    for name in PROTECTED:
        if claims.get(name) != original.claims.get(name):
            raise ServerError("a token hook changed a protected claim", debug=name)
    aud = claims.get("aud")
    if not aud or (isinstance(aud, list) and not all(isinstance(a, str) and a for a in aud)):
        raise ServerError("a token hook left the token without a valid audience")
    claims["exp"] = int(original.claims["iat"]) + changed.ttl
    claims.pop("scope", None)
    if changed.scopes:
        claims["scope"] = " ".join(changed.scopes)
    return replace(changed, claims=claims, tenant=original.tenant, client=original.client)
