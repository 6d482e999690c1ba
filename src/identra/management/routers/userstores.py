"""User stores of an organization: ``/api/v1/orgs/{org}/user-stores``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Response
from sqlalchemy import select

from identra.admin import userstores as service
from identra.errors import InvalidInput
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
from identra.management.schemas.userstores import UserStoreCreate, UserStoreOut, UserStorePatch
from identra.storage.models import UserStore
from identra.userstores import config as ldap_stores

router = resource_router("/orgs/{org}/user-stores", "user stores")
Read = Annotated[Scope, Depends(require("userstores", "read"))]
Write = Annotated[Scope, Depends(require("userstores", "write"))]


@router.get("", response_model=Page[UserStoreOut])
async def list_user_stores(
    scope: Read,
    identifier: Filter = None,
    q: Prefix = None,
    kind: Filter = None,
    enabled: bool | None = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[UserStoreOut]:
    query = select(UserStore).where(UserStore.org_id == scope.org.id)
    if identifier is not None:
        query = query.where(UserStore.identifier == identifier)
    if q:
        query = query.where(starts_with(UserStore.identifier, q))
    if kind is not None:
        query = query.where(UserStore.kind == kind)
    if enabled is not None:
        query = query.where(UserStore.enabled == enabled)
    rows = list((await scope.session.scalars(paginate(query, UserStore, cursor, limit))).all())
    items, next_cursor = page_of(rows, limit)
    return Page(items=[UserStoreOut.model_validate(s) for s in items], next_cursor=next_cursor)


@router.post("", status_code=201, response_model=UserStoreOut)
async def create_user_store(
    body: UserStoreCreate, scope: Write, response: Response
) -> UserStoreOut:
    values = body.model_dump()
    config, bind_password = values.pop("config"), values.pop("bind_password")
    if body.kind == "ldap":
        if config is None:
            raise InvalidInput("LDAP user stores need a config", "config")
        store = await ldap_stores.create_ldap_store(
            scope.session,
            scope.org,
            identifier=body.identifier,
            config=config,
            bind_password=bind_password,
            box=scope.services.box,
            actor=scope.actor,
            read_only=body.read_only,
            position=body.position,
            description=body.description,
        )
    else:
        if config is not None or bind_password is not None:
            raise InvalidInput("database user stores take no config or bind_password", "config")
        store = await service.create(
            scope.session, scope.org, service.NewUserStore(**values), scope.actor
        )
    created(response, store.version, f"/api/v1/orgs/{scope.org.handle}/user-stores/{store.id}")
    return UserStoreOut.model_validate(store)


@router.get("/{store_id}", response_model=UserStoreOut)
async def get_user_store(store_id: str, scope: Read, response: Response) -> UserStoreOut:
    store = await service.get(scope.session, scope.org, store_id)
    set_etag(response, store.version)
    return UserStoreOut.model_validate(store)


@router.patch("/{store_id}", response_model=UserStoreOut)
async def update_user_store(
    store_id: str, body: UserStorePatch, scope: Write, request: Request, response: Response
) -> UserStoreOut:
    store = await service.get(scope.session, scope.org, store_id)
    check_if_match(request, store.version)
    changes = body.model_dump(exclude_unset=True)
    directory = {k: changes.pop(k) for k in ("config", "bind_password") if k in changes}
    if directory:
        if store.kind != "ldap":
            raise InvalidInput("only LDAP user stores take a config or bind_password", "config")
        await ldap_stores.update_ldap_store(
            scope.session,
            scope.org,
            store,
            box=scope.services.box,
            actor=scope.actor,
            config=directory.get("config"),
            # An explicit null removes the password; the service takes "" for that.
            bind_password=(directory["bind_password"] or "")
            if "bind_password" in directory
            else None,
        )
    if changes or not directory:
        await service.update(scope.session, scope.org, store, changes, scope.actor)
    set_etag(response, store.version)
    return UserStoreOut.model_validate(store)


@router.delete("/{store_id}", status_code=204)
async def delete_user_store(store_id: str, scope: Write, request: Request) -> Response:
    store = await service.get(scope.session, scope.org, store_id)
    check_if_match(request, store.version)
    await service.delete(scope.session, scope.org, store, scope.actor)
    return Response(status_code=204)
