"""All management routers under ``/api/v1``. Add a resource: write its router, list it here."""

from __future__ import annotations

from fastapi import APIRouter

from identra.management.routers import (
    actions,
    apps,
    audit,
    branding,
    claims,
    domains,
    flows,
    flows_generate,
    flows_preview,
    groups,
    idps,
    keys,
    orgs,
    roles,
    users,
    userstores,
    webhooks,
)

ROUTERS = [
    orgs.router,
    domains.router,
    branding.router,
    userstores.router,
    users.router,
    groups.router,
    roles.router,
    apps.router,
    flows.router,
    flows_generate.router,
    flows_preview.router,
    idps.router,
    claims.router,
    audit.router,
    keys.router,
    actions.router,
    webhooks.router,
]


def api_router() -> APIRouter:
    api = APIRouter(prefix="/api/v1")
    for router in ROUTERS:
        api.include_router(router)
    return api
