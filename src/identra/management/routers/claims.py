"""Claim definitions of an organization: ``/api/v1/orgs/{org}/claims``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Response
from sqlalchemy import select

from identra.admin import claims as service
from identra.management.deps import Scope, require
from identra.management.etag import check_if_match, set_etag
from identra.management.pagination import DEFAULT_LIMIT, Page, page_of, paginate
from identra.management.resources import Cursor, Filter, Limit, created, resource_router
from identra.management.schemas.claims import ClaimCreate, ClaimOut, ClaimPatch, DataType
from identra.storage.models import ClaimDefinition

router = resource_router("/orgs/{org}/claims", "claims")
Read = Annotated[Scope, Depends(require("claims", "read"))]
Write = Annotated[Scope, Depends(require("claims", "write"))]


@router.get("", response_model=Page[ClaimOut])
async def list_claims(
    scope: Read,
    uri: Filter = None,
    oidc_claim: Filter = None,
    scim_attribute: Filter = None,
    data_type: DataType | None = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[ClaimOut]:
    query = select(ClaimDefinition).where(ClaimDefinition.org_id == scope.org.id)
    if uri is not None:
        query = query.where(ClaimDefinition.uri == uri)
    if oidc_claim is not None:
        query = query.where(ClaimDefinition.oidc_claim == oidc_claim)
    if scim_attribute is not None:
        query = query.where(ClaimDefinition.scim_attribute == scim_attribute)
    if data_type is not None:
        query = query.where(ClaimDefinition.data_type == data_type)
    rows = list(
        (await scope.session.scalars(paginate(query, ClaimDefinition, cursor, limit))).all()
    )
    items, next_cursor = page_of(rows, limit)
    return Page(items=[ClaimOut.model_validate(c) for c in items], next_cursor=next_cursor)


@router.post("", status_code=201, response_model=ClaimOut)
async def create_claim(body: ClaimCreate, scope: Write, response: Response) -> ClaimOut:
    claim = await service.create(
        scope.session, scope.org, service.NewClaim(**body.model_dump()), scope.actor
    )
    created(response, claim.version, f"/api/v1/orgs/{scope.org.handle}/claims/{claim.id}")
    return ClaimOut.model_validate(claim)


@router.get("/{claim_id}", response_model=ClaimOut)
async def get_claim(claim_id: str, scope: Read, response: Response) -> ClaimOut:
    claim = await service.get(scope.session, scope.org, claim_id)
    set_etag(response, claim.version)
    return ClaimOut.model_validate(claim)


@router.patch("/{claim_id}", response_model=ClaimOut)
async def update_claim(
    claim_id: str, body: ClaimPatch, scope: Write, request: Request, response: Response
) -> ClaimOut:
    claim = await service.get(scope.session, scope.org, claim_id)
    check_if_match(request, claim.version)
    await service.update(
        scope.session, scope.org, claim, body.model_dump(exclude_unset=True), scope.actor
    )
    set_etag(response, claim.version)
    return ClaimOut.model_validate(claim)


@router.delete("/{claim_id}", status_code=204)
async def delete_claim(claim_id: str, scope: Write, request: Request) -> Response:
    claim = await service.get(scope.session, scope.org, claim_id)
    check_if_match(request, claim.version)
    await service.delete(scope.session, scope.org, claim, scope.actor)
    return Response(status_code=204)
