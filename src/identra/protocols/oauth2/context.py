"""What every grant needs from its surroundings, passed explicitly (no globals)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from identra.protocols.oauth2.models import Tenant
from identra.protocols.oauth2.storage import ClientStore, SecretVerifier
from identra.protocols.oauth2.tokens import Signer


@dataclass(frozen=True)
class TokenContext:
    tenant: Tenant
    clients: ClientStore
    verifier: SecretVerifier
    signer: Signer
    now: Callable[[], int]
    access_token_ttl: int
