"""The token endpoint's limits hold across nodes: both count in the one Redis (issue 9)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from identra.protocols.oauth2.throttle import (
    AUTH_FAILURE_WINDOW,
    AUTH_FAILURES_PER_WINDOW,
    CLIENT_WINDOW,
)
from tests.nodes import Node, cluster_env
from tests.support import ADMIN, PG_URL, REDIS_URL, make_settings

pytestmark = pytest.mark.skipif(
    not (PG_URL and REDIS_URL), reason="needs the PostgreSQL+Redis pass (shared state)"
)


@pytest.fixture
def nodes(tmp_path: Path) -> Iterator[tuple[Node, Node]]:
    env = cluster_env(make_settings(tmp_path))
    a = Node("a", env, tmp_path).start()
    b = Node("b", env, tmp_path).start()
    try:
        yield a, b
    finally:
        a.stop()
        b.stop()


def _fresh_window(size: int, needed: float = 10.0) -> None:
    """Wait for the next window when this one has less than ``needed`` seconds left."""
    left = size - time.time() % size
    if left < needed:
        time.sleep(left + 0.1)


def _m2m(node: Node, name: str, **extra: Any) -> dict[str, Any]:
    resp = httpx.post(
        f"{node.url}/api/v1/orgs/root/applications",
        json={"name": name, "type": "m2m", "scopes": ["users:read"], **extra},
        headers=ADMIN,
    )
    assert resp.status_code == 201, resp.text
    return resp.json()  # type: ignore[no-any-return]


def _token(node: Node, client_id: str, secret: str) -> int:
    return httpx.post(
        f"{node.url}/oauth2/token",
        data={"grant_type": "client_credentials"},
        auth=(client_id, secret),
    ).status_code


def test_a_clients_rate_is_shared_by_the_nodes(nodes: tuple[Node, Node]) -> None:
    a, b = nodes
    app = _m2m(a, "metered", token_rate_limit=4)
    _fresh_window(CLIENT_WINDOW)
    statuses = [_token(n, app["client_id"], app["client_secret"]) for n in (a, b, a, b, a, b)]
    assert statuses == [200, 200, 200, 200, 429, 429]


def test_failed_client_authentication_counts_on_every_node(nodes: tuple[Node, Node]) -> None:
    a, b = nodes
    app = _m2m(a, "guarded")
    _fresh_window(AUTH_FAILURE_WINDOW)
    for i in range(AUTH_FAILURES_PER_WINDOW):
        assert _token(a if i % 2 else b, app["client_id"], "wrong") == 401
    assert _token(a, app["client_id"], app["client_secret"]) == 429
    assert _token(b, app["client_id"], app["client_secret"]) == 429
