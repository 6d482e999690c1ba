"""Two stateless nodes on one PostgreSQL and one Redis see each other's changes (issue 9)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest

from tests.nodes import Node, cluster_env
from tests.protocol.oidc.support import forms, pkce_pair
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
    status = _token_status(a, app)
    assert status == 200, a.log_tail()


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


class _Browser:
    """One cookie jar used against both nodes. Both nodes share the public issuer
    (http://127.0.0.1:8000, nobody listens there), so a redirect inside the issuer is followed
    by path on whichever node the test chooses, as a load balancer would."""

    ISSUER = "http://127.0.0.1:8000"

    def __init__(self) -> None:
        self.client = httpx.Client(timeout=30)

    def __enter__(self) -> _Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.close()

    def go(self, node: Node, resp: httpx.Response) -> httpx.Response:
        for _ in range(10):
            location = resp.headers.get("location", "")
            if resp.status_code not in (302, 303) or not location.startswith(self.ISSUER):
                return resp
            resp = self.client.get(node.url + location[len(self.ISSUER) :])
        raise AssertionError("redirect loop")

    def get(self, node: Node, path: str) -> httpx.Response:
        return self.go(node, self.client.get(node.url + path))

    def post(self, node: Node, path: str, data: dict[str, str]) -> httpx.Response:
        return self.go(node, self.client.post(node.url + path, data=data))


def _web_app(node: Node) -> dict[str, str]:
    resp = httpx.post(
        f"{node.url}/api/v1/orgs/root/applications",
        json={
            "name": "portal",
            "type": "web",
            "redirect_uris": ["https://rp.example.com/cb"],
            "skip_consent": True,
        },
        headers=ADMIN,
    )
    assert resp.status_code == 201, resp.text
    return resp.json()  # type: ignore[no-any-return]


def _authorize(app: dict[str, str], **extra: str) -> str:
    params = {
        "response_type": "code",
        "client_id": app["client_id"],
        "redirect_uri": "https://rp.example.com/cb",
        "scope": "openid",
        "state": "s",
        "code_challenge": pkce_pair()[1],
        "code_challenge_method": "S256",
        **extra,
    }
    return "/oauth2/authorize?" + urlencode(params)


def _form(page: httpx.Response) -> tuple[str, dict[str, str]]:
    found = forms(page.text)
    assert found, page.text
    return found[0]["action"], dict(found[0]["fields"])


def test_login_started_on_a_finishes_on_b_and_sso_and_logout_span_nodes(
    nodes: tuple[Node, Node],
) -> None:
    a, b = nodes
    user = httpx.post(
        f"{a.url}/api/v1/orgs/root/users",
        json={"username": "olga", "password": "olga-passw0rd-long"},
        headers=ADMIN,
    )
    assert user.status_code == 201, user.text
    app = _web_app(a)
    with _Browser() as browser:
        _login_across(a, b, browser, app)


def _login_across(a: Node, b: Node, browser: _Browser, app: dict[str, str]) -> None:
    page = browser.get(a, _authorize(app))  # the flow context is written by A...
    action, fields = _form(page)
    done = browser.post(  # ...and B reads it, checks the CSRF token and finishes the login
        b,
        action,
        {**fields, "username": "olga", "password": "olga-passw0rd-long", "action": "login"},
    )
    assert done.status_code in (302, 303), done.text
    assert done.headers["location"].startswith("https://rp.example.com/cb?code=")

    # The SSO session made on B is known to A: prompt=none succeeds there without a login.
    silent = browser.get(a, _authorize(app, prompt="none"))
    assert "code=" in silent.headers["location"], silent.headers
    # Signing out on B ends it for A too.
    confirm = browser.get(b, "/oauth2/logout")
    action, fields = _form(confirm)
    browser.post(b, action, {**fields, "decision": "logout"})
    after = browser.get(a, _authorize(app, prompt="none"))
    assert "error=login_required" in after.headers["location"], after.headers


def test_flow_changed_on_a_is_used_by_b(nodes: tuple[Node, Node]) -> None:
    a, b = nodes
    app = _web_app(a)
    with _Browser() as browser:
        first = browser.get(b, _authorize(app))  # B caches the (built-in) flow of the app
    assert 'name="password"' in first.text
    flow = (
        'flow "Who first"\nstart who\n\nidentify who\n  next secret\n\n'
        "step secret\n  options password\n  next done\n\nallow done\n"
    )
    resp = httpx.put(
        f"{a.url}/api/v1/orgs/root/flows/apps/{app['client_id']}",
        content=flow,
        headers={**ADMIN, "content-type": "text/plain"},
    )
    assert resp.status_code == 200, resp.text

    def b_asks_for_the_identifier_first() -> bool:
        with _Browser() as browser:
            page = browser.get(b, _authorize(app))
        return 'value="identify"' in page.text and 'name="password"' not in page.text

    assert _eventually(b_asks_for_the_identifier_first)


def test_lockout_counts_failures_on_every_node(nodes: tuple[Node, Node]) -> None:
    a, b = nodes
    user = httpx.post(
        f"{a.url}/api/v1/orgs/root/users",
        json={"username": "lena", "password": "lena-passw0rd-long"},
        headers=ADMIN,
    )
    assert user.status_code == 201, user.text
    app = _web_app(a)
    statuses = []
    with _Browser() as browser:
        page = browser.get(a, _authorize(app))
        for attempt in range(5):  # the default policy locks after 5 consecutive failures
            node = (a, b)[attempt % 2]
            action, fields = _form(page)
            page = browser.post(
                node, action, {**fields, "username": "lena", "password": "wrong", "action": "login"}
            )
            statuses.append(page.status_code)
        action, fields = _form(page)
        right = browser.post(
            a,
            action,
            {**fields, "username": "lena", "password": "lena-passw0rd-long", "action": "login"},
        )
    assert statuses == [401, 401, 401, 401, 429]
    assert right.status_code == 429 and "Too many failed attempts" in right.text
