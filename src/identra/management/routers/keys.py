"""Deployment-wide signing keys: ``/api/v1/orgs/{org}/keys`` (root organization only).

Any other organization answers 404: keys are not per organization, and a sub-organization's
administrators must not rotate the keys every tenant's tokens are signed with.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from sqlalchemy import select

from identra.admin import keys as service
from identra.management.deps import Scope, require
from identra.management.pagination import DEFAULT_LIMIT, Page, page_of, paginate
from identra.management.problems import Problem
from identra.management.resources import Cursor, Filter, Limit, resource_router
from identra.management.schemas.keys import Alg, KeyOut, RotateIn
from identra.storage.models import SigningKey

router = resource_router("/orgs/{org}/keys", "signing keys")
Read = Annotated[Scope, Depends(require("keys", "read"))]
Write = Annotated[Scope, Depends(require("keys", "write"))]


def _root_only(scope: Scope) -> None:
    if scope.org.parent_id is not None:
        raise Problem(
            404,
            "Not Found",
            "signing keys are deployment-wide; manage them through the root organization",
        )


def _out(row: SigningKey, scope: Scope) -> KeyOut:
    return KeyOut(
        kid=row.kid,
        alg=row.alg,
        status=service.status_of(row, scope.services.clock.now()),
        created_at=row.created_at,
        activated_at=row.activated_at,
        retired_at=row.retired_at,
        expires_at=row.expires_at,
        public_jwk=row.public_jwk,
    )


@router.get("", response_model=Page[KeyOut])
async def list_keys(
    scope: Read,
    alg: Alg | None = None,
    status: Filter = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Page[KeyOut]:
    """Every deployment key, expired ones included; ``status`` filters the stored status."""
    _root_only(scope)
    query = select(SigningKey).where(SigningKey.org_id.is_(None))
    if alg is not None:
        query = query.where(SigningKey.alg == alg)
    if status is not None:
        query = query.where(SigningKey.status == status)
    statement = paginate(query, SigningKey, cursor, limit, key="kid")
    rows = list((await scope.session.scalars(statement)).all())
    items, next_cursor = page_of(rows, limit, key="kid")
    return Page(items=[_out(r, scope) for r in items], next_cursor=next_cursor)


@router.post("/rotate", response_model=KeyOut)
async def rotate_keys(body: RotateIn, scope: Write) -> KeyOut:
    """Promote the published next key for ``alg``, retire the active one, publish a new next.

    The retired key stays published for the longest token lifetime, so tokens it signed
    still verify until they expire.
    """
    _root_only(scope)
    kid = await service.rotate(
        scope.session,
        scope.org,
        scope.services.keyring,
        body.alg,
        scope.services.settings.tokens,
        scope.actor,
    )
    row = await scope.session.get(SigningKey, kid)
    assert row is not None
    return _out(row, scope)
