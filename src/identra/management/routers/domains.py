"""Email domains of an organization: ``/api/v1/orgs/{org}/domains``.

A domain is added or removed, never changed, so its ETag is constant.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Response
from sqlalchemy import select

from identra.admin import domains as service
from identra.management.deps import Scope, require
from identra.management.etag import check_if_match, set_etag
from identra.management.pagination import DEFAULT_LIMIT, Page, page_of, paginate
from identra.management.resources import Cursor, Filter, Limit, created, resource_router
from identra.management.schemas.domains import DomainIn, DomainOut
from identra.storage.models import OrganizationDomain

router = resource_router("/orgs/{org}/domains", "organization domains")
Read = Annotated[Scope, Depends(require("orgs", "read"))]
Write = Annotated[Scope, Depends(require("orgs", "write"))]
DOMAIN_VERSION = 1


@router.get("", response_model=Page[DomainOut])
async def list_domains(
    scope: Read,
    domain: Filter = None,
    verified: bool | None = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[DomainOut]:
    query = select(OrganizationDomain).where(OrganizationDomain.org_id == scope.org.id)
    if domain is not None:
        query = query.where(OrganizationDomain.domain == domain.strip().lower().rstrip("."))
    if verified is not None:
        query = query.where(OrganizationDomain.verified == verified)
    rows = list(
        (await scope.session.scalars(paginate(query, OrganizationDomain, cursor, limit))).all()
    )
    items, next_cursor = page_of(rows, limit)
    return Page(items=[DomainOut.model_validate(d) for d in items], next_cursor=next_cursor)


@router.post("", status_code=201, response_model=DomainOut)
async def add_domain(body: DomainIn, scope: Write, response: Response) -> DomainOut:
    row = await service.add(scope.session, scope.org, body.domain, scope.actor)
    created(response, DOMAIN_VERSION, f"/api/v1/orgs/{scope.org.handle}/domains/{row.id}")
    return DomainOut.model_validate(row)


@router.get("/{domain_id}", response_model=DomainOut)
async def get_domain(domain_id: str, scope: Read, response: Response) -> DomainOut:
    row = await service.get(scope.session, scope.org, domain_id)
    set_etag(response, DOMAIN_VERSION)
    return DomainOut.model_validate(row)


@router.delete("/{domain_id}", status_code=204)
async def delete_domain(domain_id: str, scope: Write, request: Request) -> Response:
    row = await service.get(scope.session, scope.org, domain_id)
    check_if_match(request, DOMAIN_VERSION)
    await service.remove(scope.session, scope.org, row, scope.actor)
    return Response(status_code=204)
