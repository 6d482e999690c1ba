"""Helpers of the action tests: mounting the management routes, creating actions over the
API, decoding tokens and reading the action audit records."""

from __future__ import annotations

import base64
import json
from typing import Any

from sqlalchemy import select

from identra.storage.models import AuditEvent
from tests.support import ADMIN, Harness


def mount(app: Any) -> None:
    """Nothing to do: ``create_app`` mounts the actions and webhooks routes (kept so that
    tests written before that keep their shape)."""
    from identra.management import api
    from identra.management.routers import actions as actions_router
    from identra.management.routers import webhooks as webhooks_router

    assert actions_router.router in api.ROUTERS and webhooks_router.router in api.ROUTERS
    del app


async def create_action(h: Harness, org: str = "root", **body: Any) -> dict[str, Any]:
    body.setdefault("name", "hook")
    body.setdefault("type", "preIssueAccessToken")
    resp = await h.client.post(f"/api/v1/orgs/{org}/actions", json=body, headers=ADMIN)
    assert resp.status_code == 201, resp.text
    result: dict[str, Any] = resp.json()
    return result


def claims_of(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    data: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return data


async def action_audits(h: Harness, action_id: str | None = None) -> list[AuditEvent]:
    async with h.services.sessions() as session:
        query = select(AuditEvent).where(AuditEvent.action == "action.call")
        if action_id is not None:
            query = query.where(AuditEvent.target_id == action_id)
        return list(await session.scalars(query.order_by(AuditEvent.seq)))
