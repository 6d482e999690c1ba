"""Fixtures of the interactive OAuth/OIDC tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio

from identra.clock import FrozenClock
from tests.protocol.oidc.support import Browser
from tests.support import Harness, harness
from tests.userstores.conftest import slapd  # noqa: F401 (the private OpenLDAP server fixture)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def mh(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Harness]:
    """One application for a whole test module (building one costs over a second here).

    Tests sharing it create their own users and applications and use their own ``browser``.
    """
    async with harness(tmp_path_factory.mktemp("oidc")) as value:
        yield value


@pytest_asyncio.fixture(loop_scope="module")
async def browser(mh: Harness) -> AsyncIterator[Browser]:
    """A browser of its own (empty cookie jar) on the module's application."""
    transport = httpx.ASGITransport(app=mh.app)
    async with httpx.AsyncClient(transport=transport, base_url=mh.settings.issuer) as client:
        yield Browser(client, mh.settings.issuer)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def clock() -> FrozenClock:
    return FrozenClock()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def ch(
    tmp_path_factory: pytest.TempPathFactory, clock: FrozenClock
) -> AsyncIterator[Harness]:
    """Like ``mh``, with a :class:`FrozenClock` the tests move forward."""
    async with harness(tmp_path_factory.mktemp("oidc-clock"), clock=clock) as value:
        yield value


@pytest_asyncio.fixture(loop_scope="module")
async def cbrowser(ch: Harness) -> AsyncIterator[Browser]:
    transport = httpx.ASGITransport(app=ch.app)
    async with httpx.AsyncClient(transport=transport, base_url=ch.settings.issuer) as client:
        yield Browser(client, ch.settings.issuer)
