"""Users of an organization: ``/api/v1/orgs/{org}/users``."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from identra.crypto.passwords import hash_password
from identra.errors import Conflict, InvalidInput, NotFound
from identra.management.deps import Scope, require
from identra.management.etag import check_if_match, set_etag
from identra.management.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page, page_of, paginate
from identra.management.schemas.users import EmailIn, PhoneIn, UserCreate, UserOut, UserPatch
from identra.observability import audit
from identra.storage.models import User, UserEmail, UserPhone, UserStore

router = APIRouter(prefix="/orgs/{org}/users", tags=["users"])
Read = Annotated[Scope, Depends(require("users", "read"))]
Write = Annotated[Scope, Depends(require("users", "write"))]


def _out(user: User, store: str) -> UserOut:
    return UserOut.model_validate(
        {
            **{c: getattr(user, c) for c in UserOut.model_fields if hasattr(user, c)},
            "user_store": store,
            "has_password": user.password_hash is not None,
        }
    )


async def _store_names(scope: Scope) -> dict[str, str]:
    rows = await scope.session.execute(
        select(UserStore.id, UserStore.identifier).where(UserStore.org_id == scope.org.id)
    )
    return {row.id: row.identifier for row in rows}


async def _get(scope: Scope, user_id: str) -> User:
    user = await scope.session.scalar(
        select(User).where(User.id == user_id, User.org_id == scope.org.id)
    )
    if user is None:
        raise NotFound("user")
    return user


def _emails(user: User, items: list[EmailIn]) -> None:
    if sum(1 for e in items if e.primary) > 1:
        raise InvalidInput("only one email may be primary", "emails")
    user.emails = [
        UserEmail(
            org_id=user.org_id,
            value=str(e.value),
            value_normalized=str(e.value).lower(),
            type=e.type,
            primary=e.primary,
            verified=e.verified,
            position=i,
        )
        for i, e in enumerate(items)
    ]


def _phones(user: User, items: list[PhoneIn]) -> None:
    if sum(1 for p in items if p.primary) > 1:
        raise InvalidInput("only one phone number may be primary", "phone_numbers")
    user.phone_numbers = [
        UserPhone(
            org_id=user.org_id,
            value=p.value,
            type=p.type,
            primary=p.primary,
            verified=p.verified,
            position=i,
        )
        for i, p in enumerate(items)
    ]


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
    names = await _store_names(scope)
    if user_store is not None:
        ids = [k for k, v in names.items() if v == user_store]
        query = query.where(User.user_store_id.in_(ids))
    if q:
        escaped = q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(User.username_normalized.like(escaped + "%", escape="\\"))
    rows = list((await scope.session.scalars(paginate(query, User, cursor, limit))).all())
    items, next_cursor = page_of(rows, limit)
    return Page(
        items=[_out(u, names.get(u.user_store_id, "")) for u in items], next_cursor=next_cursor
    )


@router.post("", status_code=201, response_model=UserOut)
async def create_user(body: UserCreate, scope: Write, response: Response) -> UserOut:
    store = await scope.session.scalar(
        select(UserStore).where(
            UserStore.org_id == scope.org.id, UserStore.identifier == body.user_store
        )
    )
    if store is None:
        raise InvalidInput(f"user store {body.user_store} does not exist", "user_store")
    if store.read_only or not store.enabled:
        raise InvalidInput(f"user store {body.user_store} does not accept new users", "user_store")
    normalized = body.username.lower()
    exists = await scope.session.scalar(
        select(User.id).where(User.org_id == scope.org.id, User.username_normalized == normalized)
    )
    if exists is not None:
        raise Conflict(f"the username {body.username} is taken")
    user = User(
        org_id=scope.org.id,
        user_store_id=store.id,
        username=body.username,
        username_normalized=normalized,
        status=body.status,
        display_name=body.display_name,
        given_name=body.given_name,
        family_name=body.family_name,
        locale=body.locale,
        external_id=body.external_id,
        claims=body.claims,
        password_hash=hash_password(body.password) if body.password else None,
        password_changed_at=scope.services.clock.now() if body.password else None,
    )
    _emails(user, body.emails)
    _phones(user, body.phone_numbers)
    scope.session.add(user)
    try:
        await scope.session.flush()
    except IntegrityError as exc:
        raise Conflict(f"the username {body.username} is taken") from exc
    audit.record(
        scope.session,
        org_id=scope.org.id,
        action="user.create",
        actor=scope.actor,
        target_type="user",
        target_id=user.id,
        details={"username": user.username},
    )
    set_etag(response, user.version)
    response.headers["location"] = f"/api/v1/orgs/{scope.org.handle}/users/{user.id}"
    return _out(user, store.identifier)


@router.get("/{user_id}", response_model=UserOut)
async def get_user(user_id: str, scope: Read, response: Response) -> UserOut:
    user = await _get(scope, user_id)
    set_etag(response, user.version)
    return _out(user, (await _store_names(scope)).get(user.user_store_id, ""))


@router.patch("/{user_id}", response_model=UserOut)
async def update_user(
    user_id: str, body: UserPatch, scope: Write, request: Request, response: Response
) -> UserOut:
    user = await _get(scope, user_id)
    check_if_match(request, user.version)
    changes = body.model_dump(exclude_unset=True)
    if not changes:
        raise InvalidInput("the patch changes nothing")
    for field in (
        "status",
        "display_name",
        "given_name",
        "family_name",
        "locale",
        "external_id",
        "claims",
    ):
        if field in changes:
            setattr(user, field, changes[field])
    if body.emails is not None:
        _emails(user, body.emails)
    if body.phone_numbers is not None:
        _phones(user, body.phone_numbers)
    if "password" in changes:
        user.password_hash = hash_password(body.password) if body.password else None
        user.password_changed_at = scope.services.clock.now()
    if user.status == "active":
        user.locked_until = None
    user.version += 1
    audit.record(
        scope.session,
        org_id=scope.org.id,
        action="user.update",
        actor=scope.actor,
        target_type="user",
        target_id=user.id,
        details={"fields": sorted(changes)},
    )
    await scope.session.flush()
    set_etag(response, user.version)
    return _out(user, (await _store_names(scope)).get(user.user_store_id, ""))


@router.delete("/{user_id}", status_code=204)
async def delete_user(user_id: str, scope: Write, request: Request) -> Response:
    user = await _get(scope, user_id)
    check_if_match(request, user.version)
    await scope.session.delete(user)
    audit.record(
        scope.session,
        org_id=scope.org.id,
        action="user.delete",
        actor=scope.actor,
        target_type="user",
        target_id=user.id,
        details={"username": user.username},
    )
    return Response(status_code=204)
