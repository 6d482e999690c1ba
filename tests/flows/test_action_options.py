"""``action:<name>`` in a flow must name an enabled authentication action of the organization,
like ``idp:<name>`` must name one of its enabled identity providers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.actions.support import create_action
from tests.api.helpers import assert_problem, db_snapshot, ok
from tests.support import ADMIN, Harness, harness

BASE = "/api/v1/orgs/root/flows"


@pytest.fixture
async def h(tmp_path: Path) -> AsyncIterator[Harness]:
    async with harness(tmp_path) as h:
        yield h


def flow(*options: str, first: tuple[str, ...] = ()) -> dict[str, Any]:
    nodes: list[dict[str, Any]] = []
    if first:
        nodes.append({"id": "one", "type": "step", "options": list(first), "next": "login"})
    nodes += [
        {"id": "login", "type": "step", "options": list(options), "next": "done"},
        {"id": "done", "type": "allow"},
    ]
    start = "one" if first else "login"
    return {"schema": "identra.flow/1", "name": "Actions", "start": start, "nodes": nodes}


async def refused(h: Harness, document: dict[str, Any]) -> list[dict[str, str]]:
    """Applying ``document`` is a 422 that changes nothing; its errors."""
    before = await db_snapshot(h)
    body = assert_problem(await h.client.put(f"{BASE}/default", json=document, headers=ADMIN), 422)
    assert await db_snapshot(h) == before
    validated = await h.client.post(f"{BASE}/validate", json=document, headers=ADMIN)
    assert_problem(validated, 422)
    assert validated.json()["errors"] == body["errors"]
    errors: list[dict[str, str]] = body["errors"]
    return errors


async def test_a_missing_action_is_refused_with_its_path(h: Harness) -> None:
    errors = await refused(h, flow("password", "action:missing"))
    assert errors == [
        {
            "pointer": "nodes.login.options",
            "detail": "no active authentication action named 'missing'",
        }
    ]
    text = (
        'flow "T"\nstart login\n\nstep login\n  options action:missing\n  next done\n\nallow done\n'
    )
    plain = {**ADMIN, "content-type": "text/plain"}
    body = assert_problem(await h.client.put(f"{BASE}/default", content=text, headers=plain), 422)
    assert [e["pointer"] for e in body["errors"]] == ["nodes.login.options"]


async def test_an_enabled_authentication_action_is_accepted(h: Harness) -> None:
    await create_action(h, name="pin", type="authentication", endpoint="https://pin.example/a")
    applied = await ok(
        await h.client.put(f"{BASE}/default", json=flow("password", "action:pin"), headers=ADMIN)
    )
    assert applied["document"]["nodes"][0]["options"] == ["password", "action:pin"]


async def test_a_disabled_or_other_type_action_is_refused(h: Harness) -> None:
    await create_action(
        h, name="off", type="authentication", endpoint="https://pin.example/a", enabled=False
    )
    await create_action(
        h, name="hook", type="preIssueAccessToken", endpoint="https://pin.example/b", enabled=False
    )
    errors = await refused(h, flow("password", "action:off", "action:hook"))
    assert {e["detail"] for e in errors} == {
        "no active authentication action named 'off'",
        "no active authentication action named 'hook'",
    }


async def test_another_organizations_action_is_refused(h: Harness) -> None:
    await ok(
        await h.client.post(
            "/api/v1/orgs/root/children", json={"handle": "acme", "name": "Acme"}, headers=ADMIN
        ),
        201,
    )
    await create_action(
        h, "acme", name="acme-pin", type="authentication", endpoint="https://pin.example/a"
    )
    errors = await refused(h, flow("password", "action:acme-pin"))
    assert errors[0]["detail"] == "no active authentication action named 'acme-pin'"
    await ok(
        await h.client.put(
            "/api/v1/orgs/acme/flows/default", json=flow("password", "action:acme-pin"),
            headers=ADMIN,
        )
    )  # fmt: skip


async def test_a_second_factor_action_needs_an_earlier_step(h: Harness) -> None:
    await create_action(
        h,
        name="approve",
        type="authentication",
        endpoint="https://pin.example/a",
        config={"mode": "second_factor"},
    )
    errors = await refused(h, flow("action:approve"))
    assert errors and all(e["pointer"].startswith("nodes.") for e in errors)
    await ok(
        await h.client.put(
            f"{BASE}/default", json=flow("action:approve", first=("password",)), headers=ADMIN
        )
    )
