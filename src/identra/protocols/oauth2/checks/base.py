"""What every authorization-request check shares.

Until the client and its redirect URI are known to be genuine, an error must not be sent to
the redirect URI (RFC 6749 §4.1.2.1: "MUST NOT automatically redirect the user-agent to the
invalid redirection URI"); such errors are :class:`NoRedirect` and end on an error page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from identra.protocols.oauth2.errors import OAuth2Error
from identra.protocols.oauth2.models import Client, Tenant
from identra.protocols.oidc.id_token import IssuedTokenVerifier


class NoRedirect(Exception):
    """An error shown to the user on an error page, never redirected."""

    def __init__(self, error: OAuth2Error) -> None:
        super().__init__(error.description)
        self.error = error


@dataclass
class Draft:
    """The authorization request as the checks build it up."""

    tenant: Tenant
    params: dict[str, list[str]]
    now: int
    verifier: IssuedTokenVerifier  # for id_token_hint
    client: Client | None = None
    redirect_uri: str | None = None
    redirect_uri_sent: bool = False
    response_type: str = "code"
    response_mode: str = "query"
    scopes: list[str] = field(default_factory=list)
    state: str | None = None
    nonce: str | None = None
    code_challenge: str | None = None
    prompt: list[str] = field(default_factory=list)
    max_age: int | None = None
    acr_values: list[str] = field(default_factory=list)
    login_hint: str | None = None
    hint_subject: str | None = None
    ui_locales: list[str] = field(default_factory=list)
    claims: dict[str, dict[str, Any]] = field(default_factory=dict)
    dpop_jkt: str | None = None

    def need_client(self) -> Client:
        assert self.client is not None, "client check must run first"
        return self.client
