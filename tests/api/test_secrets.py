"""Secrets are write-only: never in a later response, in the audit log, or in any log line."""

from __future__ import annotations

import logging
import re

import pytest
from sqlalchemy import select

from identra.storage.models import Application, IdentityProvider, User
from tests.api.helpers import bearer, ok
from tests.api.test_isolation import PARAM, org_routes
from tests.support import ADMIN, ADMIN_PASSWORD, Harness, basic

ROOT = "/api/v1/orgs/root"


async def test_no_secret_leaks(h: Harness, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    # SQLAlchemy pins its own loggers at WARNING: open them too, for statements, parameters
    # and result rows on both backends (aiosqlite's own DEBUG lines are SQLite-only).
    caplog.set_level(logging.DEBUG, logger="sqlalchemy")
    c = h.client
    secrets: dict[str, str] = {"bootstrap password": ADMIN_PASSWORD}

    # Users with passwords, set at creation and changed later.
    secrets["password"] = "Create-Time-Passw0rd!"
    user = await ok(
        await c.post(
            f"{ROOT}/users",
            json={"username": "alice", "password": secrets["password"]},
            headers=ADMIN,
        ),
        201,
    )
    secrets["new password"] = "Changed-Later-Passw0rd!"
    await ok(
        await c.patch(
            f"{ROOT}/users/{user['id']}", json={"password": secrets["new password"]}, headers=ADMIN
        )
    )
    # Applications: the secret is shown once, at creation or regeneration, and never again.
    app = await ok(
        await c.post(
            f"{ROOT}/applications",
            json={"name": "svc", "type": "m2m", "scopes": ["users:read"]},
            headers=ADMIN,
        ),
        201,
    )
    secrets["client secret"] = app["client_secret"]
    regenerated = await ok(await c.post(f"{ROOT}/applications/{app['id']}/secret", headers=ADMIN))
    secrets["regenerated client secret"] = regenerated["client_secret"]
    # Identity providers: write-only client secrets.
    secrets["idp secret"] = "upstream-idp-secret-1111"
    idp = await ok(
        await c.post(
            f"{ROOT}/identity-providers",
            json={
                "name": "corp",
                "kind": "oidc",
                "config": {"client_id": "identra", "issuer": "https://sso.example.com"},
                "client_secret": secrets["idp secret"],
            },
            headers=ADMIN,
        ),
        201,
    )
    assert idp["has_client_secret"] is True
    secrets["new idp secret"] = "upstream-idp-secret-2222"
    await ok(
        await c.patch(
            f"{ROOT}/identity-providers/{idp['id']}",
            json={"client_secret": secrets["new idp secret"]},
            headers=ADMIN,
        )
    )
    # The secrets work: the regenerated client secret gets a token, the password verifies.
    token = await c.post(
        "/oauth2/token",
        data={"grant_type": "client_credentials"},
        auth=(app["client_id"], secrets["regenerated client secret"]),
    )
    assert token.status_code == 200, token.text
    secrets["access token"] = token.json()["access_token"]
    await ok(await c.get(f"{ROOT}/users", headers=bearer(secrets["access token"])))
    # alice has no management permission: 403 (not 401) shows the new password verified.
    assert (
        await c.get(f"{ROOT}/users", headers=basic("alice", secrets["new password"]))
    ).status_code == 403
    assert (
        await c.get(f"{ROOT}/users", headers=basic("alice", secrets["password"]))
    ).status_code == 401

    # What is stored instead of the secrets must not leak either.
    async with h.services.sessions() as session:
        row = await session.scalar(select(User).where(User.id == user["id"]))
        assert row is not None and row.password_hash
        stored = {"password hash": row.password_hash}
        app_row = await session.scalar(select(Application).where(Application.id == app["id"]))
        assert app_row is not None and app_row.client_secret_digest
        stored["client secret digest"] = app_row.client_secret_digest
        idp_row = await session.get(IdentityProvider, idp["id"])
        assert idp_row is not None and idp_row.secret_encrypted
        stored["encrypted idp secret"] = idp_row.secret_encrypted

    # Every GET of the organization's routes, with real ids, and every audit event.
    ids = {
        "org": "root",
        "user_id": user["id"],
        "app_id": app["id"],
        "idp_id": idp["id"],
    }
    seen: list[str] = []
    spec = (await c.get("/api/openapi.json")).json()
    for method, path, _ in org_routes(spec):
        if method != "get":
            continue
        names = set(PARAM.findall(path))
        if not names <= set(ids):
            # An item route for a resource this test does not create: read its list instead.
            continue
        url = PARAM.sub(lambda m: ids[m.group(1)], path)
        resp = await c.get(url, headers=ADMIN, params={"limit": 200})
        assert resp.status_code == 200, (url, resp.text)
        seen.append(resp.text)
    seen.append((await c.get("/api/v1/orgs", headers=ADMIN)).text)
    audit = (await ok(await c.get(f"{ROOT}/audit-events?limit=200", headers=ADMIN)))["items"]
    actions = {e["action"] for e in audit}
    assert {"user.create", "user.update", "application.secret.regenerate", "idp.update"} <= actions
    seen.append(repr(audit))
    text = "\n".join(seen)
    for name, value in {**secrets, **stored}.items():
        if name in ("access token",):
            continue
        assert value not in text, f"the {name} appears in an API response"
    assert "$argon2" not in text

    # Logs, at DEBUG, including SQL statements with their parameters.
    logged = "\n".join(
        [record.getMessage() for record in caplog.records]
        + [repr(getattr(record, "fields", "")) for record in caplog.records]
        + [caplog.text]
    )
    # Something was captured, SQL parameters included, or the test would prove nothing.
    assert "INSERT INTO users" in logged and "password_hash" in logged
    for name, value in secrets.items():
        assert value not in logged, f"the {name} appears in the logs"
    assert not re.search(r"Basic [A-Za-z0-9+/=]{8,}", logged)
