"""The action runtime of one node: which actions are active, calling them, the failure policy,
and the audit record of every call.

Active actions are cached per organization (an organization's own actions run after those of
its ancestors, each group in creation order). A write to the ``actions`` table on any node
publishes the ``actions`` configuration event (``identra.cache.invalidation``), which empties
the cache at once; entries also expire after :data:`CACHE_TTL` seconds, for changes made by a
separate process on the embedded single-node setup.

:meth:`ActionRuntime.run` makes one call and decides its outcome:

- ``Applied``: ``SUCCESS`` (or ``INCOMPLETE``), and the type's ``interpret`` accepted the
  operations; its value is the change to apply.
- ``Rejected``: ``FAILED``, a deliberate refusal; it is never overridden by the failure policy.
- ``Skipped``: a fault (down, timeout, HTTP error, ``ERROR``, invalid JSON or envelope,
  disallowed operation, oversized body) with the ``fail_open`` policy: go on as if the action
  did not exist.
- ``Unavailable``: the same fault with ``fail_closed`` (the default): stop.

Each call writes one audit event ``action.call`` (action id and name, type, latency, HTTP
status, outcome, fault kind) in its own transaction, so that it is kept whether or not the
change it was about is. Code that calls actions while its own transaction may already hold
write locks (a SCIM Bulk request runs all its operations in one transaction) wraps the
request in :func:`deferred_audit`: the records are then written once that transaction has
ended, instead of waiting for its locks on SQLite. Payloads, credentials and signing secrets
are never logged or audited.
"""

from __future__ import annotations

import logging
import secrets
import time
import weakref
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import select

from identra.actions.caller import Fault, Reply, call, encode
from identra.actions.model import TYPES, ActionSpec, OrgInfo
from identra.actions.rules import rule_from_stored
from identra.observability import audit
from identra.observability.logging import request_id_var
from identra.services import Services
from identra.storage.models import Action, Organization, User, UserStore

log = logging.getLogger(__name__)
CACHE_TTL = 30.0
T = TypeVar("T")
# Audit records of action calls waiting for the end of the caller's transaction (deferred_audit).
_DEFERRED: ContextVar[list[dict[str, Any]] | None] = ContextVar("action_audits", default=None)


@dataclass(frozen=True)
class Applied(Generic[T]):
    action: ActionSpec
    value: T
    reply: Reply


@dataclass(frozen=True)
class Rejected:
    action: ActionSpec
    reason: str
    description: str

    @property
    def message(self) -> str:
        """The service's words for the user: the description, else the reason."""
        return user_text(self.description or self.reason)


@dataclass(frozen=True)
class Skipped:
    action: ActionSpec
    fault: Fault


@dataclass(frozen=True)
class Unavailable:
    action: ActionSpec
    fault: Fault


Outcome = Applied[T] | Rejected | Skipped | Unavailable


def user_text(text: str, limit: int = 300) -> str:
    """A service-provided message made safe to show: printable, one line, bounded."""
    clean = "".join(c if c.isprintable() else " " for c in text)
    clean = " ".join(clean.split())
    return clean[:limit]


@dataclass(frozen=True)
class OrgActions:
    org: OrgInfo
    actions: tuple[ActionSpec, ...]
    expires: float


@dataclass(frozen=True)
class UserInfo:
    id: str
    username: str
    store_id: str
    store: str  # the user store's identifier (PRIMARY...)


def to_spec(row: Action) -> ActionSpec:
    return ActionSpec(
        id=row.id,
        org_id=row.org_id,
        name=row.name,
        type=row.type,
        endpoint=row.endpoint,
        auth_type=row.auth_type,
        auth_encrypted=row.auth_encrypted,
        timeout_ms=row.timeout_ms,
        failure_policy=row.failure_policy,
        rule=rule_from_stored(row.rule, TYPES[row.type].rule_fields),
        signing_secret_encrypted=row.signing_secret_encrypted,
        config=dict(row.config or {}),
    )


def org_info(org: Organization) -> OrgInfo:
    ids = [part for part in org.path.split("/") if part]
    ancestors = tuple(ids[:-1]) if ids and ids[-1] == org.id else tuple(ids)
    return OrgInfo(org.id, org.handle, org.name, len(ancestors), ancestors)


def new_request_id() -> str:
    return request_id_var.get() or "req_" + secrets.token_urlsafe(12)


class ActionRuntime:
    def __init__(self, services: Services) -> None:
        self.services = services
        self._cache: dict[str, OrgActions] = {}
        self.hooks: dict[str, object] = {}  # the hooks built on this runtime, by kind

    def invalidate(self, _key: str = "") -> None:
        self._cache.clear()

    async def _load(self, org_id: str) -> OrgActions | None:
        hit = self._cache.get(org_id)
        if hit is not None and hit.expires > time.monotonic():
            return hit
        async with self.services.sessions() as session:
            org = await session.get(Organization, org_id)
            if org is None:
                return None
            info = org_info(org)
            scope = [*info.ancestors, org_id]
            rows = list(
                await session.scalars(
                    select(Action)
                    .where(Action.org_id.in_(scope), Action.enabled.is_(True))
                    .order_by(Action.created_at, Action.id)
                )
            )
        rank = {oid: i for i, oid in enumerate(scope)}
        rows.sort(key=lambda r: rank[r.org_id])  # stable: creation order within each org
        specs = tuple(to_spec(r) for r in rows if r.type in TYPES)
        loaded = OrgActions(info, specs, time.monotonic() + CACHE_TTL)
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[org_id] = loaded
        return loaded

    async def org(self, org_id: str) -> OrgInfo | None:
        loaded = await self._load(org_id)
        return loaded.org if loaded is not None else None

    async def active(self, org_id: str, action_type: str) -> list[ActionSpec]:
        loaded = await self._load(org_id)
        if loaded is None:
            return []
        return [a for a in loaded.actions if a.type == action_type]

    async def by_name(self, org_id: str, action_type: str, name: str) -> ActionSpec | None:
        for spec in await self.active(org_id, action_type):
            if spec.name == name and spec.org_id == org_id:
                return spec
        return None

    async def user(self, org_id: str, user_id: str) -> UserInfo | None:
        async with self.services.sessions() as session:
            row = (
                await session.execute(
                    select(User.id, User.username, UserStore.id, UserStore.identifier)
                    .join(UserStore, UserStore.id == User.user_store_id)
                    .where(User.org_id == org_id, User.id == user_id)
                )
            ).first()
        if row is None:
            return None
        return UserInfo(str(row[0]), str(row[1]), str(row[2]), str(row[3]))

    async def run(
        self,
        spec: ActionSpec,
        payload: dict[str, Any],
        interpret: Callable[[Reply], T],
        *,
        actor: audit.Actor = audit.SYSTEM,
        org_id: str | None = None,
    ) -> Outcome[T]:
        """Call ``spec`` with ``payload`` and decide the outcome (see the module docstring)."""
        request_id = str(payload.get("requestId") or new_request_id())
        started = time.perf_counter()
        reply: Reply | None = None
        result: Outcome[T]
        try:
            reply = await call(
                spec,
                encode(payload),
                box=self.services.box,
                request_id=request_id,
                timestamp=self.services.clock.timestamp(),
            )
            if reply.status == "FAILED":
                result = Rejected(spec, reply.failure_reason, reply.failure_description)
            elif reply.status == "ERROR":  # parse_reply raises for ERROR; kept for clarity
                raise Fault("service_error", "the service reported an error", reply.http_status)
            else:
                result = Applied(spec, interpret(reply), reply)
        except Fault as fault:
            if fault.http_status is None and reply is not None:
                fault.http_status = reply.http_status
            result = Skipped(spec, fault) if spec.fails_open else Unavailable(spec, fault)
        latency_ms = round((time.perf_counter() - started) * 1000, 2)
        await self._audit(spec, result, latency_ms, request_id, actor, org_id or spec.org_id)
        return result

    async def _audit(
        self,
        spec: ActionSpec,
        result: Outcome[Any],
        latency_ms: float,
        request_id: str,
        actor: audit.Actor,
        org_id: str,
    ) -> None:
        details: dict[str, Any] = {
            "action": spec.name,
            "type": spec.type,
            "latency_ms": latency_ms,
            "request_id": request_id,
            "policy": spec.failure_policy,
        }
        if isinstance(result, Applied):
            outcome = "success"
            details["result"] = "applied"
            details["http_status"] = result.reply.http_status
            details["status"] = result.reply.status
            details["operations"] = len(result.reply.operations)
        elif isinstance(result, Rejected):
            outcome = "failure"
            details["result"] = "rejected"
            details["http_status"] = 200
            details["failure_reason"] = user_text(result.reason, 200)
        else:
            outcome = "error"
            details["result"] = "skipped" if isinstance(result, Skipped) else "unavailable"
            details["fault"] = result.fault.kind
            details["detail"] = user_text(result.fault.detail, 200)
            if result.fault.http_status is not None:
                details["http_status"] = result.fault.http_status
            log.warning(
                "action call failed",
                extra={
                    "fields": {
                        "action_id": spec.id,
                        "action_type": spec.type,
                        "fault": result.fault.kind,
                        "policy": spec.failure_policy,
                        "latency_ms": latency_ms,
                    }
                },
            )
        entry = {
            "org_id": org_id,
            "action": "action.call",
            "actor": actor,
            "target_type": "action",
            "target_id": spec.id,
            "outcome": outcome,
            "details": details,
        }
        deferred = _DEFERRED.get()
        if deferred is not None:
            deferred.append(entry)
            return
        await _write_audits(self.services, [entry])


async def _write_audits(services: Services, entries: list[dict[str, Any]]) -> None:
    if not entries:
        return
    try:
        async with services.sessions.begin() as session:
            for entry in entries:
                audit.record(session, **entry)
    except Exception:  # the audit log must not turn an answered call into a 500
        log.exception("could not record an action call audit event")


@asynccontextmanager
async def deferred_audit(services: Services) -> AsyncIterator[None]:
    """Keep the ``action.call`` audit records of the calls made inside, and write them in their
    own transaction at the end (whether the caller's transaction committed or not)."""
    entries: list[dict[str, Any]] = []
    token = _DEFERRED.set(entries)
    try:
        yield
    finally:
        _DEFERRED.reset(token)
        await _write_audits(services, entries)


def envelope(
    spec: ActionSpec,
    event: dict[str, Any],
    allowed_operations: list[dict[str, Any]] | None = None,
    *,
    flow_id: str | None = None,
) -> dict[str, Any]:
    """The request body every action type shares (WSO2 IS 7.1's envelope)."""
    out: dict[str, Any] = {
        "requestId": new_request_id(),
        "actionType": TYPES[spec.type].payload_name,
    }
    if flow_id is not None:
        out["flowId"] = flow_id
    out["event"] = event
    if allowed_operations is not None:
        out["allowedOperations"] = allowed_operations
    return out


def org_blocks(org: OrgInfo) -> dict[str, Any]:
    """``tenant`` and ``organization`` members of an event."""
    return {
        "tenant": {"id": org.id, "name": org.handle},
        "organization": {
            "id": org.id,
            "name": org.name,
            "orgHandle": org.handle,
            "depth": org.depth,
        },
    }


def user_block(user: UserInfo, org: OrgInfo) -> dict[str, Any]:
    return {
        "id": user.id,
        "organization": {"id": org.id, "name": org.name, "orgHandle": org.handle},
    }


def store_block(user: UserInfo) -> dict[str, Any]:
    return {"id": user.store_id, "name": user.store}


_RUNTIMES: dict[int, ActionRuntime] = {}


def for_services(services: Services) -> ActionRuntime:
    """The node's runtime for ``services`` (built on first use, with its invalidation)."""
    key = id(services)
    found = _RUNTIMES.get(key)
    if found is not None and found.services is services:
        return found
    runtime = ActionRuntime(services)
    _RUNTIMES[key] = runtime
    weakref.finalize(services, _RUNTIMES.pop, key, None)
    services.events.on("actions", runtime.invalidate)
    return runtime
