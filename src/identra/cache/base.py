"""The ephemeral-state interface every node-local or shared backend implements.

Values are bytes or str (callers serialise JSON themselves; never pickle). ``take`` is an atomic
get-and-delete: it is what makes one-time codes single-use even across nodes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Protocol


class Cache(Protocol):
    async def get(self, key: str) -> str | None: ...

    async def set(self, key: str, value: str, ttl: float | None = None) -> None: ...

    async def add(self, key: str, value: str, ttl: float | None = None) -> bool:
        """Set only if absent; True when this call created the key."""
        ...

    async def delete(self, key: str) -> None: ...

    async def take(self, key: str) -> str | None:
        """Atomically return and delete the value."""
        ...

    async def incr(self, key: str, ttl: float) -> int:
        """Increment a counter; the first increment starts its time-to-live."""
        ...

    async def publish(self, channel: str, message: str) -> None: ...

    def subscribe(self, channel: str) -> AsyncIterator[str]: ...

    async def ping(self) -> bool: ...

    async def close(self) -> None: ...


Listener = Callable[[str], Awaitable[None]]
