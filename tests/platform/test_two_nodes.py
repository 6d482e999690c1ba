"""Two stateless nodes on one PostgreSQL and one Redis see each other's changes (issue 9)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.nodes import Node, cluster_env
from tests.support import ADMIN, PG_URL, REDIS_URL, make_settings

pytestmark = pytest.mark.skipif(
    not (PG_URL and REDIS_URL), reason="needs the PostgreSQL+Redis pass (shared state)"
)


@pytest.fixture
def nodes(tmp_path: Path) -> Iterator[tuple[Node, Node]]:
    settings = make_settings(tmp_path)
    env = cluster_env(settings)
    a = Node("a", env, tmp_path).start()
    b = Node("b", env, tmp_path).start()
    try:
        yield a, b
    finally:
        a.stop()
        b.stop()


def _eventually(check: object, timeout: float = 1.0) -> bool:
    """True once ``check()`` holds; the scale-out promise is 'within a second'."""
    deadline = time.monotonic() + timeout
    while True:
        if check():  # type: ignore[operator]
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)


def _m2m(node: Node, name: str) -> dict[str, str]:
    resp = httpx.post(
        f"{node.url}/api/v1/orgs/root/applications",
        json={"name": name, "type": "m2m", "scopes": ["users:read"]},
        headers=ADMIN,
    )
    assert resp.status_code == 201, resp.text
    return resp.json()  # type: ignore[no-any-return]


def _token_status(node: Node, app: dict[str, str]) -> int:
    resp = httpx.post(
        f"{node.url}/oauth2/token",
        data={"grant_type": "client_credentials"},
        auth=(app["client_id"], app["client_secret"]),
    )
    return resp.status_code


def test_application_change_on_a_is_seen_by_b(nodes: tuple[Node, Node]) -> None:
    a, b = nodes
    app = _m2m(a, "svc")
    assert _token_status(b, app) == 200  # B caches the client record now
    resp = httpx.patch(
        f"{a.url}/api/v1/orgs/root/applications/{app['id']}", json={"enabled": False}, headers=ADMIN
    )
    assert resp.status_code == 200
    assert _eventually(lambda: _token_status(b, app) == 401)


def test_token_from_a_is_accepted_by_b(nodes: tuple[Node, Node]) -> None:
    a, b = nodes
    app = _m2m(a, "reader")
    token = httpx.post(
        f"{a.url}/oauth2/token",
        data={"grant_type": "client_credentials"},
        auth=(app["client_id"], app["client_secret"]),
    ).json()["access_token"]
    users = httpx.get(
        f"{b.url}/api/v1/orgs/root/users", headers={"authorization": f"Bearer {token}"}
    )
    assert users.status_code == 200


def test_key_rotated_on_a_is_served_by_b(nodes: tuple[Node, Node]) -> None:
    a, b = nodes
    before = {k["kid"] for k in httpx.get(f"{b.url}/oauth2/jwks").json()["keys"]}
    resp = httpx.post(f"{a.url}/api/v1/orgs/root/keys/rotate", json={"alg": "RS256"}, headers=ADMIN)
    assert resp.status_code in (200, 201), resp.text

    def b_has_new_key() -> bool:
        kids = {k["kid"] for k in httpx.get(f"{b.url}/oauth2/jwks").json()["keys"]}
        return len(kids - before) == 1

    assert _eventually(b_has_new_key)


def test_killed_node_restarts_cleanly(nodes: tuple[Node, Node]) -> None:
    a, b = nodes
    app = _m2m(a, "svc")
    a.kill()
    assert _token_status(b, app) == 200  # the survivor keeps serving
    a.start()
    assert _token_status(a, app) == 200


def test_refresh_on_b_of_a_token_from_a_and_reuse_on_a_is_detected(
    nodes: tuple[Node, Node],
) -> None:
    a, b = nodes
    user = httpx.post(
        f"{a.url}/api/v1/orgs/root/users",
        json={"username": "nina", "password": "nina-passw0rd-long"},
        headers=ADMIN,
    )
    assert user.status_code == 201, user.text
    app = httpx.post(
        f"{a.url}/api/v1/orgs/root/applications",
        json={
            "name": "legacy",
            "type": "web",
            "redirect_uris": ["https://rp.example.com/cb"],
            "grant_types": ["authorization_code", "refresh_token", "password"],
        },
        headers=ADMIN,
    ).json()
    auth = (app["client_id"], app["client_secret"])
    first = httpx.post(
        f"{a.url}/oauth2/token",
        auth=auth,
        data={
            "grant_type": "password",
            "username": "nina",
            "password": "nina-passw0rd-long",
            "scope": "openid",
        },
    )
    assert first.status_code == 200, first.text
    old = first.json()["refresh_token"]
    rotated = httpx.post(
        f"{b.url}/oauth2/token",
        auth=auth,
        data={"grant_type": "refresh_token", "refresh_token": old},
    )
    assert rotated.status_code == 200, rotated.text  # B honours A's refresh token
    reuse = httpx.post(
        f"{a.url}/oauth2/token",
        auth=auth,
        data={"grant_type": "refresh_token", "refresh_token": old},
    )
    assert reuse.json()["error"] == "invalid_grant"  # A sees B's rotation: reuse detected
    fresh = rotated.json()["refresh_token"]
    after = httpx.post(
        f"{b.url}/oauth2/token",
        auth=auth,
        data={"grant_type": "refresh_token", "refresh_token": fresh},
    )
    assert after.json()["error"] == "invalid_grant"  # the reuse revoked the whole family
