"""What the flow engine needs from the rest of the server, as small interfaces.

Implemented over SQL in ``identra.storage.repositories.flows`` / ``flow_directory`` and over
the SSO session manager in ``identra.web.login.runtime``; the engine itself stays free of
storage and protocol code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from identra.flows.document import FlowDocument


@dataclass(frozen=True)
class StoredFlow:
    """One revision of a flow. ``ref`` identifies it for good (flow contexts pin it)."""

    ref: str
    revision: int
    document: FlowDocument


class FlowSource(Protocol):
    async def active(self, org_id: str, client_id: str) -> StoredFlow:
        """The application's flow, else the organization's default, else the built-in one."""
        ...

    async def by_ref(self, ref: str) -> StoredFlow | None: ...


@dataclass(frozen=True)
class UserFacts:
    """What conditions may ask about a user."""

    user_id: str
    username: str
    status: str
    store: str  # the user store's name (PRIMARY, CORP-LDAP...)
    roles: frozenset[str] = frozenset()
    groups: frozenset[str] = frozenset()
    claims: Mapping[str, Any] = field(default_factory=dict)
    enrolled: frozenset[str] = frozenset()  # credential kinds: totp, passkey, backup_codes, ...


class Directory(Protocol):
    async def find(self, org_id: str, username: str) -> str | None:
        """The id of the user with this username (user stores in order), if any."""
        ...

    async def facts(self, org_id: str, user_id: str) -> UserFacts | None: ...

    async def lock(self, org_id: str, user_id: str, until: int | None, reason: str) -> None:
        """Lock the account until ``until`` (epoch seconds), or until an admin unlocks it."""
        ...


@dataclass(frozen=True)
class ActiveSession:
    id: str
    created_at: int
    ip: str | None = None
    user_agent: str | None = None


class SessionControl(Protocol):
    async def active(self, org_id: str, user_id: str, now: int) -> list[ActiveSession]: ...

    async def end(self, org_id: str, user_id: str, session_id: str, now: int) -> bool:
        """End one of the user's sessions (with back-channel logout); False if not theirs."""
        ...


class StepAudit(Protocol):
    async def step(
        self,
        org_id: str,
        user_id: str | None,
        ip: str | None,
        outcome: str,
        details: dict[str, Any],
    ) -> None:
        """Record one step outcome (``login.step`` audit event)."""
        ...
