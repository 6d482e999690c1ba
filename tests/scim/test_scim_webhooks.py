"""SCIM writes are events: creating, changing and deleting users and groups through SCIM
records the same audit events as the management API does for the same change, so the same
signed webhook messages reach a real receiver on loopback; a write that changes nothing
(a PATCH to the current value, a Bulk of such) sends nothing."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import jsonschema_rs

from identra.actions import signing, webhooks
from tests.actions.service import Answer, ExtService, Received
from tests.support import ADMIN, Harness

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
BULK = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
JSON = {**ADMIN, "content-type": "application/scim+json"}
EVENT_SCHEMA = Path(__file__).resolve().parents[2] / "docs/actions/webhook-event.schema.json"


def follow_the_schema(events: list[dict[str, Any]]) -> None:
    validator = jsonschema_rs.Draft202012Validator(json.loads(EVENT_SCHEMA.read_text()))
    for event in events:
        errors = [str(e) for e in validator.iter_errors(event)]
        assert not errors, (errors, event)


async def add_webhook(h: Harness, url: str) -> str:
    resp = await h.client.post(
        "/api/v1/orgs/root/webhooks", json={"url": url, "events": ["*"]}, headers=ADMIN
    )
    assert resp.status_code == 201, resp.text
    return str(resp.json()["secret"])


async def delivered(h: Harness, receiver: ExtService, since: int) -> list[dict[str, Any]]:
    """Relay and deliver, then the events received after the first ``since``, in the order
    they happened (deliveries run concurrently)."""
    await webhooks.tick(h.services)
    events = [r.json for r in receiver.requests[since:]]
    return sorted(events, key=lambda e: str(e["timestamp"]))


def kinds(events: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(e["type"], e["data"]["audit_action"]) for e in events]


def patch(*operations: dict[str, Any]) -> dict[str, Any]:
    return {"schemas": [PATCH], "Operations": list(operations)}


async def test_scim_user_writes_send_the_management_apis_events(h: Harness) -> None:
    with ExtService(lambda _r: Answer(204, b"")) as receiver:
        secret = await add_webhook(h, receiver.url)
        # The management API, for reference: create, change, set a password, delete.
        api = await h.client.post(
            "/api/v1/orgs/root/users", json={"username": "via-api"}, headers=ADMIN
        )
        path = f"/api/v1/orgs/root/users/{api.json()['id']}"
        await h.client.patch(path, json={"given_name": "Api"}, headers=ADMIN)
        await h.client.patch(path, json={"password": "a-new-Passw0rd-1"}, headers=ADMIN)
        await h.client.delete(path, headers=ADMIN)
        reference = await delivered(h, receiver, 0)

        # The same changes through SCIM.
        created = await h.client.post(
            "/scim2/Users", json={"schemas": [USER], "userName": "via-scim"}, headers=JSON
        )
        assert created.status_code == 201, created.text
        user_id = created.json()["id"]
        scim_path = f"/scim2/Users/{user_id}"
        changed = await h.client.patch(
            scim_path,
            json=patch({"op": "replace", "path": "name.givenName", "value": "Scim"}),
            headers=JSON,
        )
        assert changed.status_code == 200, changed.text
        password = await h.client.patch(
            scim_path,
            json=patch({"op": "replace", "path": "password", "value": "a-new-Passw0rd-1"}),
            headers=JSON,
        )
        assert password.status_code == 200, password.text
        deleted = await h.client.delete(scim_path, headers=JSON)
        assert deleted.status_code == 204
        events = await delivered(h, receiver, len(reference))

        assert (
            kinds(events)
            == kinds(reference)
            == [
                ("user.created", "user.create"),
                ("user.updated", "user.update"),
                ("user.password_changed", "user.update"),
                ("user.deleted", "user.delete"),
            ]
        )
        assert {e["data"]["user"]["id"] for e in events} == {user_id}
        follow_the_schema(events)
        assert events[1]["data"]["details"] == reference[1]["data"]["details"]
        assert events[2]["data"]["details"]["fields"] == ["password"]
        assert "a-new-Passw0rd-1" not in str([r.body for r in receiver.requests])
        for request in receiver.requests:
            assert signing.verify(secret, request.headers, request.body, int(time.time()))
            assert request.headers["webhook-id"] == request.json["id"]


async def test_scim_group_writes_are_events(h: Harness) -> None:
    with ExtService(lambda _r: Answer(200, {})) as receiver:
        await add_webhook(h, receiver.url)
        users = []
        for name in ("ann", "ben"):
            resp = await h.client.post(
                "/scim2/Users", json={"schemas": [USER], "userName": name}, headers=JSON
            )
            users.append(resp.json()["id"])
        start = len(await delivered(h, receiver, 0))
        group = await h.client.post(
            "/scim2/Groups",
            json={"schemas": [GROUP], "displayName": "Team", "members": [{"value": users[0]}]},
            headers=JSON,
        )
        assert group.status_code == 201, group.text
        group_path = f"/scim2/Groups/{group.json()['id']}"
        added = await h.client.patch(
            group_path,
            json=patch({"op": "add", "path": "members", "value": [{"value": users[1]}]}),
            headers=JSON,
        )
        assert added.status_code == 200, added.text
        renamed = await h.client.patch(
            group_path,
            json=patch({"op": "replace", "path": "displayName", "value": "Crew"}),
            headers=JSON,
        )
        assert renamed.status_code == 200, renamed.text
        assert (await h.client.delete(group_path, headers=JSON)).status_code == 204
        events = await delivered(h, receiver, start)
        assert kinds(events) == [
            ("group.created", "group.create"),
            ("group.members_changed", "group.members.add"),
            ("group.members_changed", "group.members.add"),
            ("group.updated", "group.update"),
            ("group.deleted", "group.delete"),
        ]
        assert {e["data"]["group"]["id"] for e in events} == {group.json()["id"]}
        follow_the_schema(events)
        assert events[2]["data"]["details"] == {"user_id": users[1]}


async def test_writes_that_change_nothing_send_nothing(h: Harness) -> None:
    seen: list[Received] = []

    def receive(request: Received) -> Answer:
        seen.append(request)
        return Answer(200, {})

    with ExtService(receive) as receiver:
        await add_webhook(h, receiver.url)
        user = await h.client.post(
            "/scim2/Users",
            json={"schemas": [USER], "userName": "still", "name": {"givenName": "Stan"}},
            headers=JSON,
        )
        group = await h.client.post(
            "/scim2/Groups",
            json={
                "schemas": [GROUP],
                "displayName": "Calm",
                "members": [{"value": user.json()["id"]}],
            },
            headers=JSON,
        )
        start = len(await delivered(h, receiver, 0))
        assert start == 3  # user.created, group.created, group.members_changed
        user_path = f"/scim2/Users/{user.json()['id']}"
        group_path = f"/scim2/Groups/{group.json()['id']}"
        same_name = patch({"op": "replace", "path": "name.givenName", "value": "Stan"})
        resp = await h.client.patch(user_path, json=same_name, headers=JSON)
        assert resp.status_code == 200, resp.text
        current = (await h.client.get(user_path, headers=ADMIN)).json()
        put = {k: v for k, v in current.items() if k not in ("meta", "groups")}
        assert (await h.client.put(user_path, json=put, headers=JSON)).status_code == 200
        bulk = {
            "schemas": [BULK],
            "Operations": [
                {"method": "PATCH", "path": f"/Users/{user.json()['id']}", "data": same_name},
                {
                    "method": "PATCH",
                    "path": f"/Groups/{group.json()['id']}",
                    "data": patch(
                        {"op": "replace", "path": "displayName", "value": "Calm"},
                        {"op": "add", "path": "members", "value": [{"value": user.json()["id"]}]},
                    ),
                },
            ],
        }
        resp = await h.client.post("/scim2/Bulk", json=bulk, headers=JSON)
        assert resp.status_code == 200, resp.text
        assert [op["status"] for op in resp.json()["Operations"]] == ["200", "200"]
        assert (await h.client.get(group_path, headers=ADMIN)).status_code == 200
        assert await delivered(h, receiver, start) == []
        assert len(seen) == start
