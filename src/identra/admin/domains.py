"""Email domains of an organization, for discovery by ``login_hint`` and self-registration.

A domain routes users to one organization, so it is unique across the deployment. It is
stored in its ASCII (IDNA) form, lower-case, without a trailing dot.
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from identra.admin.common import flush_or_conflict
from identra.errors import Conflict, InvalidInput, NotFound
from identra.observability import audit
from identra.storage.models import Organization, OrganizationDomain

LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
TLD = re.compile(r"^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$")


def normalize(domain: str) -> str:
    """The canonical form of a DNS domain name, or InvalidInput."""
    value = domain.strip().lower()
    value = value[:-1] if value.endswith(".") else value
    if not value.isascii():
        try:
            value = value.encode("idna").decode("ascii")
        except UnicodeError as exc:
            raise InvalidInput(f"{domain!r} is not a valid domain name", "domain") from exc
    labels = value.split(".")
    if (
        len(value) > 253
        or len(labels) < 2
        or not all(LABEL.match(label) for label in labels)
        or not TLD.match(labels[-1])
    ):
        raise InvalidInput(f"{domain!r} is not a valid domain name", "domain")
    return value


async def get(session: AsyncSession, org: Organization, domain_id: str) -> OrganizationDomain:
    found = await session.scalar(
        select(OrganizationDomain).where(
            OrganizationDomain.id == domain_id, OrganizationDomain.org_id == org.id
        )
    )
    if found is None:
        raise NotFound("domain")
    return found


async def add(
    session: AsyncSession, org: Organization, domain: str, actor: audit.Actor
) -> OrganizationDomain:
    value = normalize(domain)
    conflict = f"the domain {value} is already registered"
    taken = await session.scalar(
        select(OrganizationDomain.id).where(OrganizationDomain.domain == value)
    )
    if taken is not None:
        raise Conflict(conflict)
    row = OrganizationDomain(org_id=org.id, domain=value, verified=False)
    session.add(row)
    await flush_or_conflict(session, conflict)
    audit.record(
        session,
        org_id=org.id,
        action="domain.add",
        actor=actor,
        target_type="domain",
        target_id=row.id,
        details={"domain": value},
    )
    return row


async def remove(
    session: AsyncSession, org: Organization, row: OrganizationDomain, actor: audit.Actor
) -> None:
    audit.record(
        session,
        org_id=org.id,
        action="domain.remove",
        actor=actor,
        target_type="domain",
        target_id=row.id,
        details={"domain": row.domain},
    )
    await session.delete(row)
    await session.flush()
