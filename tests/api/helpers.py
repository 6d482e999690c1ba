"""Helpers for the management API tests: problem checks, database snapshots, sample data."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from identra.storage.models import Base
from tests.support import ADMIN, Harness

PROBLEM = "application/problem+json"


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def assert_problem(resp: httpx.Response, status: int) -> dict[str, Any]:
    assert resp.status_code == status, (resp.request.method, resp.request.url, resp.text)
    assert resp.headers["content-type"] == PROBLEM, resp.headers
    body: dict[str, Any] = resp.json()
    assert body["status"] == status
    assert body["title"]
    return body


def pointers(resp: httpx.Response) -> set[str]:
    return {e["pointer"] for e in resp.json().get("errors", [])}


async def db_snapshot(h: Harness) -> dict[str, list[str]]:
    """Every row of every table, as sorted text: equal snapshots mean nothing was written."""
    out: dict[str, list[str]] = {}
    async with h.services.sessions() as session:
        for table in Base.metadata.sorted_tables:
            rows = (await session.execute(select(table))).all()
            out[table.name] = sorted(repr(tuple(row)) for row in rows)
    return out


async def ok(resp: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert resp.status_code == status, (resp.request.method, resp.request.url, resp.text)
    return resp.json() if resp.content else {}


async def populate(h: Harness, org: str, headers: dict[str, str] | None = None) -> dict[str, str]:
    """One of every resource in ``org``; their ids, named like the routes' path parameters."""
    headers = headers or ADMIN
    c = h.client
    base = f"/api/v1/orgs/{org}"
    user = await ok(
        await c.post(
            f"{base}/users",
            json={
                "username": f"{org}-alice",
                "password": f"{org}-alice-password",
                "emails": [{"value": f"alice@{org}.example.com", "primary": True}],
            },
            headers=headers,
        ),
        201,
    )
    app = await ok(
        await c.post(
            f"{base}/applications",
            json={"name": f"{org}-app", "type": "m2m", "scopes": ["users:read"]},
            headers=headers,
        ),
        201,
    )
    store = await ok(
        await c.post(f"{base}/user-stores", json={"identifier": "SECONDARY"}, headers=headers),
        201,
    )
    group = await ok(
        await c.post(f"{base}/groups", json={"name": f"{org}-staff"}, headers=headers), 201
    )
    await ok(
        await c.put(
            f"{base}/groups/{group['id']}/members", json={"user_ids": [user["id"]]}, headers=headers
        ),
        204,
    )
    role = await ok(
        await c.post(
            f"{base}/roles",
            json={"name": f"{org}-auditor", "permissions": ["audit:read", "users:read"]},
            headers=headers,
        ),
        201,
    )
    assignment = await ok(
        await c.post(
            f"{base}/roles/{role['id']}/assignments",
            json={"group_id": group["id"]},
            headers=headers,
        ),
        201,
    )
    idp = await ok(
        await c.post(
            f"{base}/identity-providers",
            json={
                "name": f"{org}-google",
                "kind": "google",
                "config": {"client_id": f"{org}-client"},
                "client_secret": f"{org}-idp-secret",
            },
            headers=headers,
        ),
        201,
    )
    claim = await ok(
        await c.post(
            f"{base}/claims",
            json={
                "uri": f"http://identra.dev/claims/{org}/department",
                "display_name": "Department",
                "oidc_claim": "department",
            },
            headers=headers,
        ),
        201,
    )
    domain = await ok(
        await c.post(f"{base}/domains", json={"domain": f"{org}.example.com"}, headers=headers),
        201,
    )
    # Disabled: an enabled pre-issue action at an unreachable endpoint would refuse every
    # later token of the organization (fail closed).
    action = await ok(
        await c.post(
            f"{base}/actions",
            json={
                "name": f"{org}-hook",
                "type": "preIssueAccessToken",
                "endpoint": f"https://{org}.example.com/hook",
                "enabled": False,
            },
            headers=headers,
        ),
        201,
    )
    webhook = await ok(
        await c.post(
            f"{base}/webhooks", json={"url": f"https://{org}.example.com/events"}, headers=headers
        ),
        201,
    )
    return {
        "org": org,
        "action_id": action["id"],
        "webhook_id": webhook["id"],
        "user_id": user["id"],
        "app_id": app["id"],
        "client_id": app["client_id"],
        "store_id": store["id"],
        "group_id": group["id"],
        "role_id": role["id"],
        "assignment_id": assignment["id"],
        "idp_id": idp["id"],
        "claim_id": claim["id"],
        "domain_id": domain["id"],
    }
