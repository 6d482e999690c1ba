"""``q`` on the management lists: a prefix, ignoring case, with ``%``, ``_`` and ``\\`` taken
literally, within the organization only, the same on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.api.helpers import ok, populate
from tests.support import ADMIN, Harness, harness

# list path -> (a q matching the one item populate() made, the field that shows it)
LISTS = {
    "users": ("ACME-al", "username"),
    "applications": ("Acme-A", "name"),
    "groups": ("acme-st", "name"),
    "roles": ("ACME-AUD", "name"),
    "identity-providers": ("acme-g", "name"),
    "actions": ("acme-h", "name"),
    "user-stores": ("sec", "identifier"),
    "webhooks": ("ACME.example.com/ev", "url"),
}


@pytest.fixture
async def h(tmp_path: Path) -> AsyncIterator[Harness]:
    async with harness(tmp_path) as value:
        for org in ("acme", "beta"):
            await value.create_org(org)
            await populate(value, org)
        yield value


async def _found(h: Harness, path: str, q: str, field: str) -> list[str]:
    resp = await h.client.get(f"/api/v1/orgs/acme/{path}", params={"q": q}, headers=ADMIN)
    return [item[field] for item in (await ok(resp))["items"]]


@pytest.mark.parametrize("path", list(LISTS))
async def test_q_is_a_case_insensitive_prefix_within_the_organization(
    h: Harness, path: str
) -> None:
    q, field = LISTS[path]
    found = await _found(h, path, q, field)
    assert len(found) == 1 and found[0].lower().replace("https://", "").startswith(q.lower())
    assert await _found(h, path, "zz-nothing", field) == []
    # Wildcards are literal characters, not patterns.
    for literal in ("%", "_", q[:2] + "%", "\\"):
        assert await _found(h, path, literal, field) == [], literal
    # The other organization's item of the same shape is not found here.
    other = q.lower().replace("acme", "beta")
    if other != q.lower():
        assert await _found(h, path, other, field) == []


async def test_an_oversized_q_is_a_422(h: Harness) -> None:
    resp = await h.client.get("/api/v1/orgs/acme/roles", params={"q": "x" * 256}, headers=ADMIN)
    assert resp.status_code == 422
