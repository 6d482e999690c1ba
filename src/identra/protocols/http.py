"""Plain request/response objects that protocol handlers take and return.

One adapter (``identra.web.adapter``) converts them to and from Starlette, so handlers are tested
without HTTP and never read framework objects deep inside validation.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ProtocolRequest:
    method: str
    url: str
    headers: dict[str, str]  # lower-case names
    query: dict[str, list[str]] = field(default_factory=dict)
    form: dict[str, list[str]] = field(default_factory=dict)
    client_ip: str | None = None
    # The raw body, for endpoints that take JSON (RFC 7591 registration); empty otherwise.
    body: bytes = b""

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass
class ProtocolResponse:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(
        cls, status: int, payload: Any, headers: dict[str, str] | None = None
    ) -> ProtocolResponse:
        merged = {
            "content-type": "application/json",
            "cache-control": "no-store",
            "pragma": "no-cache",
        }
        merged.update(headers or {})
        return cls(status, json.dumps(payload, separators=(",", ":")).encode(), merged)
