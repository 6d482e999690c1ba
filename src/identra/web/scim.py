"""SCIM 2.0 over HTTP: ``/scim2/...`` (root organization) and ``/o/{org}/scim2/...``.

The edge resolves the organization, authenticates the caller (the management API's bearer
tokens and Basic credentials), opens one transaction, hands a plain ``ScimRequest`` to
``identra.protocols.scim.service`` and answers ``application/scim+json``. Any error response
rolls the transaction back, so a rejected request changes nothing.

Permissions are the management permissions, carried by a token as scopes: ``users:read`` /
``users:write`` for ``/Users``, ``groups:*`` for ``/Groups``, ``roles:*`` for ``/Roles``.
``PUT /Schemas`` (custom extensions of the organization, an Identra addition) needs
``orgs:write``. ``/Me`` needs none: a user reads and changes their own resource (not
``active``); deleting it needs ``users:write``. An organization the caller cannot reach is a
404, as one that does not exist.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from identra.actions.runtime import deferred_audit
from identra.management.auth import Principal, authenticate
from identra.management.problems import Problem
from identra.observability.audit import Actor
from identra.protocols.scim import errors
from identra.protocols.scim.service import (
    CONTENT_TYPE,
    ScimContext,
    ScimRequest,
    ScimResponse,
    ScimService,
    error_response,
)
from identra.services import Services
from identra.storage.models import Organization
from identra.storage.repositories import orgs, scim_schemas
from identra.storage.repositories.scim_schemas import org_catalog
from identra.userstores.registry import UserStores
from identra.userstores.scim import ScimGroups, ScimRoles, ScimUsers

log = logging.getLogger(__name__)
service = ScimService()
PERMISSIONS = {"User": "users", "Group": "groups", "Role": "roles", "Organization": "orgs"}
BODY_TYPES = ("application/scim+json", "application/json")


def render(response: ScimResponse) -> Response:
    headers = dict(response.headers)
    if response.status in (204, 304):
        return Response(status_code=response.status, headers=headers)
    return Response(
        content=response.encoded(),
        status_code=response.status,
        media_type=CONTENT_TYPE,
        headers=headers,
    )


def _error(exc: errors.ScimError) -> Response:
    return render(error_response(exc))


async def _body(request: Request) -> Any:
    raw = await request.body()
    if not raw.strip():
        return None
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type and content_type not in BODY_TYPES:
        raise errors.InvalidSyntax(f"the body must be {CONTENT_TYPE}, not {content_type}")
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, ValueError) as exc:
        raise errors.InvalidSyntax("the body is not valid JSON") from exc


async def _principal(request: Request) -> Principal:
    try:
        return await authenticate(request)
    except Problem as exc:
        error = errors.ScimError(exc.detail, headers=exc.headers)
        error.status = exc.status
        raise error from exc


@asynccontextmanager
async def _savepoint(session: Any) -> AsyncIterator[None]:
    async with session.begin_nested():
        yield


async def scim(request: Request) -> Response:
    services: Services = request.app.state.services
    # Action calls (pre-update password/profile) are audited once the request's transaction
    # has ended: a Bulk request may hold write locks when it calls one.
    async with deferred_audit(services):
        return await _scim(request, services)


async def _scim(request: Request, services: Services) -> Response:
    handle = request.path_params.get("org")
    try:
        principal = await _principal(request)
        body = await _body(request)
    except errors.ScimError as exc:
        return _error(exc)
    session = services.sessions()
    try:
        await session.begin()
        org: Organization | None = await (
            orgs.root(session) if handle is None else orgs.by_handle(session, handle)
        )
        if org is None or org.status != "active" or not principal.can_reach(org):
            return _error(errors.NotFound("organization not found"))
        current: Organization = org
        base_url = orgs.issuer_for(services.settings.issuer, org) + "/scim2"
        catalog = org_catalog(org)
        actor = Actor(principal.kind, principal.id, request.client.host if request.client else None)
        stores = await UserStores.load(session, org, services.box, services.clock)

        def can(type_id: str, write: bool) -> bool:
            resource = PERMISSIONS.get(type_id)
            mode = "write" if write else "read"
            return resource is not None and f"{resource}:{mode}" in principal.scopes

        ctx = ScimContext(
            catalog=catalog,
            base_url=base_url,
            stores={
                "User": ScimUsers(
                    session,
                    org,
                    catalog.user,
                    base_url,
                    stores,
                    actor,
                    services.clock,
                    services.box,
                    services,
                    self_service=request.path_params.get("path", "").split("/")[0] == "Me",
                ),
                "Group": ScimGroups(session, org, catalog.group, base_url, stores, actor),
                "Role": ScimRoles(session, org, catalog.role, base_url, stores, actor),
            },
            can=can,
            me=principal.id if principal.kind == "user" and principal.org_id == org.id else None,
            atomic=lambda: _savepoint(session),
            max_payload=services.settings.http.max_body_bytes,
            set_extensions=lambda entries: scim_schemas.set_extensions(
                session, current, entries, actor
            ),
        )
        scim_request = ScimRequest(
            method=request.method,
            path="/" + request.path_params.get("path", ""),
            query={k: request.query_params.getlist(k) for k in request.query_params.keys()},
            headers={k.lower(): v for k, v in request.headers.items()},
            body=body,
        )
        response = await service.handle(scim_request, ctx)
        if response.status < 400:
            await session.commit()
        else:
            await session.rollback()
        return render(response)
    except Exception:
        log.exception("SCIM request failed")
        await session.rollback()
        return _error(errors.InternalError("an unexpected error occurred"))
    finally:
        await session.close()


METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


def routes() -> list[BaseRoute]:
    return [
        Route("/scim2/{path:path}", scim, methods=METHODS),
        Route("/o/{org}/scim2/{path:path}", scim, methods=METHODS),
    ]
