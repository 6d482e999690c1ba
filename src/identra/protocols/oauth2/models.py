"""The small domain records protocol code sees (never ORM rows)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Tenant:
    """The organization whose issuer a request came to."""

    org_id: str
    handle: str
    issuer: str


@dataclass(frozen=True)
class Client:
    id: str
    org_id: str
    client_id: str
    name: str
    type: str
    enabled: bool
    secret_digest: str | None
    auth_method: str
    grant_types: frozenset[str]
    scopes: frozenset[str]
    audiences: tuple[str, ...]
    redirect_uris: tuple[str, ...]
    pkce_required: bool
    access_token_format: str
    access_token_ttl: int | None
    # Keys for private_key_jwt (RFC 7523 §2.2, OIDC Core §9), inline or by URI.
    jwks: dict[str, Any] | None = field(default=None, kw_only=True, compare=False)
    jwks_uri: str | None = field(default=None, kw_only=True)
    # client_secret_jwt needs the secret itself (HMAC key), so it is kept encrypted as well.
    secret_encrypted: str | None = field(default=None, kw_only=True, repr=False)
    # RFC 9449 §5.2 dpop_bound_access_tokens; RFC 9126 §6 require_pushed_authorization_requests.
    dpop_bound_access_tokens: bool = field(default=False, kw_only=True)
    require_pushed_authorization_requests: bool = field(default=False, kw_only=True)
    # Token requests a minute, counted across nodes (``throttle``); None: no limit.
    token_rate_limit: int | None = field(default=None, kw_only=True)

    @property
    def is_public(self) -> bool:
        return self.auth_method == "none"
