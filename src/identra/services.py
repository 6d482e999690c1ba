"""The shared services a running node holds, built once at start-up from the settings."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from identra.cache.base import Cache
from identra.cache.factory import create_cache
from identra.cache.invalidation import ConfigEvents
from identra.clock import Clock
from identra.crypto import passwords
from identra.crypto.keyring import Keyring
from identra.crypto.secretbox import SecretBox, decode_master_key, load_or_create_key_file
from identra.observability.metrics import Metrics
from identra.settings import Settings
from identra.storage.db import create_engine, session_factory


@dataclass
class Services:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    cache: Cache
    box: SecretBox
    keyring: Keyring
    clock: Clock
    metrics: Metrics
    events: ConfigEvents

    async def close(self) -> None:
        await self.events.stop()
        await self.cache.close()
        await self.engine.dispose()


def master_key(settings: Settings) -> bytes:
    if settings.master_key is not None:
        return decode_master_key(settings.master_key.get_secret_value())
    return load_or_create_key_file(settings.data_dir / "master.key")


def build_services(settings: Settings, clock: Clock | None = None) -> Services:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    clock = clock or Clock()
    engine = create_engine(settings.effective_database_url)
    cache = create_cache(settings.redis_url, settings.cache_prefix)
    events = ConfigEvents(cache)
    sessions = session_factory(engine, info={"config_events": events})
    box = SecretBox(master_key(settings))
    if settings.password_hash is not None:
        chosen = settings.password_hash
        passwords.configure(chosen.time_cost, chosen.memory_cost, chosen.parallelism)
    return Services(
        settings=settings,
        engine=engine,
        sessions=sessions,
        cache=cache,
        box=box,
        keyring=Keyring(sessions, box, clock, settings.signing_alg),
        clock=clock,
        metrics=Metrics(),
        events=events,
    )
