"""Dependencies every management route uses: the caller, the organization, the permission.

An organization the caller cannot reach is answered exactly like one that does not exist
(404), so that no caller can learn which other organizations exist.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from identra.management.auth import Principal, authenticate
from identra.management.problems import Problem
from identra.observability.audit import Actor
from identra.services import Services
from identra.storage.models import Organization
from identra.storage.repositories import orgs

_HANDLE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}[a-z0-9]$")


def services_of(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


async def db_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One transaction per request: committed if the handler returns, rolled back if it raises."""
    async with services_of(request).sessions.begin() as session:
        yield session


# Scoped to the handler, so the transaction commits before the response is sent: a client that
# got a 2xx can rely on the change, and a failed commit becomes an error response.
Session = Depends(db_session, scope="function")


@dataclass(frozen=True)
class Scope:
    """The resolved organization, the caller and the open transaction of one request."""

    org: Organization
    principal: Principal
    session: AsyncSession
    services: Services
    actor: Actor


def require(resource: str, mode: str) -> Callable[..., Coroutine[Any, Any, Scope]]:
    permission = f"{resource}:{mode}"

    async def dependency(
        org: str,
        request: Request,
        session: AsyncSession = Session,
        principal: Principal = Depends(authenticate),
    ) -> Scope:
        found = await orgs.by_handle(session, org) if _HANDLE.match(org) else None
        if found is None or not principal.can_reach(found):
            raise Problem(404, "Not Found", "organization not found")
        if permission not in principal.scopes:
            raise Problem(403, "Forbidden", f"the {permission} permission is required")
        ip = request.client.host if request.client else None
        return Scope(
            found, principal, session, services_of(request), Actor(principal.kind, principal.id, ip)
        )

    return dependency
