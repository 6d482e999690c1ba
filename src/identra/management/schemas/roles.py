"""Role resources and role assignments."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from identra import permissions
from identra.management.schemas.common import Description, Omittable, Resource, RowId, Strict

RoleName = Annotated[
    str, StringConstraints(min_length=1, max_length=255, pattern=r"^[^\x00-\x1f\x7f]+$")
]
Permission = Annotated[
    str,
    StringConstraints(min_length=1, max_length=64),
    Field(json_schema_extra={"enum": list(permissions.ALL)}),
]
Permissions = Annotated[
    list[Permission],
    Field(max_length=len(permissions.ALL) * 2, description="management permissions"),
]


class RoleCreate(Strict):
    name: RoleName
    description: Description = ""
    permissions: Permissions = Field(default_factory=list)


class RolePatch(Strict):
    name: RoleName = Omittable()
    description: Description = Omittable()
    permissions: Permissions = Omittable()


class RoleOut(Resource):
    name: str
    description: str
    audience: str
    permissions: list[str]


class AssignmentIn(Strict):
    """Exactly one of ``user_id`` and ``group_id``, naming a user or group of this org."""

    user_id: RowId | None = None
    group_id: RowId | None = None


class AssignmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    role_id: str
    user_id: str | None
    group_id: str | None
