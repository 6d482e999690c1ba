"""Users of an organization: ``/api/v1/orgs/{org}/users``.

A password set, or a profile attribute changed, here first goes through the organization's
pre-update password and pre-update profile actions (``identra.actions.users``), before
anything is written: a refusal is a 422 with the service's words, a service that gave no
usable answer under ``fail_closed`` a 503, and the user is left as it was.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Depends, Query, Request, Response
from sqlalchemy import select

from identra.actions import users as actions
from identra.actions.runtime import UserInfo
from identra.admin import users as service
from identra.management.deps import Scope, require
from identra.management.etag import check_if_match, set_etag
from identra.management.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page, page_of, paginate
from identra.management.problems import Problem
from identra.management.resources import resource_router, starts_with
from identra.management.schemas.users import UserCreate, UserOut, UserPatch
from identra.storage.models import User, UserEmail
from identra.storage.types import new_id

router = resource_router("/orgs/{org}/users", "users")
Read = Annotated[Scope, Depends(require("users", "read"))]
Write = Annotated[Scope, Depends(require("users", "write"))]


def _out(user: User, store: str) -> UserOut:
    fields = {name: getattr(user, name) for name in UserOut.model_fields if hasattr(user, name)}
    return UserOut.model_validate(
        {**fields, "user_store": store, "has_password": user.password_hash is not None}
    )


@router.get("", response_model=Page[UserOut])
async def list_users(
    scope: Read,
    username: Annotated[str | None, Query(max_length=255)] = None,
    email: Annotated[str | None, Query(max_length=320)] = None,
    status: Literal["active", "locked", "disabled", "unverified"] | None = None,
    user_store: Annotated[str | None, Query(max_length=32)] = None,
    q: Annotated[str | None, Query(max_length=255, description="username prefix")] = None,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> Page[UserOut]:
    query = select(User).where(User.org_id == scope.org.id)
    if username is not None:
        query = query.where(User.username_normalized == username.lower())
    if email is not None:
        owners = select(UserEmail.user_id).where(
            UserEmail.org_id == scope.org.id, UserEmail.value_normalized == email.lower()
        )
        query = query.where(User.id.in_(owners))
    if status is not None:
        query = query.where(User.status == status)
    names = await service.store_names(scope.session, scope.org)
    if user_store is not None:
        query = query.where(
            User.user_store_id.in_([k for k, v in names.items() if v == user_store])
        )
    if q:
        query = query.where(starts_with(User.username_normalized, q))
    rows = list((await scope.session.scalars(paginate(query, User, cursor, limit))).all())
    items, next_cursor = page_of(rows, limit)
    return Page(
        items=[_out(u, names.get(u.user_store_id, "")) for u in items], next_cursor=next_cursor
    )


def refused(refusal: actions.Refusal, field: str | None = None) -> Problem:
    """An action's refusal (422, the service's words) or its absence of answer (503)."""
    if refusal.unavailable:
        return Problem(503, "Service Unavailable", refusal.message, headers={"retry-after": "60"})
    errors = [{"pointer": f"/{field}", "detail": refusal.message}] if field else None
    return Problem(422, "Unprocessable Content", refusal.message, errors=errors)


@router.post("", status_code=201, response_model=UserOut)
async def create_user(body: UserCreate, scope: Write, response: Response) -> UserOut:
    data = body.model_dump()
    data["emails"] = [service.ContactPoint(**e) for e in data["emails"]]
    data["phone_numbers"] = [service.ContactPoint(**p) for p in data["phone_numbers"]]
    new = service.NewUser(**data)
    if new.password:
        store_row = await service.check_new(scope.session, scope.org, new)
        new.id = new_id()
        refusal = await actions.check_admin_change(
            scope.services,
            scope.org.id,
            new.id,
            scope.actor,
            password=new.password,
            new_user=UserInfo(new.id, new.username, store_row.id, store_row.identifier),
        )
        if refusal is not None:
            raise refused(refusal, "password")
    user, store = await service.create(
        scope.session, scope.org, new, scope.actor, scope.services.clock
    )
    set_etag(response, user.version)
    response.headers["location"] = f"/api/v1/orgs/{scope.org.handle}/users/{user.id}"
    return _out(user, store)


@router.get("/{user_id}", response_model=UserOut)
async def get_user(user_id: str, scope: Read, response: Response) -> UserOut:
    user = await service.get(scope.session, scope.org, user_id)
    set_etag(response, user.version)
    names = await service.store_names(scope.session, scope.org)
    return _out(user, names.get(user.user_store_id, ""))


@router.patch("/{user_id}", response_model=UserOut)
async def update_user(
    user_id: str, body: UserPatch, scope: Write, request: Request, response: Response
) -> UserOut:
    user = await service.get(scope.session, scope.org, user_id)
    check_if_match(request, user.version)
    changes = body.model_dump(exclude_unset=True)
    before = service.profile_of(user)
    after = {**before, **{k: v for k, v in changes.items() if k in service.PROFILE_FIELDS}}
    refusal = await actions.check_admin_change(
        scope.services,
        scope.org.id,
        user.id,
        scope.actor,
        password=changes.get("password"),
        before=before,
        after=after,
    )
    if refusal is not None:
        raise refused(refusal, "password" if refusal.about == "password" else None)
    await service.update(scope.session, scope.org, user, changes, scope.actor, scope.services.clock)
    set_etag(response, user.version)
    names = await service.store_names(scope.session, scope.org)
    return _out(user, names.get(user.user_store_id, ""))


@router.delete("/{user_id}", status_code=204)
async def delete_user(user_id: str, scope: Write, request: Request) -> Response:
    user = await service.get(scope.session, scope.org, user_id)
    check_if_match(request, user.version)
    await service.delete(scope.session, scope.org, user, scope.actor)
    return Response(status_code=204)
