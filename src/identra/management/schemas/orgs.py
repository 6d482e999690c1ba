"""Organization resources."""

from __future__ import annotations

from typing import Literal

from identra.management.schemas.common import Handle, Name, Omittable, Resource, Strict


class OrgCreate(Strict):
    handle: Handle
    name: Name


class OrgPatch(Strict):
    name: Name = Omittable()
    status: Literal["active", "disabled"] = Omittable()


class OrgOut(Resource):
    handle: str
    name: str
    status: str
    parent: str | None
