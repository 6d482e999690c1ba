"""User resources."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from identra.management.schemas.common import Line, Omittable, Resource, Strict

Username = Annotated[
    str,
    StringConstraints(
        min_length=1, max_length=255, pattern=r"^[^\s/\x00-\x1f\x7f][^/\x00-\x1f\x7f]*$"
    ),
]
Phone = Annotated[str, StringConstraints(pattern=r"^\+[1-9][0-9]{6,14}$")]
Password = Annotated[str, StringConstraints(min_length=8, max_length=1024)]
Status = Literal["active", "locked", "disabled", "unverified"]
Label = Annotated[str, StringConstraints(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")]
PersonName = Annotated[str, StringConstraints(max_length=255, pattern=r"^[^\x00-\x1f\x7f]*$")]


class EmailIn(Strict):
    value: EmailStr
    type: Label | None = None
    primary: bool = False
    verified: bool = False


class PhoneIn(Strict):
    value: Phone
    type: Label | None = None
    primary: bool = False
    verified: bool = False


class UserCreate(Strict):
    username: Username
    password: Password | None = Field(None, description="write-only; never returned")
    user_store: Label = Field("PRIMARY", description="identifier of the user store")
    status: Status = "active"
    display_name: PersonName | None = None
    given_name: PersonName | None = None
    family_name: PersonName | None = None
    locale: (
        Annotated[
            str, StringConstraints(max_length=35, pattern=r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$")
        ]
        | None
    ) = None
    emails: list[EmailIn] = Field(default_factory=list, max_length=20)
    phone_numbers: list[PhoneIn] = Field(default_factory=list, max_length=20)
    external_id: Line | None = None
    claims: dict[str, Any] = Field(default_factory=dict, max_length=100)


class UserPatch(Strict):
    """Fields present are replaced; absent fields are unchanged; ``null`` clears a nullable one.

    ``password: null`` removes the password (the user then signs in another way).
    """

    password: Password | None = None
    status: Status = Omittable()
    display_name: PersonName | None = None
    given_name: PersonName | None = None
    family_name: PersonName | None = None
    locale: (
        Annotated[
            str, StringConstraints(max_length=35, pattern=r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$")
        ]
        | None
    ) = None
    emails: list[EmailIn] = Omittable(max_length=20)
    phone_numbers: list[PhoneIn] = Omittable(max_length=20)
    external_id: Line | None = None
    claims: dict[str, Any] = Omittable(max_length=100)


class EmailOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    value: str
    type: str | None
    primary: bool
    verified: bool


class PhoneOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    value: str
    type: str | None
    primary: bool
    verified: bool


class UserOut(Resource):
    username: str
    user_store: str
    status: str
    display_name: str | None
    given_name: str | None
    family_name: str | None
    locale: str | None
    external_id: str | None
    emails: list[EmailOut]
    phone_numbers: list[PhoneOut]
    claims: dict[str, Any]
    has_password: bool
