"""Two real nodes (``identra serve``) on one PostgreSQL and one Redis: an action created,
disabled or changed by a third process takes effect on every node at once, and a webhook
message is delivered once although both nodes run the delivery loop."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from identra.actions import webhooks
from identra.admin import actions as actions_admin
from identra.admin import webhooks as webhooks_admin
from identra.observability import audit
from identra.services import build_services
from identra.settings import Settings
from identra.storage.repositories import orgs
from tests.actions.service import Answer, ExtService
from tests.actions.support import claims_of
from tests.nodes import Node, cluster_env
from tests.support import ADMIN, PG_URL, REDIS_URL, make_settings

pytestmark = pytest.mark.skipif(
    not (PG_URL and REDIS_URL), reason="needs the PostgreSQL+Redis pass (shared state)"
)
ADD_V = Answer(
    200,
    {
        "actionStatus": "SUCCESS",
        "operations": [
            {"op": "add", "path": "/accessToken/claims/-", "value": {"name": "v", "value": 1}}
        ],
    },
)


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[tuple[Settings, Node, Node]]:
    settings = make_settings(tmp_path)
    env = cluster_env(settings)
    a = Node("a", env, tmp_path).start()
    b = Node("b", env, tmp_path).start()
    try:
        yield settings, a, b
    finally:
        a.stop()
        b.stop()


def _eventually(check: Any, timeout: float = 2.0) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        if check():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)


async def _write(settings: Settings, work: Any) -> Any:
    """A change made by a third process (like the CLI): Redis tells the nodes."""
    services = build_services(settings)
    try:
        async with services.sessions.begin() as session:
            root = await orgs.root(session)
            result = await work(session, root, services)
        await asyncio.sleep(0.2)  # let the after-commit notice go out
        return result
    finally:
        await services.close()


def _claims(node: Node, app: dict[str, str]) -> dict[str, Any]:
    resp = httpx.post(
        f"{node.url}/oauth2/token",
        data={"grant_type": "client_credentials"},
        auth=(app["client_id"], app["client_secret"]),
    )
    assert resp.status_code == 200, resp.text
    return claims_of(resp.json()["access_token"])


def test_an_action_change_reaches_every_node(cluster: tuple[Settings, Node, Node]) -> None:
    settings, a, b = cluster
    resp = httpx.post(
        f"{a.url}/api/v1/orgs/root/applications",
        json={"name": "svc", "type": "m2m", "scopes": ["x"]},
        headers=ADMIN,
    )
    app = resp.json()
    with ExtService(lambda _r: ADD_V) as svc:
        assert "v" not in _claims(a, app) and "v" not in _claims(b, app)  # both cache "none"

        async def create(session: Any, root: Any, services: Any) -> str:
            action, _ = await actions_admin.create(
                session,
                root,
                actions_admin.NewAction(name="v", type="preIssueAccessToken", endpoint=svc.url),
                audit.SYSTEM,
                services.box,
            )
            return str(action.id)

        action_id = asyncio.run(_write(settings, create))
        assert _eventually(lambda: _claims(a, app).get("v") == 1)
        assert _eventually(lambda: _claims(b, app).get("v") == 1)

        async def disable(session: Any, root: Any, services: Any) -> None:
            action = await actions_admin.get(session, root, action_id)
            await actions_admin.update(
                session, root, action, {"enabled": False}, audit.SYSTEM, services.box
            )

        asyncio.run(_write(settings, disable))
        assert _eventually(lambda: "v" not in _claims(a, app))
        assert _eventually(lambda: "v" not in _claims(b, app))


def test_a_webhook_message_is_delivered_once_by_two_nodes(
    cluster: tuple[Settings, Node, Node],
) -> None:
    settings, a, b = cluster
    with ExtService(lambda _r: Answer(200, {})) as receiver:

        async def create(session: Any, root: Any, services: Any) -> None:
            await webhooks_admin.create(
                session,
                root,
                webhooks_admin.NewWebhook(url=receiver.url, events=["user.created"]),
                audit.SYSTEM,
                services.box,
            )

        asyncio.run(_write(settings, create))
        for i, node in enumerate((a, b, a, b)):
            resp = httpx.post(
                f"{node.url}/api/v1/orgs/root/users", json={"username": f"u{i}"}, headers=ADMIN
            )
            assert resp.status_code == 201, resp.text

        # The nodes run the relay and delivery loop when the app starts them
        # (identra.actions.webhooks.schedule); a third process runs two rounds at once too.
        async def deliver() -> None:
            services = build_services(settings)
            try:
                await asyncio.gather(webhooks.tick(services), webhooks.tick(services))
                await webhooks.tick(services)
            finally:
                await services.close()

        deadline = time.monotonic() + 10
        while len(receiver.requests) < 4 and time.monotonic() < deadline:
            asyncio.run(deliver())
        time.sleep(1.5)
        ids = [r.headers["webhook-id"] for r in receiver.requests]
        assert len(ids) == 4 and len(set(ids)) == 4, ids
