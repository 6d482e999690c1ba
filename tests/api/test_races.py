"""Concurrent writers: a uniqueness race lost at the database is a 409, never a 500."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

from tests.api.helpers import ok
from tests.support import ADMIN, Harness

ROOT = "/api/v1/orgs/root"


async def burst(h: Harness, method: str, url: str, bodies: list[Any]) -> Counter[int]:
    responses = await asyncio.gather(
        *(h.client.request(method, url, json=body, headers=ADMIN) for body in bodies)
    )
    for resp in responses:
        if resp.status_code >= 400:
            assert resp.headers["content-type"] == "application/problem+json", resp.text
    return Counter(r.status_code for r in responses)


async def test_concurrent_creations_of_one_name(h: Harness) -> None:
    await ok(await h.client.get(ROOT, headers=ADMIN))  # authenticate once, before the burst
    await h.create_org("acme")
    cases = [
        ("groups", {"name": "same"}),
        ("roles", {"name": "same"}),
        ("claims", {"uri": "urn:same", "display_name": "Same"}),
        ("user-stores", {"identifier": "SAME"}),
        ("identity-providers", {"name": "same", "kind": "google", "config": {"client_id": "x"}}),
        ("users", {"username": "same"}),
        ("applications", {"name": "same", "type": "m2m"}),
    ]
    for route, body in cases:
        statuses = await burst(h, "POST", f"{ROOT}/{route}", [body] * 4)
        assert statuses == Counter({201: 1, 409: 3}), (route, statuses)
    # A domain is unique across organizations.
    statuses = Counter()
    responses = await asyncio.gather(
        *(
            h.client.post(
                f"/api/v1/orgs/{org}/domains", json={"domain": "race.example"}, headers=ADMIN
            )
            for org in ("root", "acme", "root", "acme")
        )
    )
    statuses.update(r.status_code for r in responses)
    assert statuses == Counter({201: 1, 409: 3})
    # The losers left nothing behind.
    groups = await ok(await h.client.get(f"{ROOT}/groups?name=same", headers=ADMIN))
    assert len(groups["items"]) == 1
    events = await ok(await h.client.get(f"{ROOT}/audit-events?action=group.create", headers=ADMIN))
    assert len(events["items"]) == 1


async def test_concurrent_membership_and_assignment_changes(h: Harness) -> None:
    await ok(await h.client.get(ROOT, headers=ADMIN))
    users = [
        await ok(
            await h.client.post(f"{ROOT}/users", json={"username": f"u{i}"}, headers=ADMIN), 201
        )
        for i in range(3)
    ]
    group = await ok(await h.client.post(f"{ROOT}/groups", json={"name": "g"}, headers=ADMIN), 201)
    url = f"{ROOT}/groups/{group['id']}/members"
    statuses = await burst(h, "POST", url, [{"user_id": users[0]["id"]}] * 4)
    assert set(statuses) <= {204, 409}, statuses
    statuses = await burst(h, "PUT", url, [{"user_ids": [u["id"] for u in users]}] * 4)
    assert set(statuses) <= {204, 409}, statuses
    members = await ok(await h.client.get(url, headers=ADMIN))
    assert len(members["items"]) == 3
    role = await ok(await h.client.post(f"{ROOT}/roles", json={"name": "r"}, headers=ADMIN), 201)
    statuses = await burst(
        h, "POST", f"{ROOT}/roles/{role['id']}/assignments", [{"user_id": users[1]["id"]}] * 4
    )
    assert statuses == Counter({201: 1, 409: 3}), statuses
