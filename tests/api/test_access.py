"""User stores, groups and members, roles and assignments."""

from __future__ import annotations

from typing import Any

from identra import permissions
from tests.api.helpers import assert_problem, bearer, db_snapshot, ok, pointers
from tests.support import ADMIN, Harness

ROOT = "/api/v1/orgs/root"


async def make_user(h: Harness, name: str, org: str = "root") -> dict[str, Any]:
    return await ok(
        await h.client.post(f"/api/v1/orgs/{org}/users", json={"username": name}, headers=ADMIN),
        201,
    )


# --- user stores -------------------------------------------------------------------------


async def test_user_store_crud(h: Harness) -> None:
    c = h.client
    created = await c.post(
        f"{ROOT}/user-stores",
        json={"identifier": "PARTNERS", "description": "partner accounts"},
        headers=ADMIN,
    )
    store = await ok(created, 201)
    assert created.headers["etag"] == '"1"'
    assert created.headers["location"].endswith(store["id"])
    assert store["kind"] == "database" and store["position"] == 1  # after PRIMARY (0)
    listing = await ok(await c.get(f"{ROOT}/user-stores", headers=ADMIN))
    assert [s["identifier"] for s in listing["items"]] == ["PRIMARY", "PARTNERS"]
    only = await ok(await c.get(f"{ROOT}/user-stores?identifier=PARTNERS", headers=ADMIN))
    assert [s["id"] for s in only["items"]] == [store["id"]]

    changed = await c.patch(
        f"{ROOT}/user-stores/{store['id']}",
        json={"read_only": True, "position": 5},
        headers={**ADMIN, "if-match": '"1"'},
    )
    assert (await ok(changed))["read_only"] is True
    assert changed.headers["etag"] == '"2"'
    # A read-only store takes no new users.
    refused = await c.post(
        f"{ROOT}/users", json={"username": "p1", "user_store": "PARTNERS"}, headers=ADMIN
    )
    assert pointers(refused) == {"/user_store"}
    # The identifier is fixed once created.
    assert_problem(
        await c.patch(f"{ROOT}/user-stores/{store['id']}", json={"identifier": "X"}, headers=ADMIN),
        422,
    )
    await ok(await c.delete(f"{ROOT}/user-stores/{store['id']}", headers=ADMIN), 204)
    assert_problem(await c.get(f"{ROOT}/user-stores/{store['id']}", headers=ADMIN), 404)
    events = await ok(await c.get(f"{ROOT}/audit-events?target_id={store['id']}", headers=ADMIN))
    assert [e["action"] for e in events["items"]] == [
        "userstore.delete",
        "userstore.update",
        "userstore.create",
    ]


async def test_user_store_rules(h: Harness) -> None:
    c = h.client
    # An LDAP store needs its connection configuration; unknown kinds are refused.
    resp = await c.post(
        f"{ROOT}/user-stores", json={"identifier": "CORP", "kind": "ldap"}, headers=ADMIN
    )
    body = assert_problem(resp, 422)
    assert "LDAP" in body["detail"] and "config" in body["detail"]
    resp = await c.post(
        f"{ROOT}/user-stores",
        json={"identifier": "CORP", "kind": "active_directory"},
        headers=ADMIN,
    )
    assert_problem(resp, 422)
    assert pointers(resp) == {"/kind"}
    for identifier in ("lower", "", "A" * 33, "SPACE X", "DOT.TED"):
        resp = await c.post(f"{ROOT}/user-stores", json={"identifier": identifier}, headers=ADMIN)
        assert pointers(resp) == {"/identifier"}, identifier
    dup = await c.post(f"{ROOT}/user-stores", json={"identifier": "PRIMARY"}, headers=ADMIN)
    assert_problem(dup, 409)

    stores = await ok(await c.get(f"{ROOT}/user-stores", headers=ADMIN))
    primary = stores["items"][0]
    # PRIMARY holds the administrator, and it is the only store.
    body = assert_problem(await c.delete(f"{ROOT}/user-stores/{primary['id']}", headers=ADMIN), 409)
    assert "user" in body["detail"]
    other = await ok(
        await c.post(f"{ROOT}/user-stores", json={"identifier": "SECOND"}, headers=ADMIN), 201
    )
    user = await ok(
        await c.post(
            f"{ROOT}/users", json={"username": "bob", "user_store": "SECOND"}, headers=ADMIN
        ),
        201,
    )
    assert user["user_store"] == "SECOND"
    assert_problem(await c.delete(f"{ROOT}/user-stores/{other['id']}", headers=ADMIN), 409)
    await ok(await c.delete(f"{ROOT}/users/{user['id']}", headers=ADMIN), 204)
    await ok(await c.delete(f"{ROOT}/user-stores/{other['id']}", headers=ADMIN), 204)

    # A new organization has one (empty) store, and cannot lose it.
    await h.create_org("acme")
    acme_stores = await ok(await c.get("/api/v1/orgs/acme/user-stores", headers=ADMIN))
    (only,) = acme_stores["items"]
    body = assert_problem(
        await c.delete(f"/api/v1/orgs/acme/user-stores/{only['id']}", headers=ADMIN), 409
    )
    assert "last" in body["detail"]


# --- groups ------------------------------------------------------------------------------


async def test_group_crud_and_members(h: Harness) -> None:
    c = h.client
    alice = await make_user(h, "alice")
    bob = await make_user(h, "bob")
    group = await ok(
        await c.post(f"{ROOT}/groups", json={"name": "Engineering"}, headers=ADMIN), 201
    )
    gid = group["id"]
    assert_problem(await c.post(f"{ROOT}/groups", json={"name": "Engineering"}, headers=ADMIN), 409)

    put = await c.put(
        f"{ROOT}/groups/{gid}/members",
        json={"user_ids": [alice["id"], bob["id"], alice["id"]]},
        headers={**ADMIN, "if-match": '"1"'},
    )
    assert put.status_code == 204 and put.headers["etag"] == '"2"'
    members = await ok(await c.get(f"{ROOT}/groups/{gid}/members", headers=ADMIN))
    assert {m["username"] for m in members["items"]} == {"alice", "bob"}
    # Paged one at a time.
    first = await ok(await c.get(f"{ROOT}/groups/{gid}/members?limit=1", headers=ADMIN))
    second = await ok(
        await c.get(
            f"{ROOT}/groups/{gid}/members?limit=1&cursor={first['next_cursor']}", headers=ADMIN
        )
    )
    assert len(first["items"]) == len(second["items"]) == 1
    assert second["next_cursor"] is None
    assert {first["items"][0]["user_id"], second["items"][0]["user_id"]} == {
        alice["id"],
        bob["id"],
    }
    # Groups of a member.
    mine = await ok(await c.get(f"{ROOT}/groups?member={alice['id']}", headers=ADMIN))
    assert [g["id"] for g in mine["items"]] == [gid]

    await ok(await c.delete(f"{ROOT}/groups/{gid}/members/{bob['id']}", headers=ADMIN), 204)
    assert_problem(await c.delete(f"{ROOT}/groups/{gid}/members/{bob['id']}", headers=ADMIN), 404)
    # Adding twice is harmless.
    for _ in range(2):
        await ok(
            await c.post(
                f"{ROOT}/groups/{gid}/members", json={"user_id": bob["id"]}, headers=ADMIN
            ),
            204,
        )
    members = await ok(await c.get(f"{ROOT}/groups/{gid}/members", headers=ADMIN))
    assert len(members["items"]) == 2

    renamed = await ok(await c.patch(f"{ROOT}/groups/{gid}", json={"name": "Eng"}, headers=ADMIN))
    assert renamed["name"] == "Eng"
    # Deleting a member user drops the membership.
    await ok(await c.delete(f"{ROOT}/users/{bob['id']}", headers=ADMIN), 204)
    members = await ok(await c.get(f"{ROOT}/groups/{gid}/members", headers=ADMIN))
    assert [m["user_id"] for m in members["items"]] == [alice["id"]]
    await ok(await c.delete(f"{ROOT}/groups/{gid}", headers=ADMIN), 204)
    actions = [
        e["action"]
        for e in (await ok(await c.get(f"{ROOT}/audit-events?target_id={gid}", headers=ADMIN)))[
            "items"
        ]
    ]
    assert actions[0] == "group.delete" and actions[-1] == "group.create"
    assert "group.members.set" in actions and "group.members.remove" in actions


async def test_members_of_another_org_are_reported_like_missing_users(h: Harness) -> None:
    c = h.client
    await h.create_org("acme")
    stranger = await make_user(h, "stranger", org="acme")
    local = await make_user(h, "local")
    group = await ok(await c.post(f"{ROOT}/groups", json={"name": "g"}, headers=ADMIN), 201)
    url = f"{ROOT}/groups/{group['id']}/members"
    missing_id = "00000000-0000-4000-8000-000000000000"

    def normalized(resp: Any, user_id: str) -> str:
        assert_problem(resp, 422)
        return str(resp.text).replace(user_id, "<id>")

    before = await db_snapshot(h)
    for body_of in (lambda uid: {"user_ids": [local["id"], uid]},):
        foreign = await c.put(url, json=body_of(stranger["id"]), headers=ADMIN)
        absent = await c.put(url, json=body_of(missing_id), headers=ADMIN)
        assert normalized(foreign, stranger["id"]) == normalized(absent, missing_id)
        assert pointers(foreign) == {"/user_ids/1"}
    foreign = await c.post(url, json={"user_id": stranger["id"]}, headers=ADMIN)
    absent = await c.post(url, json={"user_id": missing_id}, headers=ADMIN)
    assert normalized(foreign, stranger["id"]) == normalized(absent, missing_id)
    assert pointers(foreign) == {"/user_id"}
    # Same for role assignments.
    role = await ok(await c.post(f"{ROOT}/roles", json={"name": "r"}, headers=ADMIN), 201)
    after_role = await db_snapshot(h)
    assign = f"{ROOT}/roles/{role['id']}/assignments"
    foreign = await c.post(assign, json={"user_id": stranger["id"]}, headers=ADMIN)
    absent = await c.post(assign, json={"user_id": missing_id}, headers=ADMIN)
    assert normalized(foreign, stranger["id"]) == normalized(absent, missing_id)
    acme_group = await ok(
        await c.post("/api/v1/orgs/acme/groups", json={"name": "g"}, headers=ADMIN), 201
    )
    after_group = await db_snapshot(h)
    foreign = await c.post(assign, json={"group_id": acme_group["id"]}, headers=ADMIN)
    absent = await c.post(assign, json={"group_id": missing_id}, headers=ADMIN)
    assert normalized(foreign, acme_group["id"]) == normalized(absent, missing_id)
    assert await db_snapshot(h) == after_group
    assert before != after_role  # (the role itself was created)


# --- roles -------------------------------------------------------------------------------


async def test_role_crud_and_assignments(h: Harness) -> None:
    c = h.client
    alice = await make_user(h, "alice")
    group = await ok(await c.post(f"{ROOT}/groups", json={"name": "ops"}, headers=ADMIN), 201)
    created = await c.post(
        f"{ROOT}/roles",
        json={"name": "helpdesk", "permissions": ["users:read", "users:write", "users:read"]},
        headers=ADMIN,
    )
    role = await ok(created, 201)
    assert role["permissions"] == ["users:read", "users:write"]
    assert role["audience"] == "organization"
    rid = role["id"]
    bad = await c.post(
        f"{ROOT}/roles",
        json={"name": "x", "permissions": ["users:read", "root:all"]},
        headers=ADMIN,
    )
    assert pointers(bad) == {"/permissions/1"}
    assert_problem(await c.post(f"{ROOT}/roles", json={"name": "helpdesk"}, headers=ADMIN), 409)
    by_permission = await ok(await c.get(f"{ROOT}/roles?permission=users:write", headers=ADMIN))
    assert {r["name"] for r in by_permission["items"]} == {"administrator", "helpdesk"}
    paged = await ok(await c.get(f"{ROOT}/roles?permission=users:write&limit=1", headers=ADMIN))
    assert len(paged["items"]) == 1 and paged["next_cursor"]
    rest = await ok(
        await c.get(
            f"{ROOT}/roles?permission=users:write&limit=1&cursor={paged['next_cursor']}",
            headers=ADMIN,
        )
    )
    assert {paged["items"][0]["name"], rest["items"][0]["name"]} == {"administrator", "helpdesk"}

    to_user = await c.post(
        f"{ROOT}/roles/{rid}/assignments", json={"user_id": alice["id"]}, headers=ADMIN
    )
    assignment = await ok(to_user, 201)
    assert assignment["user_id"] == alice["id"] and assignment["group_id"] is None
    assert to_user.headers["location"].endswith(assignment["id"])
    assert_problem(
        await c.post(
            f"{ROOT}/roles/{rid}/assignments", json={"user_id": alice["id"]}, headers=ADMIN
        ),
        409,
    )
    await ok(
        await c.post(
            f"{ROOT}/roles/{rid}/assignments", json={"group_id": group["id"]}, headers=ADMIN
        ),
        201,
    )
    for body in ({}, {"user_id": alice["id"], "group_id": group["id"]}):
        assert_problem(
            await c.post(f"{ROOT}/roles/{rid}/assignments", json=body, headers=ADMIN), 422
        )
    listing = await ok(await c.get(f"{ROOT}/roles/{rid}/assignments", headers=ADMIN))
    assert len(listing["items"]) == 2
    only_user = await ok(
        await c.get(f"{ROOT}/roles/{rid}/assignments?user_id={alice['id']}", headers=ADMIN)
    )
    assert [a["id"] for a in only_user["items"]] == [assignment["id"]]
    one = await c.get(f"{ROOT}/roles/{rid}/assignments/{assignment['id']}", headers=ADMIN)
    assert (await ok(one))["id"] == assignment["id"] and one.headers["etag"]
    await ok(
        await c.delete(f"{ROOT}/roles/{rid}/assignments/{assignment['id']}", headers=ADMIN), 204
    )
    assert_problem(
        await c.delete(f"{ROOT}/roles/{rid}/assignments/{assignment['id']}", headers=ADMIN), 404
    )
    patched = await ok(
        await c.patch(f"{ROOT}/roles/{rid}", json={"permissions": ["audit:read"]}, headers=ADMIN)
    )
    # Two assignments made and one removed changed who holds it: version 1 + 3, then this.
    assert patched["permissions"] == ["audit:read"] and patched["version"] == 5
    await ok(await c.delete(f"{ROOT}/roles/{rid}", headers=ADMIN), 204)
    # Its assignments went with it.
    assert_problem(await c.get(f"{ROOT}/roles/{rid}/assignments", headers=ADMIN), 404)


async def test_the_administrator_role_is_protected(h: Harness) -> None:
    c = h.client
    roles = await ok(await c.get(f"{ROOT}/roles?name=administrator", headers=ADMIN))
    (admin_role,) = roles["items"]
    assert set(admin_role["permissions"]) == set(permissions.ALL)
    url = f"{ROOT}/roles/{admin_role['id']}"
    before = await db_snapshot(h)
    assert_problem(await c.delete(url, headers=ADMIN), 409)
    assert_problem(await c.patch(url, json={"name": "boss"}, headers=ADMIN), 422)
    assert_problem(await c.patch(url, json={"permissions": ["users:read"]}, headers=ADMIN), 422)
    # The root organization keeps at least one administrator.
    (only,) = (await ok(await c.get(f"{url}/assignments", headers=ADMIN)))["items"]
    assert_problem(await c.delete(f"{url}/assignments/{only['id']}", headers=ADMIN), 409)
    assert await db_snapshot(h) == before
    await ok(await c.patch(url, json={"description": "everything"}, headers=ADMIN))
    # A sub-organization's administrator role cannot be deleted either.
    await h.create_org("acme")
    acme_roles = await ok(await c.get("/api/v1/orgs/acme/roles?name=administrator", headers=ADMIN))
    acme_admin = acme_roles["items"][0]["id"]
    assert_problem(await c.delete(f"/api/v1/orgs/acme/roles/{acme_admin}", headers=ADMIN), 409)


async def test_a_caller_cannot_grant_what_it_does_not_hold(h: Harness) -> None:
    c = h.client
    token = bearer(await h.m2m_token("root", ["roles:read", "roles:write", "users:read"]))
    me = await ok(
        await c.post(
            f"{ROOT}/roles", json={"name": "reader", "permissions": ["users:read"]}, headers=token
        ),
        201,
    )
    before = await db_snapshot(h)
    body = assert_problem(
        await c.post(
            f"{ROOT}/roles", json={"name": "x", "permissions": ["keys:write"]}, headers=token
        ),
        403,
    )
    assert "keys:write" in body["detail"]
    assert_problem(
        await c.patch(
            f"{ROOT}/roles/{me['id']}", json={"permissions": ["users:write"]}, headers=token
        ),
        403,
    )
    admin_role = (await ok(await c.get(f"{ROOT}/roles?name=administrator", headers=token)))[
        "items"
    ][0]
    alice = await make_user(h, "alice")
    before = await db_snapshot(h)
    assert_problem(
        await c.post(
            f"{ROOT}/roles/{admin_role['id']}/assignments",
            json={"user_id": alice["id"]},
            headers=token,
        ),
        403,
    )
    assert await db_snapshot(h) == before
    # What it holds, it can grant.
    await ok(
        await c.post(
            f"{ROOT}/roles/{me['id']}/assignments", json={"user_id": alice["id"]}, headers=token
        ),
        201,
    )


async def test_users_permissions_come_from_roles_through_groups(h: Harness) -> None:
    """A root user gets Basic access through a role assigned to one of its groups."""
    c = h.client
    from tests.support import basic

    user = await ok(
        await c.post(
            f"{ROOT}/users",
            json={"username": "carol", "password": "carol-password-1"},
            headers=ADMIN,
        ),
        201,
    )
    carol = basic("carol", "carol-password-1")
    assert_problem(await c.get(f"{ROOT}/users", headers=carol), 403)
    group = await ok(await c.post(f"{ROOT}/groups", json={"name": "readers"}, headers=ADMIN), 201)
    role = await ok(
        await c.post(
            f"{ROOT}/roles", json={"name": "readers", "permissions": ["users:read"]}, headers=ADMIN
        ),
        201,
    )
    await ok(
        await c.post(
            f"{ROOT}/roles/{role['id']}/assignments", json={"group_id": group["id"]}, headers=ADMIN
        ),
        201,
    )
    await ok(
        await c.post(
            f"{ROOT}/groups/{group['id']}/members", json={"user_id": user["id"]}, headers=ADMIN
        ),
        204,
    )
    await ok(await c.get(f"{ROOT}/users", headers=carol))
    assert_problem(await c.get(f"{ROOT}/groups", headers=carol), 403)
