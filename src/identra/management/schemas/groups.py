"""Group resources and their members."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from identra.management.schemas.common import Description, Line, Omittable, Resource, RowId, Strict

GroupName = Annotated[
    str, StringConstraints(min_length=1, max_length=255, pattern=r"^[^\x00-\x1f\x7f]+$")
]


class GroupCreate(Strict):
    name: GroupName
    description: Description = ""
    external_id: Line | None = None


class GroupPatch(Strict):
    name: GroupName = Omittable()
    description: Description = Omittable()
    external_id: Line | None = None


class GroupOut(Resource):
    name: str
    description: str
    external_id: str | None


class MembersIn(Strict):
    user_ids: list[RowId] = Field(
        max_length=1000, description="the complete new member list (ids of this org's users)"
    )


class MemberIn(Strict):
    user_id: RowId


class MemberOut(BaseModel):
    user_id: str
    username: str
