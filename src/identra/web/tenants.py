"""Resolve the organization (tenant) a protocol request is addressed to, from its path."""

from __future__ import annotations

from starlette.requests import Request

from identra.errors import NotFound
from identra.protocols.oauth2.models import Tenant
from identra.services import Services
from identra.storage.repositories import orgs

ROOT_KEY = ""


async def resolve_tenant(request: Request) -> Tenant:
    services: Services = request.app.state.services
    handle = request.path_params.get("org")
    cache: dict[str, Tenant] = request.app.state.tenants
    key = handle or ROOT_KEY
    tenant = cache.get(key)
    if tenant is not None:
        return tenant
    async with services.sessions() as session:
        org = await (orgs.root(session) if handle is None else orgs.by_handle(session, handle))
    if org is None or org.status != "active":
        raise NotFound("organization")
    tenant = Tenant(org.id, org.handle, orgs.issuer_for(services.settings.issuer, org))
    # Dropped when the organization changes (identra.cache.invalidation, topic "org").
    cache[key] = tenant
    return tenant


def forget(cache: dict[str, Tenant], handle: str) -> None:
    cache.pop(handle, None)
    root = cache.get(ROOT_KEY)
    if root is not None and root.handle == handle:
        cache.pop(ROOT_KEY, None)
