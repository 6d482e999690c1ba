"""Writing audit events. Callers pass the session of the change so both commit together."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from identra.observability.logging import request_id_var
from identra.storage.models import AuditEvent

# Keys whose values must never reach the audit log, whatever the caller passes.
_SECRET_KEYS = {"password", "client_secret", "secret", "token", "private_key", "key"}


@dataclass(frozen=True)
class Actor:
    type: str  # user | application | system
    id: str | None
    ip: str | None = None


SYSTEM = Actor("system", None)


def scrub(details: dict[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for key, value in details.items():
        if key.lower() in _SECRET_KEYS or key.lower().endswith(("_secret", "_password")):
            clean[key] = "[redacted]"
        elif isinstance(value, dict):
            clean[key] = scrub(value)
        else:
            clean[key] = value
    return clean


def record(
    session: AsyncSession,
    *,
    org_id: str,
    action: str,
    actor: Actor,
    target_type: str | None = None,
    target_id: str | None = None,
    outcome: str = "success",
    details: dict[str, Any] | None = None,
) -> None:
    session.add(
        AuditEvent(
            org_id=org_id,
            action=action,
            outcome=outcome,
            actor_type=actor.type,
            actor_id=actor.id,
            target_type=target_type,
            target_id=target_id,
            ip=actor.ip,
            request_id=request_id_var.get(),
            details=scrub(details or {}),
        )
    )
