"""Action resources. Credentials to the endpoint and the signing secret are write-only."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints

from identra.management.schemas.common import Description, Omittable, Resource, Strict

ActionName = Annotated[
    str,
    StringConstraints(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$"),
    Field(description="letters, digits, '.', '_', '-'; a flow names it action:<name>"),
]
ActionType = Literal[
    "preIssueAccessToken",
    "preUpdatePassword",
    "preUpdateProfile",
    "preRegistration",
    "authentication",
]
Url = Annotated[
    str,
    StringConstraints(min_length=1, max_length=2000),
    Field(description="absolute https URL (http only for loopback)"),
]
Secret = Annotated[str, StringConstraints(min_length=1, max_length=4000)]
Short = Annotated[str, StringConstraints(min_length=1, max_length=255)]


class AuthNone(Strict):
    type: Literal["none"]


class AuthBasic(Strict):
    type: Literal["basic"]
    username: Short
    password: Annotated[str, StringConstraints(min_length=1, max_length=512)] = Field(
        description="write-only"
    )


class AuthBearer(Strict):
    type: Literal["bearer"]
    token: Secret = Field(description="write-only")


class AuthApiKey(Strict):
    type: Literal["api_key"]
    header: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    value: Secret = Field(description="write-only")


Authentication = Annotated[
    AuthNone | AuthBasic | AuthBearer | AuthApiKey, Field(discriminator="type")
]


class RuleExpression(Strict):
    field: str
    operator: Literal["equals", "notEquals"]
    value: Annotated[str, StringConstraints(min_length=1, max_length=255)]


class RuleGroup(Strict):
    condition: Literal["AND"]
    expressions: list[RuleExpression] = Field(min_length=1, max_length=10)


class RuleIn(Strict):
    """WSO2's rule: an OR of AND groups of expressions."""

    condition: Literal["OR"]
    rules: list[RuleGroup] = Field(min_length=1, max_length=10)


class ActionCreate(Strict):
    name: ActionName
    type: ActionType
    description: Description = ""
    endpoint: Url
    authentication: Authentication = Field(
        default_factory=lambda: AuthNone(type="none"),
        description="how Identra authenticates to the endpoint",
    )
    timeout_ms: int = Field(2000, ge=100, le=10_000)
    failure_policy: Literal["fail_closed", "fail_open"] = "fail_closed"
    rule: RuleIn | None = Field(None, description="when the action applies; null: always")
    enabled: bool = True
    config: dict[str, Any] = Field(default_factory=dict, description="type-specific settings")
    signed: bool = Field(
        False, description="sign requests (Standard Webhooks); the secret is shown once"
    )


class ActionPatch(Strict):
    name: ActionName = Omittable()
    description: Description = Omittable()
    endpoint: Url = Omittable()
    authentication: Authentication = Omittable(description="replaces the authentication")
    timeout_ms: int = Omittable(ge=100, le=10_000)
    failure_policy: Literal["fail_closed", "fail_open"] = Omittable()
    rule: RuleIn | None = Field(None, description="null: the action always applies")
    enabled: bool = Omittable()
    config: dict[str, Any] = Omittable(description="replaces the type-specific settings")
    signed: bool = Omittable(description="true on an unsigned action returns a new secret")


class ActionOut(Resource):
    name: str
    type: str
    description: str
    endpoint: str
    authentication: dict[str, str] = Field(description="the type and non-secret names only")
    timeout_ms: int
    failure_policy: str
    rule: dict[str, Any] | None
    enabled: bool
    config: dict[str, Any]
    signed: bool


class ActionWritten(ActionOut):
    signing_secret: str | None = Field(
        None, description="shown once: at creation with signed, or when signing is turned on"
    )


class SigningSecretOut(BaseModel):
    signing_secret: str


class ActionTypeOut(BaseModel):
    type: str
    display_name: str
    description: str
    rule_fields: list[str]
    count: int
