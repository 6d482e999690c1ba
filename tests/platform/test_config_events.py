"""Configuration changes take effect at once: cached client records and tenants are dropped."""

from __future__ import annotations

import asyncio

from tests.support import ADMIN, Harness


async def _token(h: Harness, client_id: str, secret: str, org: str = "") -> int:
    prefix = f"/o/{org}" if org else ""
    resp = await h.client.post(
        f"{prefix}/oauth2/token",
        data={"grant_type": "client_credentials"},
        auth=(client_id, secret),
    )
    return resp.status_code


async def test_disabling_an_app_stops_its_tokens_at_once(h: Harness) -> None:
    created = (
        await h.client.post(
            "/api/v1/orgs/root/applications", json={"name": "svc", "type": "m2m"}, headers=ADMIN
        )
    ).json()
    assert await _token(h, created["client_id"], created["client_secret"]) == 200
    patched = await h.client.patch(
        f"/api/v1/orgs/root/applications/{created['id']}", json={"enabled": False}, headers=ADMIN
    )
    assert patched.status_code == 200
    await asyncio.sleep(0.05)  # the invalidation runs as a task right after the commit
    assert await _token(h, created["client_id"], created["client_secret"]) == 401


async def test_regenerated_secret_replaces_the_old_one_at_once(h: Harness) -> None:
    created = (
        await h.client.post(
            "/api/v1/orgs/root/applications", json={"name": "svc", "type": "m2m"}, headers=ADMIN
        )
    ).json()
    assert await _token(h, created["client_id"], created["client_secret"]) == 200
    fresh = await h.client.post(
        f"/api/v1/orgs/root/applications/{created['id']}/secret", headers=ADMIN
    )
    assert fresh.status_code == 200
    await asyncio.sleep(0.05)
    assert await _token(h, created["client_id"], created["client_secret"]) == 401
    assert await _token(h, created["client_id"], fresh.json()["client_secret"]) == 200


async def test_disabled_org_stops_answering_at_its_issuer(h: Harness) -> None:
    await h.create_org("acme")
    meta = await h.client.get("/o/acme/.well-known/oauth-authorization-server")
    assert meta.status_code == 200
    assert meta.json()["issuer"].endswith("/o/acme")
    resp = await h.client.patch("/api/v1/orgs/acme", json={"status": "disabled"}, headers=ADMIN)
    assert resp.status_code == 200
    await asyncio.sleep(0.05)
    assert (await h.client.get("/o/acme/.well-known/oauth-authorization-server")).status_code == 404
