"""Management permissions. A role lists them; a token carries them as scopes."""

from __future__ import annotations

RESOURCES = (
    "orgs",
    "userstores",
    "users",
    "groups",
    "roles",
    "apps",
    "idps",
    "claims",
    "audit",
    "keys",
    "flows",
    "actions",
)

ALL = tuple(f"{resource}:{mode}" for resource in RESOURCES for mode in ("read", "write"))
ADMINISTRATOR_ROLE = "administrator"


def read(resource: str) -> str:
    return f"{resource}:read"


def write(resource: str) -> str:
    return f"{resource}:write"
