"""Groups of an organization and their members: ``/api/v1/orgs/{org}/groups``.

Membership belongs to the group: changing it bumps the group's version (its ETag), and the
member routes honour ``If-Match`` against it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request, Response
from sqlalchemy import select

from identra.admin import groups as service
from identra.management.deps import Scope, require
from identra.management.etag import check_if_match, set_etag
from identra.management.pagination import (
    DEFAULT_LIMIT,
    Page,
    key_page_of,
    page_of,
    paginate,
    paginate_by_key,
)
from identra.management.resources import (
    Cursor,
    Filter,
    Limit,
    Prefix,
    created,
    resource_router,
    starts_with,
)
from identra.management.schemas.groups import (
    GroupCreate,
    GroupOut,
    GroupPatch,
    MemberIn,
    MemberOut,
    MembersIn,
)
from identra.storage.models import Group, GroupMember, User

router = resource_router("/orgs/{org}/groups", "groups")
Read = Annotated[Scope, Depends(require("groups", "read"))]
Write = Annotated[Scope, Depends(require("groups", "write"))]


@router.get("", response_model=Page[GroupOut])
async def list_groups(
    scope: Read,
    name: Filter = None,
    q: Prefix = None,
    member: Annotated[
        str | None, Query(max_length=64, description="only groups this user belongs to")
    ] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[GroupOut]:
    query = select(Group).where(Group.org_id == scope.org.id)
    if name is not None:
        query = query.where(Group.name == name)
    if q:
        query = query.where(starts_with(Group.name, q))
    if member is not None:
        query = query.where(
            Group.id.in_(select(GroupMember.group_id).where(GroupMember.user_id == member))
        )
    rows = list((await scope.session.scalars(paginate(query, Group, cursor, limit))).all())
    items, next_cursor = page_of(rows, limit)
    return Page(items=[GroupOut.model_validate(g) for g in items], next_cursor=next_cursor)


@router.post("", status_code=201, response_model=GroupOut)
async def create_group(body: GroupCreate, scope: Write, response: Response) -> GroupOut:
    group = await service.create(
        scope.session, scope.org, service.NewGroup(**body.model_dump()), scope.actor
    )
    created(response, group.version, f"/api/v1/orgs/{scope.org.handle}/groups/{group.id}")
    return GroupOut.model_validate(group)


@router.get("/{group_id}", response_model=GroupOut)
async def get_group(group_id: str, scope: Read, response: Response) -> GroupOut:
    group = await service.get(scope.session, scope.org, group_id)
    set_etag(response, group.version)
    return GroupOut.model_validate(group)


@router.patch("/{group_id}", response_model=GroupOut)
async def update_group(
    group_id: str, body: GroupPatch, scope: Write, request: Request, response: Response
) -> GroupOut:
    group = await service.get(scope.session, scope.org, group_id)
    check_if_match(request, group.version)
    await service.update(
        scope.session, scope.org, group, body.model_dump(exclude_unset=True), scope.actor
    )
    set_etag(response, group.version)
    return GroupOut.model_validate(group)


@router.delete("/{group_id}", status_code=204)
async def delete_group(group_id: str, scope: Write, request: Request) -> Response:
    group = await service.get(scope.session, scope.org, group_id)
    check_if_match(request, group.version)
    await service.delete(scope.session, scope.org, group, scope.actor)
    return Response(status_code=204)


@router.get("/{group_id}/members", response_model=Page[MemberOut])
async def list_members(
    group_id: str,
    scope: Read,
    response: Response,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[MemberOut]:
    group = await service.get(scope.session, scope.org, group_id)
    query = (
        select(GroupMember.user_id, User.username)
        .join(User, User.id == GroupMember.user_id)
        .where(GroupMember.group_id == group.id)
    )
    rows = list(
        (
            await scope.session.execute(paginate_by_key(query, GroupMember.user_id, cursor, limit))
        ).all()
    )
    items, next_cursor = key_page_of(rows, limit, "user_id")
    set_etag(response, group.version)
    return Page(
        items=[MemberOut(user_id=r.user_id, username=r.username) for r in items],
        next_cursor=next_cursor,
    )


def _members_changed(group: Group) -> Response:
    """204 with the group's new ETag: a membership change bumps the group's version."""
    response = Response(status_code=204)
    set_etag(response, group.version)
    return response


@router.put("/{group_id}/members", status_code=204)
async def set_members(group_id: str, body: MembersIn, scope: Write, request: Request) -> Response:
    group = await service.get(scope.session, scope.org, group_id)
    check_if_match(request, group.version)
    await service.set_members(scope.session, scope.org, group, body.user_ids, scope.actor)
    return _members_changed(group)


@router.post("/{group_id}/members", status_code=204)
async def add_member(group_id: str, body: MemberIn, scope: Write, request: Request) -> Response:
    """Add one member; adding a user who already is one changes nothing."""
    group = await service.get(scope.session, scope.org, group_id)
    check_if_match(request, group.version)
    await service.add_member(scope.session, scope.org, group, body.user_id, scope.actor)
    return _members_changed(group)


@router.delete("/{group_id}/members/{user_id}", status_code=204)
async def remove_member(group_id: str, user_id: str, scope: Write, request: Request) -> Response:
    group = await service.get(scope.session, scope.org, group_id)
    check_if_match(request, group.version)
    await service.remove_member(scope.session, scope.org, group, user_id, scope.actor)
    return _members_changed(group)
