"""Applications of an organization: ``/api/v1/orgs/{org}/applications``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request, Response
from sqlalchemy import or_, select

from identra.admin import apps as service
from identra.errors import Conflict, InvalidInput
from identra.management.deps import Scope, require
from identra.management.etag import check_if_match, set_etag
from identra.management.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page, page_of, paginate
from identra.management.resources import Prefix, resource_router, starts_with
from identra.management.schemas.apps import (
    SETTINGS_FIELDS,
    AppCreate,
    AppCreated,
    AppOut,
    AppPatch,
    SecretOut,
)
from identra.observability import audit
from identra.storage.models import Application
from identra.storage.repositories.client_settings import OIDC_OPTIONS, oidc_option

router = resource_router("/orgs/{org}/applications", "applications")
Read = Annotated[Scope, Depends(require("apps", "read"))]
Write = Annotated[Scope, Depends(require("apps", "write"))]
NULLABLE = {
    "access_token_ttl",
    "refresh_token_ttl",
    "backchannel_logout_uri",
    "token_rate_limit",
    "sector_identifier_uri",
}


@router.get("", response_model=Page[AppOut])
async def list_apps(
    scope: Read,
    name: Annotated[str | None, Query(max_length=200)] = None,
    client_id: Annotated[str | None, Query(max_length=128)] = None,
    q: Prefix = None,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> Page[AppOut]:
    query = select(Application).where(Application.org_id == scope.org.id)
    if name is not None:
        query = query.where(Application.name == name)
    if client_id is not None:
        query = query.where(Application.client_id == client_id)
    if q:  # the name or the client id
        query = query.where(
            or_(starts_with(Application.name, q), starts_with(Application.client_id, q))
        )
    rows = list((await scope.session.scalars(paginate(query, Application, cursor, limit))).all())
    items, next_cursor = page_of(rows, limit)
    return Page(items=[AppOut.model_validate(a) for a in items], next_cursor=next_cursor)


@router.post("", status_code=201, response_model=AppCreated)
async def create_app(body: AppCreate, scope: Write, response: Response) -> AppCreated:
    app, secret = await service.create(
        scope.session,
        scope.org,
        body.to_new_app(),
        scope.actor,
        scope.services.box,
    )
    set_etag(response, app.version)
    response.headers["location"] = f"/api/v1/orgs/{scope.org.handle}/applications/{app.id}"
    out = AppOut.model_validate(app).model_dump()
    return AppCreated(**out, client_secret=secret)


@router.get("/{app_id}", response_model=AppOut)
async def get_app(app_id: str, scope: Read, response: Response) -> AppOut:
    app = await service.get(scope.session, scope.org, app_id)
    set_etag(response, app.version)
    return AppOut.model_validate(app)


@router.patch("/{app_id}", response_model=AppOut)
async def update_app(
    app_id: str, body: AppPatch, scope: Write, request: Request, response: Response
) -> AppOut:
    app = await service.get(scope.session, scope.org, app_id)
    check_if_match(request, app.version)
    changes = body.model_dump(exclude_unset=True)
    if not changes:
        raise InvalidInput("the change is empty")
    for name, value in changes.items():
        if value is None and name not in NULLABLE:
            raise InvalidInput(f"{name} cannot be null", name)
    for uri in changes.get("redirect_uris") or []:
        service.check_redirect_uri(uri, app.type)
    for uri in changes.get("post_logout_redirect_uris") or []:
        service.check_redirect_uri(uri, app.type, "post_logout_redirect_uris")
    if app.type != "m2m" and changes.get("redirect_uris") == []:
        raise InvalidInput("at least one redirect URI is required", "redirect_uris")
    if app.type == "m2m" and changes.get("redirect_uris"):
        raise InvalidInput("machine-to-machine applications have no redirect URIs", "redirect_uris")
    if app.token_endpoint_auth_method == "none" and changes.get("pkce_required") is False:
        raise InvalidInput("public applications always require PKCE", "pkce_required")
    if "name" in changes and changes["name"] != app.name:
        clash = await scope.session.scalar(
            select(Application.id).where(
                Application.org_id == scope.org.id, Application.name == changes["name"]
            )
        )
        if clash is not None:
            raise Conflict(f"an application named {changes['name']} exists")
    options = {k: changes.pop(k) for k in SETTINGS_FIELDS if k in changes}
    if options.get("backchannel_logout_uri"):
        service.check_redirect_uri(
            options["backchannel_logout_uri"], "web", "backchannel_logout_uri"
        )
    if "redirect_uris" in changes or any(k in options for k in OIDC_OPTIONS):
        # The OIDC options as they will be, against the redirect URIs as they will be.
        merged = {**(app.settings or {}), **options}
        await service.check_oidc_options(
            scope.session,
            changes.get("redirect_uris", app.redirect_uris or []),
            {k: oidc_option(merged, k) for k in OIDC_OPTIONS},
        )
    if options:
        # A new dict, so that the JSON column is seen as changed.
        app.settings = {**(app.settings or {}), **options}
    for name, value in changes.items():
        setattr(app, name, value)
    app.version += 1
    audit.record(
        scope.session,
        org_id=scope.org.id,
        action="application.update",
        actor=scope.actor,
        target_type="application",
        target_id=app.id,
        details={"fields": sorted([*changes, *options])},
    )
    await scope.session.flush()
    set_etag(response, app.version)
    return AppOut.model_validate(app)


@router.post("/{app_id}/secret", response_model=SecretOut)
async def regenerate_secret(app_id: str, scope: Write, request: Request) -> SecretOut:
    app = await service.get(scope.session, scope.org, app_id)
    check_if_match(request, app.version)
    secret = await service.regenerate_secret(
        scope.session, scope.org, app, scope.actor, scope.services.box
    )
    return SecretOut(client_id=app.client_id, client_secret=secret)


@router.delete("/{app_id}", status_code=204)
async def delete_app(app_id: str, scope: Write, request: Request) -> Response:
    app = await service.get(scope.session, scope.org, app_id)
    check_if_match(request, app.version)
    await service.delete(scope.session, scope.org, app, scope.actor)
    return Response(status_code=204)
