"""A downstream Identra (ASGI, the one under test) and an upstream Identra on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import pytest_asyncio

from tests.authenticators.federation.support import Broken, Upstream
from tests.support import ADMIN, Harness, LiveServer, harness


@pytest.fixture(scope="package")
def upstream_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with LiveServer(tmp_path_factory.mktemp("upstream")) as server:
        yield server


@pytest_asyncio.fixture(scope="package", loop_scope="package")
async def h(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Harness]:
    async with harness(tmp_path_factory.mktemp("downstream")) as value:
        yield value


@pytest_asyncio.fixture(scope="package", loop_scope="package")
async def up(upstream_server: LiveServer, h: Harness) -> Upstream:
    """A confidential web application at the upstream whose redirect URI is the downstream's
    fixed federation return URL."""
    async with httpx.AsyncClient(base_url=upstream_server.base_url, timeout=30) as http:
        resp = await http.post(
            "/api/v1/orgs/root/applications",
            json={
                "name": "downstream-identra",
                "type": "web",
                "redirect_uris": [f"{h.settings.issuer}/login/return"],
                "scopes": ["openid", "email", "profile"],
            },
            headers=ADMIN,
        )
    assert resp.status_code == 201, resp.text
    body = resp.json()
    return Upstream(upstream_server.base_url, body["client_id"], body["client_secret"])


@pytest.fixture(scope="package")
def broken() -> Iterator[Broken]:
    with Broken() as server:
        yield server
