"""Login flows: ``/api/v1/orgs/{org}/flows/default`` (the organization's default) and
``/api/v1/orgs/{org}/flows/apps/{client_id}`` (one application's).

``PUT`` takes the JSON document (``application/json``) or the text form (``text/plain``) and
stores a new revision; ``GET`` answers both forms; ``DELETE`` falls back to the inherited flow.
``POST .../flows/validate`` checks a flow without storing it; ``GET .../flows/schema`` is the
JSON Schema; ``GET .../flows/catalog`` is what a flow may name (the designer's palette). An
invalid flow is a 422 problem listing every problem with its path.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import Depends, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import select

from identra.admin import flows as service
from identra.authenticators.federated.accounts import Provider
from identra.authenticators.registry import Authenticators
from identra.flows import text
from identra.flows.document import FIELDS, FlowInvalid, dump
from identra.flows.schema import json_schema
from identra.management.deps import Scope, require
from identra.management.problems import Problem
from identra.management.resources import resource_router
from identra.storage.models import Application, Group, IdentityProvider, Role, UserStore
from identra.web.login.runtime import for_app

router = resource_router("/orgs/{org}/flows", "flows")
Read = Annotated[Scope, Depends(require("flows", "read"))]
Write = Annotated[Scope, Depends(require("flows", "write"))]
MAX_BODY = 256 * 1024
NODE_KINDS = ("identify", "step", "enroll", "limit_sessions", "condition", "set", "allow", "deny",
              "lock")  # fmt: skip
MAX_LISTED = 1000  # roles, groups, applications... listed in the catalog
# The body is read by hand (JSON document or text form); this documents it in OpenAPI.
FLOW_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {"type": "object", "description": "a flow document (see /schema)"}
            },
            "text/plain": {"schema": {"type": "string", "description": "the text form"}},
        },
    }
}


def rejected_problem(problems: list[tuple[str, str]]) -> Problem:
    return Problem(
        422,
        "Unprocessable Content",
        "the flow is not valid",
        errors=[{"pointer": path, "detail": message} for path, message in problems],
    )


async def _document(request: Request) -> Any:
    body = await request.body()
    if len(body) > MAX_BODY:
        raise Problem(413, "Content Too Large", "a flow is at most 256 KiB")
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        content = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Problem(400, "Bad Request", "the body is not UTF-8") from exc
    if kind == "application/json":
        try:
            return json.loads(content)
        except json.JSONDecodeError as exc:
            raise Problem(400, "Bad Request", f"the body is not valid JSON: {exc.msg}") from exc
        except (ValueError, RecursionError) as exc:  # a number too long, nesting too deep
            raise Problem(400, "Bad Request", "the body is not JSON that Identra can read") from exc
    if kind == "text/plain":
        try:
            return text.parse_text(content)
        except FlowInvalid as invalid:
            raise rejected_problem(invalid.problems) from invalid
    raise Problem(
        415, "Unsupported Media Type", "send application/json (document) or text/plain (text form)"
    )


def authenticators(request: Request) -> Authenticators:
    """The running application's authenticator registry (the one its login pages use)."""
    return for_app(request.app).authenticators


async def option_catalog(request: Request, scope: Scope) -> service.OptionCatalog:
    known = authenticators(request).catalog()
    return await service.catalog(scope.session, scope.org, known)


def _out(record: service.FlowRecord) -> dict[str, Any]:
    return {
        "client_id": record.client_id,
        "ref": record.ref,
        "revision": record.revision,
        "inherited": record.inherited,
        "document": dump(record.document),
        "text": text.render(record.document),
    }


async def _put(request: Request, scope: Scope, client_id: str | None) -> dict[str, Any]:
    raw = await _document(request)
    try:
        record = await service.apply(
            scope.session,
            scope.org,
            client_id,
            raw,
            await option_catalog(request, scope),
            scope.actor,
        )
    except service.FlowRejected as rejected:
        raise rejected_problem(rejected.problems) from rejected
    return _out(record)


@router.get("/schema")
async def flow_schema(scope: Read) -> dict[str, Any]:
    """The JSON Schema of flow documents."""
    return json_schema()


async def _names(scope: Scope, column: Any, *where: Any) -> list[str]:
    model = column.class_
    rows = await scope.session.scalars(
        select(column)
        .where(model.org_id == scope.org.id, *where)
        .order_by(column)
        .limit(MAX_LISTED)
    )
    return [str(name) for name in rows]


class CatalogOption(BaseModel):
    option: str = Field(description="as written in a flow: password, idp:<name>, action:<name>")
    label: str
    first_factor: bool = Field(description="can identify a user on its own")
    kind: Literal["authenticator", "idp", "action"]


class CatalogApplication(BaseModel):
    client_id: str
    name: str


class FlowCatalog(BaseModel):
    options: list[CatalogOption]
    roles: list[str]
    groups: list[str]
    user_stores: list[str]
    applications: list[CatalogApplication]
    node_kinds: list[str]


@router.get("/catalog")
async def flow_catalog(request: Request, scope: Read) -> FlowCatalog:
    """What a flow may name: options (authenticators, ``idp:<name>``, ``action:<name>``),
    the roles, groups, user stores and applications conditions test, and the node kinds."""
    registry = authenticators(request)
    options: list[CatalogOption] = []
    for item in registry.items:
        if item.name.endswith(":"):
            continue  # parameterised (idp:, action:): listed per provider or action below
        options.append(
            CatalogOption(
                option=item.name,
                label=item.label,
                first_factor=item.first_factor,
                kind="authenticator",
            )
        )
    idp = registry.find("idp:x")
    if idp is not None:
        providers = await scope.session.scalars(
            select(IdentityProvider)
            .where(IdentityProvider.org_id == scope.org.id, IdentityProvider.enabled.is_(True))
            .order_by(IdentityProvider.name)
            .limit(MAX_LISTED)
        )
        for row in providers:
            provider = Provider(
                row.id, row.org_id, row.name, row.kind, row.enabled, {}, None, False
            )
            options.append(
                CatalogOption(
                    option=f"idp:{row.name}",
                    label=provider.display_name,
                    first_factor=idp.first_factor,
                    kind="idp",
                )
            )
    if registry.find("action:x") is not None:
        for action in await service.authentication_actions(scope.session, scope.org):
            label = (action.config or {}).get("label") or action.name
            options.append(
                CatalogOption(
                    option=f"action:{action.name}",
                    label=str(label),
                    first_factor=service.action_first_factor(action),
                    kind="action",
                )
            )
    apps = await scope.session.execute(
        select(Application.client_id, Application.name)
        .where(Application.org_id == scope.org.id)
        .order_by(Application.name)
        .limit(MAX_LISTED)
    )
    return FlowCatalog(
        options=options,
        roles=await _names(scope, Role.name),
        groups=await _names(scope, Group.name),
        user_stores=await _names(scope, UserStore.identifier, UserStore.enabled.is_(True)),
        applications=[CatalogApplication(client_id=c, name=n) for c, n in apps],
        node_kinds=[kind for kind in NODE_KINDS if kind in FIELDS],
    )


@router.post("/validate", openapi_extra=FLOW_BODY)
async def validate_flow(request: Request, scope: Read) -> dict[str, Any]:
    """Check a flow (JSON or text form) without storing it; the canonical forms when valid."""
    raw = await _document(request)
    try:
        document = service.check(raw, await option_catalog(request, scope))
    except service.FlowRejected as rejected:
        raise rejected_problem(rejected.problems) from rejected
    return {"document": dump(document), "text": text.render(document)}


@router.get("/default")
async def get_default_flow(scope: Read) -> dict[str, Any]:
    return _out(await service.current(scope.session, scope.org, None))


@router.put("/default", openapi_extra=FLOW_BODY)
async def put_default_flow(request: Request, scope: Write) -> dict[str, Any]:
    return await _put(request, scope, None)


@router.delete("/default", status_code=204)
async def delete_default_flow(scope: Write) -> Response:
    await service.remove(scope.session, scope.org, None, scope.actor)
    return Response(status_code=204)


@router.get("/apps/{client_id}")
async def get_app_flow(client_id: str, scope: Read) -> dict[str, Any]:
    return _out(await service.current(scope.session, scope.org, client_id))


@router.put("/apps/{client_id}", openapi_extra=FLOW_BODY)
async def put_app_flow(client_id: str, request: Request, scope: Write) -> dict[str, Any]:
    return await _put(request, scope, client_id)


@router.delete("/apps/{client_id}", status_code=204)
async def delete_app_flow(client_id: str, scope: Write) -> Response:
    await service.remove(scope.session, scope.org, client_id, scope.actor)
    return Response(status_code=204)


@router.get("/default/history")
async def default_flow_history(scope: Read) -> list[dict[str, Any]]:
    """The organization default's revisions, newest first."""
    return await service.history(scope.session, scope.org, None)


@router.get("/apps/{client_id}/history")
async def app_flow_history(client_id: str, scope: Read) -> list[dict[str, Any]]:
    """The application's revisions, newest first."""
    return await service.history(scope.session, scope.org, client_id)
