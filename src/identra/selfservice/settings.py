"""Per-organization self-service settings, kept in ``organizations.settings["self_service"]``.

No migration is needed: the organization row already has a JSON ``settings`` document. A
missing or unreadable entry means the defaults: registration off, recovery on, the default
password policy (:class:`identra.selfservice.policy.PasswordPolicy`).
"""

from __future__ import annotations

import logging
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from identra.errors import InvalidInput
from identra.observability import audit
from identra.storage.models import Organization

log = logging.getLogger(__name__)
KEY = "self_service"


class PolicySettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    min_length: int = Field(12, ge=8, le=128, description="fewest characters in a password")
    history: int = Field(
        5, ge=0, le=24, description="a new password may not be one of the last N (0: no check)"
    )
    block_common: bool = Field(True, description="refuse passwords of the common-password list")


class SelfServiceSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    registration: bool = Field(False, description="anyone may create an account at /register")
    recovery: bool = Field(True, description="users may reset a forgotten password by email")
    password_policy: PolicySettings = PolicySettings()


def read(org: Organization) -> SelfServiceSettings:
    raw = (org.settings or {}).get(KEY)
    if raw is None:
        return SelfServiceSettings()
    try:
        return SelfServiceSettings.model_validate(raw)
    except ValidationError:
        log.warning("organization %s has unreadable self-service settings; using defaults", org.id)
        return SelfServiceSettings()


async def write(
    session: AsyncSession, org: Organization, changes: dict[str, Any], actor: audit.Actor
) -> SelfServiceSettings:
    """Merge ``changes`` (same shape as :class:`SelfServiceSettings`) into the organization's
    settings, validated, and audit it. Raises :class:`InvalidInput` for bad values."""
    current = read(org).model_dump()
    merged = dict(current)
    for key, value in changes.items():
        if key == "password_policy" and isinstance(value, dict):
            merged[key] = {**current["password_policy"], **value}
        else:
            merged[key] = value
    try:
        new = SelfServiceSettings.model_validate(merged)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InvalidInput(f"{where}: {first['msg']}", where) from exc
    document = dict(org.settings or {})
    document[KEY] = new.model_dump()
    org.settings = document
    org.version += 1
    audit.record(
        session,
        org_id=org.id,
        action="organization.self_service",
        actor=actor,
        target_type="organization",
        target_id=org.id,
        details=new.model_dump(),
    )
    await session.flush()
    return new
