"""Redis/Valkey backend: state shared by every node, pub/sub for cache invalidation."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from redis.asyncio import Redis

_INCR_WITH_TTL = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n
"""


class RedisCache:
    def __init__(self, url: str, prefix: str = "identra:") -> None:
        self._redis: Redis = Redis.from_url(url, decode_responses=True)
        self._prefix = prefix

    def _k(self, key: str) -> str:
        return self._prefix + key

    @staticmethod
    def _px(ttl: float | None) -> int | None:
        return None if ttl is None else max(1, int(ttl * 1000))

    async def get(self, key: str) -> str | None:
        value = await self._redis.get(self._k(key))
        return None if value is None else str(value)

    async def set(self, key: str, value: str, ttl: float | None = None) -> None:
        await self._redis.set(self._k(key), value, px=self._px(ttl))

    async def add(self, key: str, value: str, ttl: float | None = None) -> bool:
        return bool(await self._redis.set(self._k(key), value, px=self._px(ttl), nx=True))

    async def delete(self, key: str) -> None:
        await self._redis.delete(self._k(key))

    async def take(self, key: str) -> str | None:
        value = await self._redis.getdel(self._k(key))
        return None if value is None else str(value)

    async def incr(self, key: str, ttl: float) -> int:
        result = await self._redis.eval(_INCR_WITH_TTL, 1, self._k(key), str(self._px(ttl)))
        return int(result)

    async def publish(self, channel: str, message: str) -> None:
        await self._redis.publish(self._k(channel), message)

    async def subscribe(self, channel: str) -> AsyncIterator[str]:
        pubsub = self._redis.pubsub()
        await pubsub.subscribe(self._k(channel))
        try:
            async for message in pubsub.listen():
                if message.get("type") == "message":
                    yield str(message["data"])
        finally:
            # Closing drops the connection without a round trip: an UNSUBSCRIBE sent after a
            # cancelled read can wait forever for a reply that the interrupted reader ate.
            with contextlib.suppress(Exception):
                await asyncio.wait_for(pubsub.aclose(), timeout=2)  # type: ignore[no-untyped-call]

    async def ping(self) -> bool:
        return bool(await self._redis.ping())

    async def close(self) -> None:
        await self._redis.aclose()
