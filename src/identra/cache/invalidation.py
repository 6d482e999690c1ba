"""Configuration changes invalidate cached copies on every node, within a second.

Writes to configuration tables (applications, organizations, signing keys, ...) are noticed
after commit by a SQLAlchemy hook; the change is applied to this node's caches at once and
published on the cache backend's pub/sub channel for the other nodes. With the in-process
backend there are no other nodes, and local caches also expire after a short time so that a
separate CLI process's changes are seen.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from identra.cache.base import Cache

log = logging.getLogger(__name__)
CHANNEL = "config-events"
Handler = Callable[[str], Awaitable[None] | None]


class ConfigEvents:
    def __init__(self, cache: Cache) -> None:
        self._cache = cache
        self._handlers: dict[str, list[Handler]] = {}
        self._node = secrets.token_hex(6)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._loops: list[asyncio.Task[None]] = []
        self._listener: asyncio.Task[None] | None = None

    def on(self, topic: str, handler: Handler) -> None:
        self._handlers.setdefault(topic, []).append(handler)

    async def _apply(self, topic: str, key: str) -> None:
        for handler in self._handlers.get(topic, []):
            result = handler(key)
            if result is not None:
                await result

    def changed(self, topic: str, key: str) -> None:
        """Called after a commit: invalidate here, then tell the other nodes."""
        self._spawn(self._apply(topic, key))
        message = json.dumps({"topic": topic, "key": key, "node": self._node})
        self._spawn(self._cache.publish(CHANNEL, message))

    def _spawn(self, coro: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _listen(self) -> None:
        while True:
            try:
                async for raw in self._cache.subscribe(CHANNEL):
                    data = json.loads(raw)
                    if data.get("node") != self._node:
                        await self._apply(str(data["topic"]), str(data["key"]))
            except asyncio.CancelledError:
                raise
            except Exception:  # a dropped Redis connection: resubscribe after a pause
                log.warning("config event subscription lost; retrying", exc_info=True)
                await asyncio.sleep(1)

    def every(self, seconds: float, job: Callable[[], Awaitable[None]]) -> None:
        """Run ``job`` periodically until stop(); failures are logged, not fatal."""

        async def loop() -> None:
            while True:
                await asyncio.sleep(seconds)
                try:
                    await job()
                except Exception:
                    log.warning("periodic job failed", exc_info=True)

        self._loops.append(asyncio.create_task(loop()))

    def start(self) -> None:
        if self._listener is None:
            self._listener = asyncio.create_task(self._listen())

    async def stop(self) -> None:
        loops = [*self._loops, *([self._listener] if self._listener else [])]
        for task in loops:
            task.cancel()
        if loops:
            # Bounded: a loop stuck in a network call must not hold up shutdown.
            await asyncio.wait(loops, timeout=5)
        self._loops, self._listener = [], None
        # Let in-flight invalidations finish: cancelling one mid-query would strand its
        # database connection.
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=5)


# Which tables are configuration, and which key identifies a cached copy of a row.
TRACKED: dict[str, tuple[str, str]] = {
    "actions": ("actions", "org_id"),
    "applications": ("client", "client_id"),
    "branding": ("branding", "org_id"),
    "flows": ("flow", "org_id"),
    "organizations": ("org", "handle"),
    "signing_keys": ("keys", "kid"),
}


def _collect(session: Session, flush_context: Any) -> None:
    pending: set[tuple[str, str]] = session.info.setdefault("config_changes", set())
    for obj in (*session.new, *session.dirty, *session.deleted):
        spec = TRACKED.get(getattr(obj, "__tablename__", ""))
        if spec is not None:
            pending.add((spec[0], str(getattr(obj, spec[1]))))


def _publish(session: Session) -> None:
    pending: set[tuple[str, str]] = session.info.pop("config_changes", set())
    events: ConfigEvents | None = session.info.get("config_events")
    if events is None:
        return
    for topic, key in pending:
        events.changed(topic, key)


def _discard(session: Session) -> None:
    session.info.pop("config_changes", None)


event.listen(Session, "before_flush", lambda s, ctx, inst: _collect(s, ctx))
event.listen(Session, "after_commit", _publish)
event.listen(Session, "after_rollback", _discard)
