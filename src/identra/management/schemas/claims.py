"""Claim definition resources."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from identra.management.schemas.common import Description, Name, Omittable, Resource, Strict

ClaimUri = Annotated[
    str,
    StringConstraints(max_length=500, pattern=r"^[A-Za-z][A-Za-z0-9+.-]*:[\x21-\x7e]+$"),
    Field(description="an absolute URI, e.g. `http://identra.dev/claims/email`"),
]
OidcClaim = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.:$-]{1,200}$")]
ScimAttribute = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.:$-]{1,500}$")]
DataType = Literal["string", "boolean", "integer", "datetime", "complex"]


class ClaimCreate(Strict):
    uri: ClaimUri
    display_name: Name
    description: Description = ""
    data_type: DataType = "string"
    multi_valued: bool = False
    required: bool = False
    read_only: bool = False
    oidc_claim: OidcClaim | None = None
    scim_attribute: ScimAttribute | None = None


class ClaimPatch(Strict):
    display_name: Name = Omittable()
    description: Description = Omittable()
    data_type: DataType = Omittable()
    multi_valued: bool = Omittable()
    required: bool = Omittable()
    read_only: bool = Omittable()
    oidc_claim: OidcClaim | None = None
    scim_attribute: ScimAttribute | None = None


class ClaimOut(Resource):
    uri: str
    display_name: str
    description: str
    data_type: str
    multi_valued: bool
    required: bool
    read_only: bool
    oidc_claim: str | None
    scim_attribute: str | None
