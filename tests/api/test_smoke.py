"""The platform's main path: admin creates an M2M app whose token reads users."""

from __future__ import annotations

from tests.support import ADMIN, Harness


async def test_health_and_readiness(h: Harness) -> None:
    assert (await h.client.get("/healthz")).json() == {"status": "ok"}
    ready = await h.client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "cache": "ok"}


async def test_m2m_token_reads_users(h: Harness) -> None:
    created = await h.client.post(
        "/api/v1/orgs/root/users",
        json={
            "username": "alice",
            "password": "s3cret-passw0rd",
            "emails": [{"value": "alice@example.com", "primary": True}],
        },
        headers=ADMIN,
    )
    assert created.status_code == 201, created.text
    assert "s3cret" not in created.text and "$argon2" not in created.text
    token = await h.m2m_token("root", ["users:read"])
    listing = await h.client.get(
        "/api/v1/orgs/root/users", headers={"authorization": f"Bearer {token}"}
    )
    assert listing.status_code == 200
    assert {u["username"] for u in listing.json()["items"]} == {"admin", "alice"}
    # users:read does not allow writing.
    denied = await h.client.post(
        "/api/v1/orgs/root/users",
        json={"username": "bob"},
        headers={"authorization": f"Bearer {token}"},
    )
    assert denied.status_code == 403
    assert denied.headers["content-type"] == "application/problem+json"


async def test_no_credentials_is_401(h: Harness) -> None:
    resp = await h.client.get("/api/v1/orgs/root/users")
    assert resp.status_code == 401
    assert resp.json()["status"] == 401


async def test_other_org_token_sees_404(h: Harness) -> None:
    await h.create_org("acme")
    await h.create_org("globex")
    token = await h.m2m_token("acme", ["users:read", "users:write"])
    bearer = {"authorization": f"Bearer {token}"}
    assert (await h.client.get("/api/v1/orgs/acme/users", headers=bearer)).status_code == 200
    assert (await h.client.get("/api/v1/orgs/globex/users", headers=bearer)).status_code == 404
    assert (await h.client.get("/api/v1/orgs/root/users", headers=bearer)).status_code == 404
