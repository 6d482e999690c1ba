"""Driving the out-of-band options through their interface against a real database, a real
SMTP server (tests/mailserver.py) and the local SMS gateway (tests/smsgateway.py)."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from identra.authenticators.interface import AuthContext, AuthenticatorDeps
from identra.clock import FrozenClock
from identra.notify import build_senders
from identra.storage.models import User
from identra.storage.models.users import UserEmail, UserPhone
from identra.storage.repositories import orgs
from tests.mailserver import MailServer
from tests.protocol.oidc.support import create_user
from tests.smsgateway import SmsGateway
from tests.support import Harness, harness

START = datetime(2031, 3, 14, 15, 9, 26, tzinfo=UTC)
PHONE = "+15551234567"  # what tests.protocol.oidc.support.create_user gives every user


@pytest.fixture(scope="session")
def mail() -> Iterator[MailServer]:
    with MailServer() as server:
        yield server


@pytest.fixture(scope="session")
def sms() -> Iterator[SmsGateway]:
    with SmsGateway() as gateway:
        yield gateway


@dataclass
class Env:
    h: Harness
    clock: FrozenClock
    org_id: str
    user_id: str
    mail: MailServer
    sms: SmsGateway
    flow_id: str = field(default_factory=lambda: secrets.token_urlsafe(12))
    scratch: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def deps(self) -> AuthenticatorDeps:
        return AuthenticatorDeps(self.h.services, build_senders(self.h.settings))

    def new_flow(self) -> None:
        self.flow_id = secrets.token_urlsafe(12)
        self.scratch = {}

    def ctx(
        self,
        option: str,
        *,
        user_id: str | bool | None = True,
        username: str | None = None,
        identified: bool = False,
    ) -> AuthContext:
        """As the engine builds it; ``user_id=True``: alice, authenticated by an earlier step
        (a password step: ``identified`` stays False)."""
        uid = self.user_id if user_id is True else (None if user_id is False else user_id)
        extra: dict[str, Any] = {}
        if "passed" in {f.name for f in fields(AuthContext)}:
            # Engines that tell which steps passed: a password step did, unless identifying.
            extra["passed"] = ("password",) if uid is not None and not identified else ()
        return AuthContext(
            org_id=self.org_id,
            flow_id=self.flow_id,
            option=option,
            issuer=str(self.h.settings.issuer),
            client_id="app",
            client_name="Test <App>",
            now=self.clock.timestamp(),
            ip="192.0.2.7",
            user_id=uid,
            username=username,
            identified=identified,
            scratch=self.scratch.setdefault(option, {}),
            **extra,
        )

    async def user(self, username: str, **kw: Any) -> str:
        return await create_user(self.h.services.sessions, "root", username, **kw)

    async def set_email_verified(self, user_id: str, verified: bool) -> None:
        async with self.h.services.sessions.begin() as session:
            await session.execute(
                update(UserEmail).where(UserEmail.user_id == user_id).values(verified=verified)
            )

    async def set_phone(self, user_id: str, value: str) -> None:
        async with self.h.services.sessions.begin() as session:
            await session.execute(
                update(UserPhone).where(UserPhone.user_id == user_id).values(value=value)
            )

    async def set_status(self, user_id: str, status: str) -> None:
        async with self.h.services.sessions.begin() as session:
            await session.execute(update(User).where(User.id == user_id).values(status=status))


@pytest.fixture
async def env(tmp_path: Path, mail: MailServer, sms: SmsGateway) -> AsyncIterator[Env]:
    clock = FrozenClock(START)
    mail.clear()
    sms.clear()
    async with harness(tmp_path, clock, smtp=mail.smtp_settings(), sms=sms.sms_settings()) as h:
        async with h.services.sessions() as session:
            org = await orgs.by_handle(session, "root")
            assert org is not None
        user_id = await create_user(h.services.sessions, "root", "alice")
        yield Env(h, clock, org.id, user_id, mail, sms)
