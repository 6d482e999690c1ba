"""Upstream identity providers: ``/api/v1/orgs/{org}/identity-providers``."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Depends, Request, Response
from sqlalchemy import select

from identra.admin import idps as service
from identra.management.deps import Scope, require
from identra.management.etag import check_if_match, set_etag
from identra.management.pagination import DEFAULT_LIMIT, Page, page_of, paginate
from identra.management.resources import (
    Cursor,
    Filter,
    Limit,
    Prefix,
    created,
    resource_router,
    starts_with,
)
from identra.management.schemas.idps import IdpConfigOut, IdpCreate, IdpOut, IdpPatch
from identra.storage.models import IdentityProvider

router = resource_router("/orgs/{org}/identity-providers", "identity providers")
Read = Annotated[Scope, Depends(require("idps", "read"))]
Write = Annotated[Scope, Depends(require("idps", "write"))]


def _out(idp: IdentityProvider) -> IdpOut:
    return IdpOut(
        id=idp.id,
        created_at=idp.created_at,
        updated_at=idp.updated_at,
        version=idp.version,
        name=idp.name,
        kind=idp.kind,
        enabled=idp.enabled,
        jit_provisioning=idp.jit_provisioning,
        config=IdpConfigOut.model_validate(idp.config),
        has_client_secret=idp.secret_encrypted is not None,
    )


@router.get("", response_model=Page[IdpOut])
async def list_idps(
    scope: Read,
    name: Filter = None,
    q: Prefix = None,
    kind: Literal["oidc", "google"] | None = None,
    enabled: bool | None = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[IdpOut]:
    query = select(IdentityProvider).where(IdentityProvider.org_id == scope.org.id)
    if name is not None:
        query = query.where(IdentityProvider.name == name)
    if q:
        query = query.where(starts_with(IdentityProvider.name, q))
    if kind is not None:
        query = query.where(IdentityProvider.kind == kind)
    if enabled is not None:
        query = query.where(IdentityProvider.enabled == enabled)
    rows = list(
        (await scope.session.scalars(paginate(query, IdentityProvider, cursor, limit))).all()
    )
    items, next_cursor = page_of(rows, limit)
    return Page(items=[_out(i) for i in items], next_cursor=next_cursor)


@router.post("", status_code=201, response_model=IdpOut)
async def create_idp(body: IdpCreate, scope: Write, response: Response) -> IdpOut:
    data = body.model_dump()
    data["config"] = body.config.model_dump(exclude_unset=True)
    idp = await service.create(
        scope.session, scope.org, service.NewIdp(**data), scope.actor, scope.services.box
    )
    created(response, idp.version, f"/api/v1/orgs/{scope.org.handle}/identity-providers/{idp.id}")
    return _out(idp)


@router.get("/{idp_id}", response_model=IdpOut)
async def get_idp(idp_id: str, scope: Read, response: Response) -> IdpOut:
    idp = await service.get(scope.session, scope.org, idp_id)
    set_etag(response, idp.version)
    return _out(idp)


@router.patch("/{idp_id}", response_model=IdpOut)
async def update_idp(
    idp_id: str, body: IdpPatch, scope: Write, request: Request, response: Response
) -> IdpOut:
    idp = await service.get(scope.session, scope.org, idp_id)
    check_if_match(request, idp.version)
    changes = body.model_dump(exclude_unset=True)
    if "config" in changes:
        changes["config"] = body.config.model_dump(exclude_unset=True)
    await service.update(scope.session, scope.org, idp, changes, scope.actor, scope.services.box)
    set_etag(response, idp.version)
    return _out(idp)


@router.delete("/{idp_id}", status_code=204)
async def delete_idp(idp_id: str, scope: Write, request: Request) -> Response:
    idp = await service.get(scope.session, scope.org, idp_id)
    check_if_match(request, idp.version)
    await service.delete(scope.session, scope.org, idp, scope.actor)
    return Response(status_code=204)
