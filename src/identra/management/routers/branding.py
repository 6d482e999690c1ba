"""An organization's branding: ``/api/v1/orgs/{org}/branding``.

``GET`` answers the theme (every field, ``null`` where the default look applies); ``PUT``
replaces it; ``DELETE`` goes back to the default look. The hosted pages of the organization use
it on every node within a second (configuration events). Branding is a setting of the
organization, so it needs ``orgs:read`` / ``orgs:write``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Depends, Response
from pydantic import Field, StrictInt, StrictStr

from identra.branding.theme import COLOR, MAX_LOGO_URL, MAX_NAME, ThemeInvalid, parse
from identra.management.deps import Scope, require
from identra.management.problems import Problem
from identra.management.resources import resource_router
from identra.management.schemas.common import Strict
from identra.observability import audit
from identra.storage.repositories import branding

router = resource_router("/orgs/{org}/branding", "branding")
Read = Annotated[Scope, Depends(require("orgs", "read"))]
Write = Annotated[Scope, Depends(require("orgs", "write"))]
Color = Annotated[StrictStr, Field(pattern=COLOR.pattern, examples=["#1f5fbf"])]
Font = Literal["system", "serif", "humanist", "mono"]


class Theme(Strict):
    display_name: Annotated[StrictStr, Field(min_length=1, max_length=MAX_NAME)] | None = None
    logo_url: Annotated[StrictStr, Field(max_length=MAX_LOGO_URL)] | None = Field(
        None, description="https URL, or a data: URL of a PNG, JPEG, GIF or WebP image"
    )
    primary_color: Color | None = None
    primary_text_color: Color | None = None
    background_color: Color | None = None
    surface_color: Color | None = None
    text_color: Color | None = None
    muted_color: Color | None = None
    border_color: Color | None = None
    radius_px: Annotated[StrictInt, Field(ge=0, le=24)] | None = None
    font: Font | None = None


def _out(config: dict[str, Any]) -> Theme:
    return Theme.model_validate({name: config.get(name) for name in Theme.model_fields})


@router.get("", response_model=Theme)
async def get_branding(scope: Read) -> Theme:
    row = await branding.org_row(scope.session, scope.org.id)
    return _out(row.config if row is not None else {})


@router.put("", response_model=Theme)
async def put_branding(body: Theme, scope: Write) -> Theme:
    try:
        theme = parse(body.model_dump(exclude_none=True))
    except ThemeInvalid as invalid:
        raise Problem(
            422,
            "Unprocessable Content",
            f"the theme is not valid: {invalid}",
            errors=[{"pointer": f"/{invalid.field}", "detail": invalid.message}],
        ) from invalid
    config = theme.to_config()
    await branding.put(scope.session, scope.org.id, config)
    audit.record(
        scope.session,
        org_id=scope.org.id,
        action="branding.update",
        actor=scope.actor,
        target_type="organization",
        target_id=scope.org.id,
        details={"fields": sorted(config)},
    )
    return _out(config)


@router.delete("", status_code=204)
async def delete_branding(scope: Write) -> Response:
    if await branding.remove(scope.session, scope.org.id):
        audit.record(
            scope.session,
            org_id=scope.org.id,
            action="branding.delete",
            actor=scope.actor,
            target_type="organization",
            target_id=scope.org.id,
        )
    return Response(status_code=204)
