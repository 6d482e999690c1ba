"""Organizations: ``/api/v1/orgs`` and ``/api/v1/orgs/{org}`` with its sub-organizations."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request, Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from identra.admin import orgs as service
from identra.errors import InvalidInput
from identra.management.auth import Principal, authenticate
from identra.management.deps import Scope, Session, require
from identra.management.etag import check_if_match, set_etag
from identra.management.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page, page_of, paginate
from identra.management.problems import Problem
from identra.management.resources import resource_router
from identra.management.schemas.orgs import OrgCreate, OrgOut, OrgPatch
from identra.observability import audit
from identra.storage.models import Organization

router = resource_router("/orgs", "organizations")
Read = Annotated[Scope, Depends(require("orgs", "read"))]
Write = Annotated[Scope, Depends(require("orgs", "write"))]


async def _parents(scope_session: AsyncSession, rows: list[Organization]) -> dict[str, str]:
    ids = {r.parent_id for r in rows if r.parent_id}
    if not ids:
        return {}
    found = await scope_session.execute(
        select(Organization.id, Organization.handle).where(Organization.id.in_(ids))
    )
    return {row.id: row.handle for row in found}


def _out(org: Organization, parents: dict[str, str]) -> OrgOut:
    return OrgOut(
        id=org.id,
        created_at=org.created_at,
        updated_at=org.updated_at,
        version=org.version,
        handle=org.handle,
        name=org.name,
        status=org.status,
        parent=parents.get(org.parent_id) if org.parent_id else None,
    )


@router.get("", response_model=Page[OrgOut])
async def list_orgs(
    principal: Annotated[Principal, Depends(authenticate)],
    session: Annotated[AsyncSession, Session],
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> Page[OrgOut]:
    """Every organization the caller can manage: its own and those beneath it."""
    if "orgs:read" not in principal.scopes:
        raise Problem(403, "Forbidden", "the orgs:read permission is required")
    query = select(Organization).where(Organization.path.startswith(principal.org_path))
    rows = list((await session.scalars(paginate(query, Organization, cursor, limit))).all())
    items, next_cursor = page_of(rows, limit)
    parents = await _parents(session, items)
    return Page(items=[_out(o, parents) for o in items], next_cursor=next_cursor)


@router.get("/{org}", response_model=OrgOut)
async def get_org(scope: Read, response: Response) -> OrgOut:
    set_etag(response, scope.org.version)
    return _out(scope.org, await _parents(scope.session, [scope.org]))


@router.patch("/{org}", response_model=OrgOut)
async def update_org(body: OrgPatch, scope: Write, request: Request, response: Response) -> OrgOut:
    org = scope.org
    check_if_match(request, org.version)
    changes = body.model_dump(exclude_unset=True)
    if not changes:
        raise InvalidInput("the change is empty")
    if any(v is None for v in changes.values()):
        raise InvalidInput("fields cannot be null")
    if changes.get("status") == "disabled" and org.id == scope.principal.org_id:
        raise InvalidInput("an organization cannot disable itself", "status")
    for name, value in changes.items():
        setattr(org, name, value)
    org.version += 1
    audit.record(
        scope.session,
        org_id=org.id,
        action="organization.update",
        actor=scope.actor,
        target_type="organization",
        target_id=org.id,
        details={"fields": sorted(changes)},
    )
    await scope.session.flush()
    request.app.state.tenants.pop(org.handle, None)
    set_etag(response, org.version)
    return _out(org, await _parents(scope.session, [org]))


@router.delete("/{org}", status_code=204)
async def delete_org(scope: Write, request: Request) -> Response:
    if scope.org.id == scope.principal.org_id:
        raise InvalidInput("an organization cannot delete itself")
    check_if_match(request, scope.org.version)
    handle = scope.org.handle
    await service.delete(scope.session, scope.org, scope.actor)
    request.app.state.tenants.pop(handle, None)
    return Response(status_code=204)


@router.post("/{org}/children", status_code=201, response_model=OrgOut)
async def create_child(body: OrgCreate, scope: Write, response: Response) -> OrgOut:
    child = await service.create(scope.session, scope.org, body.handle, body.name, scope.actor)
    set_etag(response, child.version)
    response.headers["location"] = f"/api/v1/orgs/{child.handle}"
    return _out(child, {scope.org.id: scope.org.handle})


@router.get("/{org}/children", response_model=Page[OrgOut])
async def list_children(
    scope: Read,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> Page[OrgOut]:
    query = select(Organization).where(Organization.parent_id == scope.org.id)
    rows = list((await scope.session.scalars(paginate(query, Organization, cursor, limit))).all())
    items, next_cursor = page_of(rows, limit)
    return Page(
        items=[_out(o, {scope.org.id: scope.org.handle}) for o in items], next_cursor=next_cursor
    )
