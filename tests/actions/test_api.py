"""The actions management API: CRUD, every kind of bad input (a 4xx that names the field,
nothing changed), write-only secrets, permissions and organization isolation."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from identra.storage.models import Action, AuditEvent
from tests.actions.support import create_action
from tests.api.helpers import assert_problem, bearer
from tests.support import ADMIN, Harness

BASE = "/api/v1/orgs/root/actions"
GOOD = {"name": "enricher", "type": "preIssueAccessToken", "endpoint": "https://ext.example.com/h"}


async def action_count(h: Harness) -> int:
    async with h.services.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Action)) or 0)


async def test_create_read_update_delete(h: Harness) -> None:
    resp = await h.client.post(
        BASE,
        json={
            **GOOD,
            "description": "adds the tier",
            "authentication": {"type": "basic", "username": "identra", "password": "pw-1"},
            "timeout_ms": 800,
            "failure_policy": "fail_open",
            "rule": {
                "condition": "OR",
                "rules": [
                    {
                        "condition": "AND",
                        "expressions": [
                            {"field": "grantType", "operator": "notEquals", "value": "password"}
                        ],
                    }
                ],
            },
        },
        headers=ADMIN,
    )
    assert resp.status_code == 201, resp.text
    created = resp.json()
    assert resp.headers["location"].endswith(f"/actions/{created['id']}")
    assert created["authentication"] == {"type": "basic", "username": "identra"}
    assert created["signed"] is False and created["signing_secret"] is None
    assert created["rule"]["rules"][0]["expressions"][0]["operator"] == "notEquals"
    url = f"{BASE}/{created['id']}"
    got = await h.client.get(url, headers=ADMIN)
    assert got.status_code == 200 and got.headers["etag"]
    assert "pw-1" not in got.text and "signing_secret" not in got.json()

    listed = await h.client.get(BASE, params={"type": "preIssueAccessToken"}, headers=ADMIN)
    assert [a["name"] for a in listed.json()["items"]] == ["enricher"]
    empty = await h.client.get(BASE, params={"type": "preUpdatePassword"}, headers=ADMIN)
    assert empty.json()["items"] == []
    types = {t["type"]: t for t in (await h.client.get(f"{BASE}/types", headers=ADMIN)).json()}
    assert types["preIssueAccessToken"]["count"] == 1 and types["authentication"]["count"] == 0
    assert "grantType" in types["preIssueAccessToken"]["rule_fields"]

    stale = await h.client.patch(
        url, json={"timeout_ms": 900}, headers={**ADMIN, "if-match": '"999"'}
    )
    assert_problem(stale, 412)
    patched = await h.client.patch(
        url,
        json={"timeout_ms": 900, "rule": None, "signed": True},
        headers={**ADMIN, "if-match": got.headers["etag"]},
    )
    assert patched.status_code == 200, patched.text
    body = patched.json()
    assert body["timeout_ms"] == 900 and body["rule"] is None and body["signed"] is True
    assert body["signing_secret"].startswith("whsec_")
    rotated = await h.client.post(f"{url}/signing-secret", headers=ADMIN)
    assert rotated.status_code == 200
    assert rotated.json()["signing_secret"] != body["signing_secret"]

    assert (await h.client.delete(url, headers=ADMIN)).status_code == 204
    assert_problem(await h.client.get(url, headers=ADMIN), 404)
    async with h.services.sessions() as session:
        audited = list(
            await session.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.target_id == created["id"])
                .order_by(AuditEvent.seq)
            )
        )
        details = list(
            await session.scalars(
                select(AuditEvent.details).where(AuditEvent.target_id == created["id"])
            )
        )
    assert audited == [
        "action.create",
        "action.update",
        "action.signing_secret.rotate",
        "action.delete",
    ]
    assert "pw-1" not in str(details) and "whsec_" not in str(details)


BAD: list[tuple[dict[str, Any], str]] = [
    ({**GOOD, "type": "postIssue"}, "/type"),
    ({**GOOD, "name": "has space"}, "/name"),
    ({**GOOD, "name": ""}, "/name"),
    ({**GOOD, "endpoint": "http://ext.example.com/h"}, "/endpoint"),
    ({**GOOD, "endpoint": "ftp://ext.example.com/h"}, "/endpoint"),
    ({**GOOD, "endpoint": "https://user:pw@ext.example.com/h"}, "/endpoint"),
    ({**GOOD, "timeout_ms": 50}, "/timeout_ms"),
    ({**GOOD, "timeout_ms": 60_000}, "/timeout_ms"),
    ({**GOOD, "failure_policy": "shrug"}, "/failure_policy"),
    ({**GOOD, "authentication": {"type": "bearer"}}, "/authentication"),
    ({**GOOD, "authentication": {"type": "none", "token": "x"}}, "/authentication"),
    (
        {**GOOD, "authentication": {"type": "api_key", "header": "Content-Type", "value": "x"}},
        "/authentication/header",
    ),
    (
        {**GOOD, "authentication": {"type": "basic", "username": "a:b", "password": "x"}},
        "/authentication/username",
    ),
    (
        {
            **GOOD,
            "rule": {
                "condition": "OR",
                "rules": [
                    {
                        "condition": "AND",
                        "expressions": [{"field": "flow", "operator": "equals", "value": "x"}],
                    }
                ],
            },
        },
        "/rule/rules/0/expressions/0/field",
    ),
    (
        {
            **GOOD,
            "rule": {
                "condition": "OR",
                "rules": [
                    {
                        "condition": "AND",
                        "expressions": [
                            {"field": "grantType", "operator": "startsWith", "value": "x"}
                        ],
                    }
                ],
            },
        },
        "/rule",
    ),
    ({**GOOD, "rule": {"condition": "AND", "rules": []}}, "/rule"),
    ({**GOOD, "config": {"password_sharing": "PLAIN_TEXT"}}, "/config/password_sharing"),
    (
        {**GOOD, "type": "preUpdatePassword", "config": {"password_sharing": "ROT13"}},
        "/config/password_sharing",
    ),
    ({**GOOD, "unknown": 1}, "/unknown"),
]


@pytest.mark.parametrize(("body", "pointer"), BAD)
async def test_bad_input_is_refused_and_changes_nothing(
    h: Harness, body: dict[str, Any], pointer: str
) -> None:
    resp = await h.client.post(BASE, json=body, headers=ADMIN)
    problem = assert_problem(resp, 422)
    pointers = [e.get("pointer", "") for e in problem.get("errors", [])]
    assert any(p.startswith(pointer) for p in pointers), (pointer, problem)
    assert await action_count(h) == 0


async def test_names_are_unique_and_types_are_capped(h: Harness) -> None:
    await create_action(h, **GOOD)
    assert_problem(await h.client.post(BASE, json=GOOD, headers=ADMIN), 409)
    for i in range(9):
        await create_action(h, **{**GOOD, "name": f"more-{i}"})
    assert_problem(await h.client.post(BASE, json={**GOOD, "name": "eleventh"}, headers=ADMIN), 409)
    other = await h.client.post(
        BASE, json={**GOOD, "name": "pw", "type": "preUpdatePassword"}, headers=ADMIN
    )
    assert other.status_code == 201
    created = other.json()
    renamed = await h.client.patch(
        f"{BASE}/{created['id']}", json={"name": "enricher"}, headers=ADMIN
    )
    assert_problem(renamed, 409)
    assert_problem(await h.client.patch(f"{BASE}/{created['id']}", json={}, headers=ADMIN), 422)
    assert_problem(
        await h.client.patch(f"{BASE}/{created['id']}", json={"type": "x"}, headers=ADMIN), 422
    )


async def test_permissions_and_isolation(h: Harness) -> None:
    await h.create_org("acme")
    await h.create_org("globex")
    theirs = await create_action(h, "globex", **GOOD)
    reader = bearer(await h.m2m_token("acme", ["actions:read"]))
    writer = bearer(await h.m2m_token("acme", ["actions:read", "actions:write"]))
    acme = "/api/v1/orgs/acme/actions"
    assert (await h.client.get(acme, headers=reader)).status_code == 200
    assert_problem(await h.client.post(acme, json=GOOD, headers=reader), 403)
    assert (await h.client.post(acme, json=GOOD, headers=writer)).status_code == 201
    # Globex's action cannot be reached from acme, by either path.
    for url in (
        f"/api/v1/orgs/globex/actions/{theirs['id']}",
        f"{acme}/{theirs['id']}",
    ):
        assert_problem(await h.client.get(url, headers=writer), 404)
        assert_problem(await h.client.patch(url, json={"enabled": False}, headers=writer), 404)
        assert_problem(await h.client.post(f"{url}/signing-secret", headers=writer), 404)
        assert_problem(await h.client.delete(url, headers=writer), 404)
    got = await h.client.get(f"/api/v1/orgs/globex/actions/{theirs['id']}", headers=ADMIN)
    assert got.json()["enabled"] is True
