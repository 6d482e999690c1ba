"""``GET .../roles?user=ID[&effective=true]``: the roles a user holds, directly or via groups."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.api.helpers import ok, populate
from tests.support import ADMIN, Harness, harness


@pytest.fixture
async def h(tmp_path: Path) -> AsyncIterator[Harness]:
    async with harness(tmp_path) as value:
        yield value


async def _names(h: Harness, org: str, **params: Any) -> list[str]:
    resp = await h.client.get(f"/api/v1/orgs/{org}/roles", params=params, headers=ADMIN)
    return sorted(role["name"] for role in (await ok(resp))["items"])


async def test_direct_and_effective_roles(h: Harness) -> None:
    for org in ("acme", "beta"):
        await h.create_org(org)
    acme = await populate(h, "acme")  # alice is in acme-staff, which holds acme-auditor
    beta = await populate(h, "beta")
    base = "/api/v1/orgs/acme/roles"
    direct = await ok(await h.client.post(base, json={"name": "direct"}, headers=ADMIN), 201)
    await ok(
        await h.client.post(
            f"{base}/{direct['id']}/assignments", json={"user_id": acme["user_id"]}, headers=ADMIN
        ),
        201,
    )
    await ok(await h.client.post(base, json={"name": "unrelated"}, headers=ADMIN), 201)

    assert await _names(h, "acme", user=acme["user_id"]) == ["direct"]
    effective = await _names(h, "acme", user=acme["user_id"], effective="true")
    assert effective == ["acme-auditor", "direct"]
    # Another organization's user holds nothing here; unknown ids hold nothing.
    assert await _names(h, "acme", user=beta["user_id"], effective="true") == []
    assert await _names(h, "acme", user="nobody", effective="true") == []
    too_long = await h.client.get(base, params={"user": "x" * 65}, headers=ADMIN)
    assert too_long.status_code == 422
