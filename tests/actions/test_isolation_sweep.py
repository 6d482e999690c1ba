"""The tenant-isolation sweep of tests/api/test_isolation.py, run with the actions and webhooks
routes mounted and one action and webhook per organization: every route of theirs answers 404
for another organization's caller and changes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api import test_isolation as sweep
from tests.api.helpers import ok
from tests.api.helpers import populate as populate_base
from tests.support import ADMIN, Harness


async def populate(h: Harness, org: str, headers: dict[str, str] | None = None) -> dict[str, str]:
    """``tests.api.helpers.populate`` plus an action and a webhook."""
    ids = await populate_base(h, org, headers)
    headers = headers or ADMIN
    base = f"/api/v1/orgs/{org}"
    action: dict[str, Any] = await ok(
        await h.client.post(
            f"{base}/actions",
            json={
                "name": f"{org}-hook",
                "type": "preIssueAccessToken",
                "endpoint": f"https://{org}.example.com/hook",
                "authentication": {"type": "bearer", "token": f"{org}-token"},
                # Off: an enabled pre-issue action at an unreachable endpoint would (rightly)
                # refuse every later token of the organization.
                "enabled": False,
            },
            headers=headers,
        ),
        201,
    )
    webhook: dict[str, Any] = await ok(
        await h.client.post(
            f"{base}/webhooks", json={"url": f"https://{org}.example.com/events"}, headers=headers
        ),
        201,
    )
    return {**ids, "action_id": action["id"], "webhook_id": webhook["id"]}


async def test_the_sweep_covers_actions_and_webhooks(
    h: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sweep, "populate", populate)
    spec = (await h.client.get("/api/openapi.json")).json()
    ours = [p for p in spec["paths"] if "/actions" in p or "/webhooks" in p]
    assert len(ours) >= 7, ours
    await sweep.test_an_org_admin_cannot_reach_a_sibling_org(h)


async def test_a_parent_reaches_its_childs_actions(
    h: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sweep, "populate", populate)
    await sweep.test_a_parent_org_admin_reaches_its_child(h)
