"""Roles of an organization and their assignments: ``/api/v1/orgs/{org}/roles``.

A caller can only grant what it holds: creating or changing a role with a permission the caller
lacks, or assigning such a role, is 403, so ``roles:write`` cannot be turned into more.
Assignments are immutable (created, then deleted), so their ETag is constant; creating or
deleting one changes who holds the role, and so the role's version.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated

from fastapi import Depends, Query, Request, Response
from sqlalchemy import or_, select

from identra.admin import roles as service
from identra.management.deps import Scope, require
from identra.management.etag import check_if_match, set_etag
from identra.management.pagination import (
    DEFAULT_LIMIT,
    Page,
    encode_cursor,
    key_page_of,
    page_of,
    paginate,
    paginate_by_key,
)
from identra.management.problems import Problem
from identra.management.resources import (
    Cursor,
    Filter,
    Limit,
    Prefix,
    created,
    resource_router,
    starts_with,
)
from identra.management.schemas.roles import (
    AssignmentIn,
    AssignmentOut,
    RoleCreate,
    RoleOut,
    RolePatch,
)
from identra.storage.models import GroupMember, Role, RoleAssignment

router = resource_router("/orgs/{org}/roles", "roles")
Read = Annotated[Scope, Depends(require("roles", "read"))]
Write = Annotated[Scope, Depends(require("roles", "write"))]
ASSIGNMENT_VERSION = 1


def _check_grantable(scope: Scope, perms: Iterable[str]) -> None:
    missing = sorted(set(perms) - scope.principal.scopes)
    if missing:
        raise Problem(
            403, "Forbidden", f"you cannot grant permissions you do not hold: {', '.join(missing)}"
        )


@router.get("", response_model=Page[RoleOut])
async def list_roles(
    scope: Read,
    name: Filter = None,
    q: Prefix = None,
    permission: Annotated[
        str | None, Query(max_length=64, description="only roles granting this permission")
    ] = None,
    user: Annotated[
        str | None, Query(max_length=64, description="only roles assigned to this user id")
    ] = None,
    effective: Annotated[
        bool, Query(description="with `user`: also the roles of the user's groups")
    ] = False,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[RoleOut]:
    query = select(Role).where(Role.org_id == scope.org.id, Role.audience == service.AUDIENCE)
    if name is not None:
        query = query.where(Role.name == name)
    if q:
        query = query.where(starts_with(Role.name, q))
    if user is not None:
        holders = RoleAssignment.user_id == user
        if effective:
            groups = select(GroupMember.group_id).where(GroupMember.user_id == user)
            holders = or_(holders, RoleAssignment.group_id.in_(groups))
        assigned = select(RoleAssignment.role_id).where(
            RoleAssignment.org_id == scope.org.id, holders
        )
        query = query.where(Role.id.in_(assigned))
    if permission is None:
        rows = list((await scope.session.scalars(paginate(query, Role, cursor, limit))).all())
        items, next_cursor = page_of(rows, limit)
        return Page(items=[RoleOut.model_validate(r) for r in items], next_cursor=next_cursor)
    # Permissions are a JSON list (no portable index): filter pages in Python. An organization
    # has few roles, so this reads little.
    items = []
    next_cursor = None
    after = cursor
    while next_cursor is None:
        rows = list((await scope.session.scalars(paginate(query, Role, after, limit))).all())
        page, after = page_of(rows, limit)
        for role in page:
            if permission not in role.permissions:
                continue
            if len(items) == limit:  # one more match exists: the page ends before it
                next_cursor = encode_cursor(items[-1].created_at, items[-1].id)
                break
            items.append(role)
        if after is None:
            break
    return Page(items=[RoleOut.model_validate(r) for r in items], next_cursor=next_cursor)


@router.post("", status_code=201, response_model=RoleOut)
async def create_role(body: RoleCreate, scope: Write, response: Response) -> RoleOut:
    service.check_permissions(body.permissions)  # unknown names are 422, before any 403
    _check_grantable(scope, body.permissions)
    role = await service.create(
        scope.session, scope.org, service.NewRole(**body.model_dump()), scope.actor
    )
    created(response, role.version, f"/api/v1/orgs/{scope.org.handle}/roles/{role.id}")
    return RoleOut.model_validate(role)


@router.get("/{role_id}", response_model=RoleOut)
async def get_role(role_id: str, scope: Read, response: Response) -> RoleOut:
    role = await service.get(scope.session, scope.org, role_id)
    set_etag(response, role.version)
    return RoleOut.model_validate(role)


@router.patch("/{role_id}", response_model=RoleOut)
async def update_role(
    role_id: str, body: RolePatch, scope: Write, request: Request, response: Response
) -> RoleOut:
    role = await service.get(scope.session, scope.org, role_id)
    check_if_match(request, role.version)
    changes = body.model_dump(exclude_unset=True)
    if changes.get("permissions") is not None:
        service.check_permissions(changes["permissions"])
        # Granting and taking away both need the permission: either changes who can do it.
        _check_grantable(scope, set(changes["permissions"]) ^ set(role.permissions))
    await service.update(scope.session, scope.org, role, changes, scope.actor)
    set_etag(response, role.version)
    return RoleOut.model_validate(role)


@router.delete("/{role_id}", status_code=204)
async def delete_role(role_id: str, scope: Write, request: Request) -> Response:
    role = await service.get(scope.session, scope.org, role_id)
    check_if_match(request, role.version)
    _check_grantable(scope, role.permissions)
    await service.delete(scope.session, scope.org, role, scope.actor)
    return Response(status_code=204)


@router.get("/{role_id}/assignments", response_model=Page[AssignmentOut])
async def list_assignments(
    role_id: str,
    scope: Read,
    user_id: Annotated[str | None, Query(max_length=64)] = None,
    group_id: Annotated[str | None, Query(max_length=64)] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[AssignmentOut]:
    role = await service.get(scope.session, scope.org, role_id)
    query = select(RoleAssignment).where(
        RoleAssignment.role_id == role.id, RoleAssignment.org_id == scope.org.id
    )
    if user_id is not None:
        query = query.where(RoleAssignment.user_id == user_id)
    if group_id is not None:
        query = query.where(RoleAssignment.group_id == group_id)
    rows = list(
        (
            await scope.session.scalars(paginate_by_key(query, RoleAssignment.id, cursor, limit))
        ).all()
    )
    items, next_cursor = key_page_of(rows, limit, "id")
    return Page(items=[AssignmentOut.model_validate(a) for a in items], next_cursor=next_cursor)


@router.post("/{role_id}/assignments", status_code=201, response_model=AssignmentOut)
async def create_assignment(
    role_id: str, body: AssignmentIn, scope: Write, response: Response
) -> AssignmentOut:
    role = await service.get(scope.session, scope.org, role_id)
    _check_grantable(scope, role.permissions)
    assignment = await service.assign(
        scope.session,
        scope.org,
        role,
        scope.actor,
        user_id=body.user_id,
        group_id=body.group_id,
    )
    created(
        response,
        ASSIGNMENT_VERSION,
        f"/api/v1/orgs/{scope.org.handle}/roles/{role.id}/assignments/{assignment.id}",
    )
    return AssignmentOut.model_validate(assignment)


@router.get("/{role_id}/assignments/{assignment_id}", response_model=AssignmentOut)
async def get_assignment(
    role_id: str, assignment_id: str, scope: Read, response: Response
) -> AssignmentOut:
    role = await service.get(scope.session, scope.org, role_id)
    assignment = await service.get_assignment(scope.session, role, assignment_id)
    set_etag(response, ASSIGNMENT_VERSION)
    return AssignmentOut.model_validate(assignment)


@router.delete("/{role_id}/assignments/{assignment_id}", status_code=204)
async def delete_assignment(
    role_id: str, assignment_id: str, scope: Write, request: Request
) -> Response:
    role = await service.get(scope.session, scope.org, role_id)
    assignment = await service.get_assignment(scope.session, role, assignment_id)
    check_if_match(request, ASSIGNMENT_VERSION)
    _check_grantable(scope, role.permissions)
    await service.unassign(scope.session, scope.org, role, assignment, scope.actor)
    return Response(status_code=204)
