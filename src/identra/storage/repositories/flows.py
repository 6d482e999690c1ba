"""Stored flow revisions: the active flow of an application or organization, cached.

Revisions never change once written, so a revision read by its id is cached for good (flow
contexts pin one). Which revision is *active* for an (organization, application) is cached for
``ttl`` seconds and dropped at once when the ``flow`` configuration event arrives (any node's
write to ``flows`` publishes it, see ``identra.cache.invalidation``).
"""

from __future__ import annotations

import time
from collections import OrderedDict

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from identra.flows.builtin import BUILTIN_REF, builtin
from identra.flows.document import FlowInvalid, parse
from identra.flows.ports import StoredFlow
from identra.storage.models import Application, Flow

REVISIONS_KEPT = 512


async def active_row(db: AsyncSession, org_id: str, application_id: str | None) -> Flow | None:
    query = select(Flow).where(Flow.org_id == org_id, Flow.active.is_(True))
    if application_id is None:
        query = query.where(Flow.application_id.is_(None))
    else:
        query = query.where(Flow.application_id == application_id)
    return await db.scalar(query.order_by(Flow.revision.desc()).limit(1))


def stored(row: Flow) -> StoredFlow | None:
    try:
        return StoredFlow(row.id, row.revision, parse(row.definition))
    except FlowInvalid:
        return None  # written by a newer version, or edited by hand: fall back


class SqlFlowSource:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], ttl: float = 30.0) -> None:
        self._sessions = sessions
        self._ttl = ttl
        self._builtin = builtin()
        self._active: dict[tuple[str, str], tuple[StoredFlow, float]] = {}
        self._revisions: OrderedDict[str, StoredFlow] = OrderedDict()

    def invalidate(self, org_id: str) -> None:
        for key in [k for k in self._active if k[0] == org_id]:
            self._active.pop(key, None)

    async def active(self, org_id: str, client_id: str) -> StoredFlow:
        key = (org_id, client_id)
        hit = self._active.get(key)
        if hit is not None and hit[1] > time.monotonic():
            return hit[0]
        async with self._sessions() as db:
            app_id = await db.scalar(
                select(Application.id).where(
                    Application.org_id == org_id, Application.client_id == client_id
                )
            )
            row = await active_row(db, org_id, app_id) if app_id is not None else None
            if row is None:
                row = await active_row(db, org_id, None)
        flow = (stored(row) if row is not None else None) or self._builtin
        self._remember(flow)
        self._active[key] = (flow, time.monotonic() + self._ttl)
        return flow

    async def by_ref(self, ref: str) -> StoredFlow | None:
        if ref == BUILTIN_REF:
            return self._builtin
        hit = self._revisions.get(ref)
        if hit is not None:
            self._revisions.move_to_end(ref)
            return hit
        async with self._sessions() as db:
            row = await db.get(Flow, ref)
        flow = stored(row) if row is not None else None
        if flow is not None:
            self._remember(flow)
        return flow

    def _remember(self, flow: StoredFlow) -> None:
        self._revisions[flow.ref] = flow
        self._revisions.move_to_end(flow.ref)
        while len(self._revisions) > REVISIONS_KEPT:
            self._revisions.popitem(last=False)
