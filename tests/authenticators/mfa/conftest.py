from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from identra.authenticators.interface import AuthContext, AuthenticatorDeps
from identra.clock import FrozenClock
from identra.storage.models import AuditEvent
from identra.storage.models.users import Credential
from identra.storage.repositories import orgs
from tests.protocol.oidc.support import create_user
from tests.support import Harness, harness

START = datetime(2031, 3, 14, 15, 9, 26, tzinfo=UTC)


@dataclass
class Env:
    h: Harness
    clock: FrozenClock
    org_id: str
    user_id: str
    deps: AuthenticatorDeps
    flow_id: str = field(default_factory=lambda: secrets.token_urlsafe(12))
    scratch: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def issuer(self) -> str:
        return str(self.h.settings.issuer)

    def ctx(
        self,
        option: str,
        *,
        user_id: str | bool | None = True,
        org_id: str | None = None,
        issuer: str | None = None,
    ) -> AuthContext:
        """A context as the engine would build it; the option's scratch persists across calls
        within this flow like the engine's flow context does."""
        uid = self.user_id if user_id is True else (None if user_id is False else user_id)
        return AuthContext(
            org_id=org_id or self.org_id,
            flow_id=self.flow_id,
            option=option,
            issuer=issuer or self.issuer,
            client_id="app",
            client_name="Test app",
            now=self.clock.timestamp(),
            ip="192.0.2.7",
            user_id=uid,
            username="alice" if uid == self.user_id else None,
            identified=uid is not None,
            scratch=self.scratch.setdefault(option, {}),
        )

    async def user(self, username: str, org: str = "root", **kw: Any) -> str:
        return await create_user(self.h.services.sessions, org, username, **kw)

    async def credentials(self, kind: str, user_id: str | None = None) -> list[Credential]:
        async with self.h.services.sessions() as session:
            rows = await session.scalars(
                select(Credential).where(
                    Credential.kind == kind, Credential.user_id == (user_id or self.user_id)
                )
            )
            return list(rows)

    async def audit(self, action: str) -> list[AuditEvent]:
        async with self.h.services.sessions() as session:
            rows = await session.scalars(select(AuditEvent).where(AuditEvent.action == action))
            return list(rows)


@pytest.fixture
async def env(tmp_path: Path) -> AsyncIterator[Env]:
    clock = FrozenClock(START)
    async with harness(tmp_path, clock=clock) as h:
        async with h.services.sessions() as session:
            org = await orgs.by_handle(session, "root")
            assert org is not None
            org_id = org.id
        user_id = await create_user(h.services.sessions, "root", "alice")
        yield Env(h, clock, org_id, user_id, AuthenticatorDeps(h.services))
