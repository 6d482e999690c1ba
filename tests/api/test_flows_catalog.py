"""``GET /api/v1/orgs/{org}/flows/catalog``: what the flow designer's palette offers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from identra.web.login.runtime import for_app
from tests.actions.support import create_action
from tests.api.helpers import assert_problem, bearer, ok
from tests.support import ADMIN, Harness, harness

BASE = "/api/v1/orgs/root/flows"


@pytest.fixture
async def h(tmp_path: Path) -> AsyncIterator[Harness]:
    async with harness(tmp_path) as h:
        yield h


async def _post(h: Harness, path: str, body: dict[str, Any], org: str = "root") -> dict[str, Any]:
    return await ok(await h.client.post(f"/api/v1/orgs/{org}{path}", json=body, headers=ADMIN), 201)


async def test_the_catalog_lists_options_and_what_conditions_name(h: Harness) -> None:
    await _post(
        h,
        "/identity-providers",
        {"name": "google", "kind": "google", "config": {"client_id": "c"}, "client_secret": "s"},
    )
    await _post(
        h,
        "/identity-providers",
        {
            "name": "corp",
            "kind": "oidc",
            "enabled": False,
            "config": {"client_id": "c", "issuer": "https://corp.example"},
            "client_secret": "s",
        },
    )
    await create_action(
        h,
        name="pin",
        type="authentication",
        endpoint="https://pin.example/a",
        config={"label": "Use a PIN"},
    )
    await create_action(
        h,
        name="approve",
        type="authentication",
        endpoint="https://pin.example/b",
        config={"mode": "second_factor"},
    )
    await create_action(
        h, name="off", type="authentication", endpoint="https://pin.example/c", enabled=False
    )
    await create_action(
        h, name="hook", type="preIssueAccessToken", endpoint="https://pin.example/d", enabled=False
    )
    await _post(h, "/roles", {"name": "manager", "permissions": ["users:read"]})
    await _post(h, "/groups", {"name": "staff"})
    app = await _post(
        h,
        "/applications",
        {"name": "portal", "type": "web", "redirect_uris": ["https://portal.example/cb"]},
    )

    body = await ok(await h.client.get(f"{BASE}/catalog", headers=ADMIN))

    by_option = {o["option"]: o for o in body["options"]}
    assert by_option["password"] == {
        "option": "password",
        "label": "Password",
        "first_factor": True,
        "kind": "authenticator",
    }
    assert by_option["totp"]["first_factor"] is False
    assert by_option["idp:google"] == {
        "option": "idp:google",
        "label": "Google",
        "first_factor": True,
        "kind": "idp",
    }
    assert by_option["action:pin"] == {
        "option": "action:pin",
        "label": "Use a PIN",
        "first_factor": True,
        "kind": "action",
    }
    assert by_option["action:approve"]["first_factor"] is False
    # Disabled providers and actions, other action types, and the bare prefixes are left out.
    for absent in ("idp:corp", "action:off", "action:hook", "idp:", "action:"):
        assert absent not in by_option
    assert "manager" in body["roles"] and "administrator" in body["roles"]
    assert body["groups"] == ["staff"]
    assert "PRIMARY" in body["user_stores"]
    assert {"client_id": app["client_id"], "name": "portal"} in body["applications"]
    assert body["node_kinds"] == [
        "identify",
        "step",
        "enroll",
        "limit_sessions",
        "condition",
        "set",
        "allow",
        "deny",
        "lock",
    ]
    # Every listed option is one a flow may name.
    document = {
        "schema": "identra.flow/1",
        "name": "All of them",
        "start": "login",
        "nodes": [
            {"id": "login", "type": "step", "options": ["password"], "next": "more"},
            {"id": "more", "type": "step", "options": sorted(by_option), "next": "done"},
            {"id": "done", "type": "allow"},
        ],
    }
    await ok(await h.client.post(f"{BASE}/validate", json=document, headers=ADMIN))


async def test_the_catalog_uses_the_running_registry(h: Harness) -> None:
    await ok(await h.client.get(f"{BASE}/catalog", headers=ADMIN))
    registry = for_app(h.app).authenticators
    await ok(await h.client.get(f"{BASE}/catalog", headers=ADMIN))
    assert for_app(h.app).authenticators is registry


async def test_the_catalog_is_per_organization_and_needs_flows_read(h: Harness) -> None:
    await _post(h, "/children", {"handle": "acme", "name": "Acme"})
    await _post(h, "/groups", {"name": "acme-staff"}, org="acme")
    await create_action(
        h, "acme", name="acme-pin", type="authentication", endpoint="https://pin.example/a"
    )
    root = await ok(await h.client.get(f"{BASE}/catalog", headers=ADMIN))
    assert "acme-staff" not in root["groups"]
    assert "action:acme-pin" not in {o["option"] for o in root["options"]}
    acme = await ok(await h.client.get("/api/v1/orgs/acme/flows/catalog", headers=ADMIN))
    assert acme["groups"] == ["acme-staff"]
    assert "action:acme-pin" in {o["option"] for o in acme["options"]}

    token = bearer(await h.m2m_token("root", ["users:read"]))
    assert_problem(await h.client.get(f"{BASE}/catalog", headers=token), 403)
    reader = bearer(await h.m2m_token("root", ["flows:read"]))
    await ok(await h.client.get(f"{BASE}/catalog", headers=reader))
    assert_problem(await h.client.get("/api/v1/orgs/nope/flows/catalog", headers=ADMIN), 404)
