"""The small domain records protocol code sees (never ORM rows)."""

from __future__ import annotations

from dataclasses import dataclass


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

    @property
    def is_public(self) -> bool:
        return self.auth_method == "none"
