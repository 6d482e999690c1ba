"""User store resources."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from identra.management.schemas.common import Omittable, Resource, Strict

StoreIdentifier = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9_-]{1,32}$")]
StoreDescription = Annotated[
    str, StringConstraints(max_length=500, pattern=r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$")
]
Kind = Annotated[
    str,
    StringConstraints(min_length=1, max_length=32),
    Field(description="`database`; LDAP and Active Directory stores arrive later"),
]
Position = Annotated[int, Field(ge=0, le=10_000, description="lower positions are read first")]


class UserStoreCreate(Strict):
    identifier: StoreIdentifier
    kind: Kind = "database"
    description: StoreDescription = ""
    position: Position | None = Field(None, description="default: after the existing stores")
    read_only: bool = False
    enabled: bool = True


class UserStorePatch(Strict):
    description: StoreDescription = Omittable()
    position: Position = Omittable()
    read_only: bool = Omittable()
    enabled: bool = Omittable()


class UserStoreOut(Resource):
    identifier: str
    kind: str
    description: str
    position: int
    read_only: bool
    enabled: bool
