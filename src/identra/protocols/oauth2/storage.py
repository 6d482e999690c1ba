"""Storage interfaces the OAuth code needs; SQL implementations live in identra.storage."""

from __future__ import annotations

from typing import Protocol

from identra.protocols.oauth2.models import Client


class ClientStore(Protocol):
    async def by_client_id(self, client_id: str) -> Client | None:
        """The client with this ``client_id`` in any organization, or None."""
        ...


class SecretVerifier(Protocol):
    def verify_digest(self, secret: str, expected: str) -> bool:
        """Constant-time check of a presented secret against its stored keyed digest."""
        ...
