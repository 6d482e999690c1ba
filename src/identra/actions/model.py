"""What an action is: its type, how Identra authenticates to it, its rule and failure policy.

Action types use the path segments of WSO2 IS 7.1's actions API (``preIssueAccessToken``...);
the request payload names them as WSO2 does (``actionType: PRE_ISSUE_ACCESS_TOKEN``), so that
services written for WSO2 recognise the calls.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from identra.actions.rules import Rule

PRE_ISSUE_ACCESS_TOKEN = "preIssueAccessToken"
PRE_UPDATE_PASSWORD = "preUpdatePassword"
PRE_UPDATE_PROFILE = "preUpdateProfile"
PRE_REGISTRATION = "preRegistration"
AUTHENTICATION = "authentication"


@dataclass(frozen=True)
class TypeSpec:
    name: str
    payload_name: str  # ``actionType`` in the request
    display_name: str
    description: str
    rule_fields: tuple[str, ...]
    # The response statuses a service may answer with.
    statuses: tuple[str, ...] = ("SUCCESS", "FAILED", "ERROR")


TYPES: dict[str, TypeSpec] = {
    spec.name: spec
    for spec in (
        TypeSpec(
            PRE_ISSUE_ACCESS_TOKEN,
            "PRE_ISSUE_ACCESS_TOKEN",
            "Pre-issue access token",
            "Add, replace or remove access token claims, scopes, audiences and lifetime, or "
            "refuse the token.",
            ("application", "grantType", "organization", "scope", "userStore"),
        ),
        TypeSpec(
            PRE_UPDATE_PASSWORD,
            "PRE_UPDATE_PASSWORD",
            "Pre-update password",
            "Allow or reject a new password with a reason (a breached-password check...).",
            ("flow", "organization", "userStore"),
        ),
        TypeSpec(
            PRE_UPDATE_PROFILE,
            "PRE_UPDATE_PROFILE",
            "Pre-update profile",
            "Allow or reject a change to a user's profile attributes.",
            ("flow", "claim", "organization", "userStore"),
        ),
        TypeSpec(
            PRE_REGISTRATION,
            "PRE_REGISTRATION",
            "Pre-registration",
            "Validate a self-registration, or enrich the new user's attributes.",
            ("organization", "userStore"),
        ),
        TypeSpec(
            AUTHENTICATION,
            "AUTHENTICATION",
            "Authentication",
            "A custom authenticator placed in a login flow as the option action:<name>; the "
            "service succeeds, fails, or redirects the user to itself and back.",
            ("application", "organization"),
            ("SUCCESS", "FAILED", "ERROR", "INCOMPLETE"),
        ),
    )
}

AUTH_TYPES = ("none", "basic", "bearer", "api_key")
FAIL_CLOSED = "fail_closed"
FAIL_OPEN = "fail_open"
POLICIES = (FAIL_CLOSED, FAIL_OPEN)
MIN_TIMEOUT_MS = 100
MAX_TIMEOUT_MS = 10_000
DEFAULT_TIMEOUT_MS = 2000
MAX_PER_TYPE = 10  # actions of one type in one organization; they run in creation order


@dataclass(frozen=True)
class OrgInfo:
    id: str
    handle: str
    name: str
    depth: int
    # Ancestor ids, root first (the organization itself excluded).
    ancestors: tuple[str, ...] = ()


@dataclass(frozen=True)
class ActionSpec:
    """An enabled action as the runtime caches it (secrets still encrypted)."""

    id: str
    org_id: str
    name: str
    type: str
    endpoint: str
    auth_type: str
    auth_encrypted: str | None = field(repr=False)
    timeout_ms: int
    failure_policy: str
    rule: Rule
    signing_secret_encrypted: str | None = field(repr=False)
    config: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def fails_open(self) -> bool:
        return self.failure_policy == FAIL_OPEN


def auth_context(action_id: str) -> str:
    return f"action-auth:{action_id}"


def signing_context(action_id: str) -> str:
    return f"action-signing:{action_id}"
