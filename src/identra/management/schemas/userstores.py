"""User store resources."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, model_validator

from identra.management.schemas.common import Omittable, Resource, Strict

StoreIdentifier = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9_-]{1,32}$")]
StoreDescription = Annotated[
    str, StringConstraints(max_length=500, pattern=r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$")
]
Kind = Literal["database", "ldap"]
BindPassword = Annotated[str, StringConstraints(min_length=1, max_length=1024)]
LdapConfigIn = Annotated[
    dict[str, Any],
    Field(
        max_length=50,
        description="LDAP stores: url, bind_dn, users_dn, attribute mapping, TLS options "
        "(see docs/scim.md)",
    ),
]
Position = Annotated[int, Field(ge=0, le=10_000, description="lower positions are read first")]


class UserStoreCreate(Strict):
    identifier: StoreIdentifier
    kind: Kind = "database"
    description: StoreDescription = ""
    position: Position | None = Field(None, description="default: after the existing stores")
    read_only: bool = False
    enabled: bool = True
    config: LdapConfigIn | None = None
    bind_password: BindPassword | None = Field(None, description="write-only; LDAP only")


class UserStorePatch(Strict):
    description: StoreDescription = Omittable()
    position: Position = Omittable()
    read_only: bool = Omittable()
    enabled: bool = Omittable()
    config: LdapConfigIn = Omittable()
    bind_password: BindPassword | None = Field(None, description="write-only; null removes it")


class UserStoreOut(Resource):
    identifier: str
    kind: str
    description: str
    position: int
    read_only: bool
    enabled: bool
    config: dict[str, Any] = Field(default_factory=dict)
    has_bind_password: bool = False

    @model_validator(mode="before")
    @classmethod
    def _secret_as_flag(cls, data: Any) -> Any:
        """The sealed bind password is never returned, only whether one is set."""
        if hasattr(data, "secret_encrypted"):
            values = {n: getattr(data, n) for n in cls.model_fields if hasattr(data, n)}
            values["has_bind_password"] = data.secret_encrypted is not None
            return values
        return data
