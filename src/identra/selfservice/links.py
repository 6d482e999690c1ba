"""One-time links (email verification, password reset): a random token in the link, its keyed
digest as the key of a short JSON record in the cache backend.

- Single use: :meth:`LinkStore.take` is an atomic get-and-delete (``Cache.take``), so two
  clicks, or two nodes, cannot both use a link.
- Expiry: the record carries ``expires_at`` checked against the injected clock, and the cache
  entry has the same time-to-live.
- Nothing usable is stored: a dump of the cache yields digests, not tokens.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from typing import Any

from identra.cache.base import Cache

_PREFIX = "ss-link:"
TOKEN_BYTES = 32


class LinkStore:
    def __init__(self, cache: Cache, digest: Callable[[str], str], now: Callable[[], int]) -> None:
        self._cache = cache
        self._digest = digest
        self._now = now

    def _key(self, purpose: str, token: str) -> str:
        return f"{_PREFIX}{purpose}:{self._digest(f'link:{purpose}:{token}')}"

    async def issue(self, purpose: str, payload: dict[str, Any], ttl: int) -> str:
        token = secrets.token_urlsafe(TOKEN_BYTES)
        record = {"v": 1, "expires_at": self._now() + ttl, "data": payload}
        await self._cache.set(self._key(purpose, token), json.dumps(record), ttl=ttl)
        return token

    def _valid(self, raw: str | None) -> dict[str, Any] | None:
        if raw is None:
            return None
        try:
            record = json.loads(raw)
        except ValueError:
            return None
        if not isinstance(record, dict) or record.get("v") != 1:
            return None
        if int(record.get("expires_at", 0)) <= self._now():
            return None
        data = record.get("data")
        return data if isinstance(data, dict) else None

    @staticmethod
    def _plausible(token: str) -> bool:
        return 20 <= len(token) <= 128

    async def peek(self, purpose: str, token: str) -> dict[str, Any] | None:
        """The link's data if it is still usable; it stays usable."""
        if not self._plausible(token):
            return None
        return self._valid(await self._cache.get(self._key(purpose, token)))

    async def take(self, purpose: str, token: str) -> dict[str, Any] | None:
        """The link's data if it was still usable; it is used up either way."""
        if not self._plausible(token):
            return None
        return self._valid(await self._cache.take(self._key(purpose, token)))
