"""Fixtures of the self-service tests: one application per module with a frozen clock and a
local SMTP server; every test uses its own organization and its own browsers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio

from identra.clock import FrozenClock
from tests.mailserver import MailServer
from tests.selfservice.support import mount
from tests.support import Harness, harness


@pytest.fixture(scope="module")
def mail() -> Iterator[MailServer]:
    with MailServer() as server:
        yield server


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def clock() -> FrozenClock:
    return FrozenClock()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def h(
    tmp_path_factory: pytest.TempPathFactory, clock: FrozenClock, mail: MailServer
) -> AsyncIterator[Harness]:
    async with harness(
        tmp_path_factory.mktemp("selfservice"), clock=clock, smtp=mail.smtp_settings()
    ) as value:
        mount(value.app)
        yield value
