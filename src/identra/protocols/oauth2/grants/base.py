"""The interface every grant implements."""

from __future__ import annotations

from typing import Protocol

from identra.protocols.http import ProtocolRequest, ProtocolResponse
from identra.protocols.oauth2.context import TokenContext
from identra.protocols.oauth2.models import Client


class Grant(Protocol):
    grant_type: str

    async def handle(
        self, request: ProtocolRequest, client: Client, ctx: TokenContext
    ) -> ProtocolResponse: ...
