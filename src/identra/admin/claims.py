"""Claim (attribute) definitions and their mapping to OIDC claims and SCIM attributes.

A claim URI is unique per organization, and so are the OIDC claim and SCIM attribute it maps
to: two definitions feeding one claim would make the issued value depend on chance.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from identra.admin.common import check_changes, flush_or_conflict
from identra.errors import Conflict, InvalidInput, NotFound
from identra.observability import audit
from identra.storage.models import ClaimDefinition, Organization

DATA_TYPES = ("string", "boolean", "integer", "datetime", "complex")
FIELDS = (
    "display_name",
    "description",
    "data_type",
    "multi_valued",
    "required",
    "read_only",
    "oidc_claim",
    "scim_attribute",
)
NULLABLE = ("oidc_claim", "scim_attribute")
UNIQUE = ("uri", "oidc_claim", "scim_attribute")


@dataclass
class NewClaim:
    uri: str
    display_name: str
    description: str = ""
    data_type: str = "string"
    multi_valued: bool = False
    required: bool = False
    read_only: bool = False
    oidc_claim: str | None = None
    scim_attribute: str | None = None


async def get(session: AsyncSession, org: Organization, claim_id: str) -> ClaimDefinition:
    claim = await session.scalar(
        select(ClaimDefinition).where(
            ClaimDefinition.id == claim_id, ClaimDefinition.org_id == org.id
        )
    )
    if claim is None:
        raise NotFound("claim")
    return claim


async def _check_unique(
    session: AsyncSession, org: Organization, values: dict[str, Any], own_id: str | None = None
) -> None:
    for name in UNIQUE:
        value = values.get(name)
        if value is None:
            continue
        query = select(ClaimDefinition.id).where(
            ClaimDefinition.org_id == org.id, getattr(ClaimDefinition, name) == value
        )
        if own_id is not None:
            query = query.where(ClaimDefinition.id != own_id)
        if await session.scalar(query) is not None:
            raise Conflict(f"a claim with {name} {value} exists")


def _check_type(data_type: str) -> None:
    if data_type not in DATA_TYPES:
        raise InvalidInput(f"data_type must be one of {', '.join(DATA_TYPES)}", "data_type")


async def create(
    session: AsyncSession, org: Organization, new: NewClaim, actor: audit.Actor
) -> ClaimDefinition:
    _check_type(new.data_type)
    await _check_unique(session, org, vars(new))
    claim = ClaimDefinition(org_id=org.id, **vars(new))
    session.add(claim)
    await flush_or_conflict(session, f"a claim with uri {new.uri} exists")
    audit.record(
        session,
        org_id=org.id,
        action="claim.create",
        actor=actor,
        target_type="claim",
        target_id=claim.id,
        details={"uri": claim.uri},
    )
    return claim


async def update(
    session: AsyncSession,
    org: Organization,
    claim: ClaimDefinition,
    changes: dict[str, Any],
    actor: audit.Actor,
) -> ClaimDefinition:
    check_changes(changes, NULLABLE)
    unknown = sorted(set(changes) - set(FIELDS))
    if unknown:
        raise InvalidInput(f"{unknown[0]} cannot be changed", unknown[0])
    if "data_type" in changes:
        _check_type(changes["data_type"])
    await _check_unique(session, org, changes, own_id=claim.id)
    for name, value in changes.items():
        setattr(claim, name, value)
    claim.version += 1
    await flush_or_conflict(session, "a claim with these values exists")
    audit.record(
        session,
        org_id=org.id,
        action="claim.update",
        actor=actor,
        target_type="claim",
        target_id=claim.id,
        details={"uri": claim.uri, "fields": sorted(changes)},
    )
    return claim


async def delete(
    session: AsyncSession, org: Organization, claim: ClaimDefinition, actor: audit.Actor
) -> None:
    audit.record(
        session,
        org_id=org.id,
        action="claim.delete",
        actor=actor,
        target_type="claim",
        target_id=claim.id,
        details={"uri": claim.uri},
    )
    await session.delete(claim)
    await session.flush()
