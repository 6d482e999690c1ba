"""Identity provider resources. ``client_secret`` is write-only."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from identra.management.schemas.common import Line, Name, Omittable, Resource, Strict

Url = Annotated[
    str,
    StringConstraints(min_length=1, max_length=2000),
    Field(description="absolute https URL (http only for loopback)"),
]
ScopeToken = Annotated[str, StringConstraints(pattern=r"^[\x21\x23-\x5B\x5D-\x7E]{1,128}$")]
ClientSecret = Annotated[
    str,
    StringConstraints(min_length=1, max_length=512),
    Field(description="write-only: stored encrypted, never returned"),
]


class IdpConfigIn(Strict):
    client_id: Line
    issuer: Url | None = None
    discovery_url: Url | None = None
    authorization_endpoint: Url | None = None
    token_endpoint: Url | None = None
    userinfo_endpoint: Url | None = None
    jwks_uri: Url | None = None
    scopes: list[ScopeToken] = Field(default_factory=list, max_length=50)
    link_by_email: bool = Field(
        True,
        description="link an upstream account to the local user with the same verified email",
    )
    token_endpoint_auth_method: Literal["client_secret_basic", "client_secret_post"] = (
        "client_secret_basic"
    )


class IdpCreate(Strict):
    name: Name
    kind: Literal["oidc", "google"]
    enabled: bool = True
    jit_provisioning: bool = True
    config: IdpConfigIn
    client_secret: ClientSecret | None = None


class IdpPatch(Strict):
    name: Name = Omittable()
    enabled: bool = Omittable()
    jit_provisioning: bool = Omittable()
    config: IdpConfigIn = Omittable(description="replaces the whole configuration")
    client_secret: ClientSecret | None = Field(None, description="null removes the secret")


class IdpConfigOut(BaseModel):
    client_id: str
    issuer: str | None = None
    discovery_url: str | None = None
    authorization_endpoint: str | None = None
    token_endpoint: str | None = None
    userinfo_endpoint: str | None = None
    jwks_uri: str | None = None
    scopes: list[str] = Field(default_factory=list)
    link_by_email: bool = True
    token_endpoint_auth_method: str = "client_secret_basic"


class IdpOut(Resource):
    name: str
    kind: str
    enabled: bool
    jit_provisioning: bool
    config: IdpConfigOut
    has_client_secret: bool
