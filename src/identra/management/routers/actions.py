"""Actions (service extensions): ``/api/v1/orgs/{org}/actions``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Response
from sqlalchemy import func, select

from identra.actions.model import TYPES
from identra.admin import actions as service
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
from identra.management.schemas.actions import (
    ActionCreate,
    ActionOut,
    ActionPatch,
    ActionType,
    ActionTypeOut,
    ActionWritten,
    SigningSecretOut,
)
from identra.storage.models import Action

router = resource_router("/orgs/{org}/actions", "actions")
Read = Annotated[Scope, Depends(require("actions", "read"))]
Write = Annotated[Scope, Depends(require("actions", "write"))]


def _out(action: Action) -> ActionOut:
    return ActionOut(
        id=action.id,
        created_at=action.created_at,
        updated_at=action.updated_at,
        version=action.version,
        name=action.name,
        type=action.type,
        description=action.description,
        endpoint=action.endpoint,
        authentication=service.shown_auth(action),
        timeout_ms=action.timeout_ms,
        failure_policy=action.failure_policy,
        rule=action.rule or None,
        enabled=action.enabled,
        config=service.public_config(action),
        signed=action.signing_secret_encrypted is not None,
    )


@router.get("", response_model=Page[ActionOut])
async def list_actions(
    scope: Read,
    type: ActionType | None = None,
    name: Filter = None,
    q: Prefix = None,
    enabled: bool | None = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[ActionOut]:
    query = select(Action).where(Action.org_id == scope.org.id)
    if type is not None:
        query = query.where(Action.type == type)
    if name is not None:
        query = query.where(Action.name == name)
    if q:
        query = query.where(starts_with(Action.name, q))
    if enabled is not None:
        query = query.where(Action.enabled == enabled)
    rows = list((await scope.session.scalars(paginate(query, Action, cursor, limit))).all())
    items, next_cursor = page_of(rows, limit)
    return Page(items=[_out(a) for a in items], next_cursor=next_cursor)


@router.get("/types", response_model=list[ActionTypeOut])
async def list_types(scope: Read) -> list[ActionTypeOut]:
    counts = dict(
        (
            await scope.session.execute(
                select(Action.type, func.count())
                .where(Action.org_id == scope.org.id)
                .group_by(Action.type)
            )
        ).all()
    )
    return [
        ActionTypeOut(
            type=spec.name,
            display_name=spec.display_name,
            description=spec.description,
            rule_fields=list(spec.rule_fields),
            count=int(counts.get(spec.name, 0)),
        )
        for spec in TYPES.values()
    ]


@router.post("", status_code=201, response_model=ActionWritten)
async def create_action(body: ActionCreate, scope: Write, response: Response) -> ActionWritten:
    new = service.NewAction(
        name=body.name,
        type=body.type,
        endpoint=body.endpoint,
        description=body.description,
        authentication=body.authentication.model_dump(),
        timeout_ms=body.timeout_ms,
        failure_policy=body.failure_policy,
        rule=body.rule.model_dump() if body.rule is not None else None,
        enabled=body.enabled,
        config=body.config,
        signed=body.signed,
    )
    action, secret = await service.create(
        scope.session, scope.org, new, scope.actor, scope.services.box
    )
    created(response, action.version, f"/api/v1/orgs/{scope.org.handle}/actions/{action.id}")
    return ActionWritten(**_out(action).model_dump(), signing_secret=secret)


@router.get("/{action_id}", response_model=ActionOut)
async def get_action(action_id: str, scope: Read, response: Response) -> ActionOut:
    action = await service.get(scope.session, scope.org, action_id)
    set_etag(response, action.version)
    return _out(action)


@router.patch("/{action_id}", response_model=ActionWritten)
async def update_action(
    action_id: str, body: ActionPatch, scope: Write, request: Request, response: Response
) -> ActionWritten:
    action = await service.get(scope.session, scope.org, action_id)
    check_if_match(request, action.version)
    changes = body.model_dump(exclude_unset=True)
    if "authentication" in changes:
        changes["authentication"] = body.authentication.model_dump()
    if "rule" in changes and body.rule is not None:
        changes["rule"] = body.rule.model_dump()
    action, secret = await service.update(
        scope.session, scope.org, action, changes, scope.actor, scope.services.box
    )
    set_etag(response, action.version)
    return ActionWritten(**_out(action).model_dump(), signing_secret=secret)


@router.post("/{action_id}/signing-secret", response_model=SigningSecretOut)
async def rotate_signing_secret(
    action_id: str, scope: Write, request: Request, response: Response
) -> SigningSecretOut:
    action = await service.get(scope.session, scope.org, action_id)
    check_if_match(request, action.version)
    secret = await service.rotate_signing_secret(
        scope.session, scope.org, action, scope.actor, scope.services.box
    )
    set_etag(response, action.version)
    return SigningSecretOut(signing_secret=secret)


@router.delete("/{action_id}", status_code=204)
async def delete_action(action_id: str, scope: Write, request: Request) -> Response:
    action = await service.get(scope.session, scope.org, action_id)
    check_if_match(request, action.version)
    await service.delete(scope.session, scope.org, action, scope.actor)
    return Response(status_code=204)
