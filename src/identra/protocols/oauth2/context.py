"""What every grant needs from its surroundings, passed explicitly (no globals)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from identra.protocols.http import ProtocolRequest
from identra.protocols.oauth2.hooks import TokenHook
from identra.protocols.oauth2.models import Tenant
from identra.protocols.oauth2.storage import ClientStore, SecretVerifier
from identra.protocols.oauth2.tokens import Signer

if TYPE_CHECKING:
    from identra.protocols.oauth2.extras import TokenExtras


@dataclass(frozen=True)
class TokenContext:
    tenant: Tenant
    clients: ClientStore
    verifier: SecretVerifier
    signer: Signer
    now: Callable[[], int]
    access_token_ttl: int
    # What the non-interactive extensions need (opaque tokens, JWT client authentication,
    # DPoP, introspection state, device codes); None where a caller does not offer them.
    extras: TokenExtras | None = field(default=None, kw_only=True)
    # RFC 9449: the JWK thumbprint of the DPoP proof verified on this request, if any. Tokens
    # issued through ``tokens.issue_access_token`` are bound to it (``cnf.jkt``).
    dpop_jkt: str | None = field(default=None, kw_only=True)
    # Called with every access token before it is issued (``identra.actions``: the pre-issue
    # access token action); None when no extension is wired.
    token_hook: TokenHook | None = field(default=None, kw_only=True)
    # The token request being served; the token endpoint sets it (the hook's context).
    request: ProtocolRequest | None = field(default=None, kw_only=True)
