"""Choose the backend from settings."""

from __future__ import annotations

from identra.cache.base import Cache
from identra.cache.memory import MemoryCache
from identra.cache.redis import RedisCache


def create_cache(redis_url: str | None, prefix: str = "identra:") -> Cache:
    return RedisCache(redis_url, prefix) if redis_url else MemoryCache()
