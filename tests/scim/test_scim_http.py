# ruff: noqa: E501  (tables of requests read best one per line)
"""SCIM over HTTP: errors (RFC 7644 §3.12) that change nothing, ETags, paging, sorting,
projection, Bulk, /Me, Roles, custom extensions, permissions and tenant isolation."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from identra.observability.audit import SYSTEM
from identra.storage.models import AuditEvent, Organization, User
from identra.storage.repositories import scim_schemas
from tests.support import ADMIN, Harness

ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
BULK = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
JSON = {**ADMIN, "content-type": "application/scim+json"}


async def create_user(h: Harness, user_name: str, **extra: Any) -> dict[str, Any]:
    body = {"schemas": [USER], "userName": user_name, **extra}
    if any(k.startswith("urn:") for k in extra):
        body["schemas"] = [USER, ENTERPRISE]
    resp = await h.client.post("/scim2/Users", json=body, headers=JSON)
    assert resp.status_code == 201, resp.text
    return dict(resp.json())


async def count_users(h: Harness) -> int:
    async with h.services.sessions() as session:
        return int(await session.scalar(select(func.count(User.id))) or 0)


async def audit_count(h: Harness) -> int:
    async with h.services.sessions() as session:
        return int(await session.scalar(select(func.count(AuditEvent.id))) or 0)


def assert_error(resp: Any, status: int, scim_type: str | None) -> None:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/scim+json")
    body = resp.json()
    assert body["schemas"] == [ERROR]
    assert body["status"] == str(status)
    assert body.get("scimType") == scim_type
    assert body["detail"]


INVALID_FILTERS = [
    ("userName eq", "not valid"),
    ('userName xx "a"', "not valid"),
    ('(userName eq "a"', "not valid"),
    ('emails[type eq "work"', "not valid"),
    ('nosuch eq "x"', "unknown attribute"),
    ('name.nosuch eq "x"', "unknown attribute"),
    ("active gt true", "does not apply"),
    ("userName eq 12", "string"),
    ('meta.created gt "yesterday"', "dateTime"),
    ('password eq "secret"', "cannot be used"),
    ('emails[type eq "work" and emails[value pr]]', "nested"),
]


async def test_invalid_filters(h: Harness) -> None:
    for expression, fragment in INVALID_FILTERS:
        resp = await h.client.get("/scim2/Users", params={"filter": expression}, headers=ADMIN)
        assert_error(resp, 400, "invalidFilter")
        assert fragment in resp.json()["detail"], expression


async def test_bad_writes_change_nothing(h: Harness) -> None:
    user = await create_user(h, "bjensen", emails=[{"value": "b@example.com", "type": "work"}])
    before_users, before_audit = await count_users(h), await audit_count(h)
    cases: list[tuple[str, str, Any, int, str | None]] = [
        ("POST", "/scim2/Users", {"schemas": [USER], "userName": "x", "shoeSize": 42}, 400, "invalidSyntax"),
        ("POST", "/scim2/Users", {"schemas": [USER], "userName": "x", "name": {"nosuch": 1}}, 400, "invalidSyntax"),
        ("POST", "/scim2/Users", {"schemas": [USER]}, 400, "invalidValue"),
        ("POST", "/scim2/Users", {"schemas": [USER], "userName": 42}, 400, "invalidValue"),
        ("POST", "/scim2/Users", {"schemas": [USER], "userName": "x", "active": "maybe"}, 400, "invalidValue"),
        ("POST", "/scim2/Users", {"schemas": [USER], "userName": "x", "emails": "a@b"}, 400, "invalidValue"),
        ("POST", "/scim2/Users", {"schemas": [USER], "userName": "x", "emails": [
            {"value": "a@x", "primary": True}, {"value": "b@x", "primary": True}]}, 400, "invalidValue"),
        ("POST", "/scim2/Users", {"userName": "x"}, 400, "invalidSyntax"),
        ("POST", "/scim2/Users", {"schemas": [USER], "userName": "x", ENTERPRISE: {"employeeNumber": "1"}},
         400, "invalidSyntax"),
        ("POST", "/scim2/Users", {"schemas": [USER], "userName": "BJensen"}, 409, "uniqueness"),
        ("POST", "/scim2/Users", {"schemas": [USER], "userName": "x" * 300}, 400, "invalidValue"),
        ("PATCH", f"/scim2/Users/{user['id']}", {"schemas": [PATCH], "Operations": [
            {"op": "replace", "path": "userName", "value": "ok"},
            {"op": "replace", "path": "nosuch", "value": 1}]}, 400, "invalidPath"),
        ("PATCH", f"/scim2/Users/{user['id']}", {"schemas": [PATCH], "Operations": [
            {"op": "replace", "path": "emails[type eq \"home\"]", "value": {"value": "h@x"}}]}, 400, "noTarget"),
        ("PATCH", f"/scim2/Users/{user['id']}", {"schemas": [PATCH], "Operations": [
            {"op": "remove"}]}, 400, "noTarget"),
        ("PATCH", f"/scim2/Users/{user['id']}", {"schemas": [PATCH], "Operations": [
            {"op": "replace", "path": "id", "value": "other"}]}, 400, "mutability"),
        ("PATCH", f"/scim2/Users/{user['id']}", {"schemas": [PATCH], "Operations": [
            {"op": "add", "path": "groups", "value": [{"value": "g"}]}]}, 400, "mutability"),
        ("PATCH", f"/scim2/Users/{user['id']}", {"schemas": [PATCH], "Operations": [
            {"op": "remove", "path": "userName"}]}, 400, "invalidValue"),
        ("PATCH", f"/scim2/Users/{user['id']}", {"schemas": [PATCH], "Operations": [
            {"op": "jump", "path": "userName"}]}, 400, "invalidSyntax"),
        ("PATCH", f"/scim2/Users/{user['id']}", {"Operations": []}, 400, "invalidSyntax"),
        ("PATCH", f"/scim2/Users/{user['id']}", {"schemas": [PATCH], "Operations": [
            {"op": "replace", "path": "emails[type eq]", "value": "x"}]}, 400, "invalidPath"),
        ("PUT", f"/scim2/Users/{user['id']}", {"schemas": [USER], "userName": "admin"}, 409, "uniqueness"),
        ("PUT", f"/scim2/Users/{user['id']}", {"schemas": [USER], "displayName": "no name"}, 400, "invalidValue"),
    ]  # fmt: skip
    for method, path, body, status, scim_type in cases:
        resp = await h.client.request(method, path, json=body, headers=JSON)
        assert_error(resp, status, scim_type)
    resp = await h.client.post("/scim2/Users", content=b"{not json", headers=JSON)
    assert_error(resp, 400, "invalidSyntax")
    resp = await h.client.get(f"/scim2/Users/{user['id']}", headers=ADMIN)
    assert resp.json()["userName"] == "bjensen"
    assert resp.json()["meta"]["version"] == user["meta"]["version"]
    assert await count_users(h) == before_users
    assert await audit_count(h) == before_audit


async def test_etags_and_if_match(h: Harness) -> None:
    user = await create_user(h, "etag")
    path = f"/scim2/Users/{user['id']}"
    got = await h.client.get(path, headers=ADMIN)
    etag = got.headers["etag"]
    assert etag == user["meta"]["version"] == 'W/"1"'
    assert (await h.client.get(path, headers={**ADMIN, "if-none-match": etag})).status_code == 304
    patch = {"schemas": [PATCH], "Operations": [{"op": "add", "path": "title", "value": "Boss"}]}
    ok = await h.client.patch(path, json=patch, headers={**JSON, "if-match": etag})
    assert ok.status_code == 200 and ok.headers["etag"] == 'W/"2"'
    stale = await h.client.patch(path, json=patch, headers={**JSON, "if-match": etag})
    assert_error(stale, 412, None)
    stale_put = await h.client.put(
        path, json={"schemas": [USER], "userName": "etag2"}, headers={**JSON, "if-match": etag}
    )
    assert_error(stale_put, 412, None)
    stale_delete = await h.client.delete(path, headers={**ADMIN, "if-match": etag})
    assert_error(stale_delete, 412, None)
    assert (await h.client.get(path, headers=ADMIN)).json()["userName"] == "etag"
    # A PATCH that changes nothing keeps the version.
    same = await h.client.patch(path, json=patch, headers=JSON)
    assert same.headers["etag"] == 'W/"2"'
    gone = await h.client.delete(path, headers={**ADMIN, "if-match": 'W/"2"'})
    assert gone.status_code == 204
    assert_error(await h.client.get(path, headers=ADMIN), 404, None)


async def test_paging_sorting_and_projection(h: Harness) -> None:
    for name in ("carol", "alice", "dave", "bob", "erin"):
        await create_user(h, name, displayName=name.title(), title="Engineer")
    resp = await h.client.get(
        "/scim2/Users",
        params={
            "filter": 'title eq "engineer"',
            "sortBy": "userName",
            "startIndex": "2",
            "count": "2",
            "attributes": "userName",
        },
        headers=ADMIN,
    )
    body = resp.json()
    assert body["totalResults"] == 5 and body["startIndex"] == 2 and body["itemsPerPage"] == 2
    assert [r["userName"] for r in body["Resources"]] == ["bob", "carol"]
    assert set(body["Resources"][0]) == {"schemas", "id", "userName"}
    desc = await h.client.get(
        "/scim2/Users",
        params={"sortBy": "displayName", "sortOrder": "descending", "count": "2",
                "excludedAttributes": "meta,emails,groups"},
        headers=ADMIN,
    )  # fmt: skip
    names = [r["userName"] for r in desc.json()["Resources"]]
    assert names == ["erin", "dave"]
    assert "meta" not in desc.json()["Resources"][0]
    zero = await h.client.get("/scim2/Users", params={"count": "0"}, headers=ADMIN)
    assert zero.json()["totalResults"] == 6 and zero.json()["Resources"] == []
    # Cursor pagination (RFC 9865): every user once, in userName order.
    seen: list[str] = []
    cursor = ""
    for _ in range(10):
        page = await h.client.get(
            "/scim2/Users",
            params={"cursor": cursor, "count": "2", "sortBy": "userName"},
            headers=ADMIN,
        )
        assert page.status_code == 200, page.text
        seen += [r["userName"] for r in page.json()["Resources"]]
        cursor = page.json().get("nextCursor")
        if not cursor:
            break
    assert seen == sorted(["admin", "alice", "bob", "carol", "dave", "erin"])
    search = await h.client.post(
        "/scim2/Users/.search",
        json={
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
            "filter": 'userName sw "a"',
            "attributes": ["userName"],
            "sortBy": "userName",
        },
        headers=JSON,
    )
    assert [r["userName"] for r in search.json()["Resources"]] == ["admin", "alice"]
    bad = await h.client.get("/scim2/Users", params={"sortBy": "nosuch"}, headers=ADMIN)
    assert_error(bad, 400, "invalidValue")
    bad = await h.client.get("/scim2/Users", params={"attributes": "nosuch"}, headers=ADMIN)
    assert_error(bad, 400, "invalidValue")


async def test_patch_path_forms(h: Harness) -> None:
    user = await create_user(
        h,
        "paths",
        emails=[{"value": "w@example.com", "type": "work", "primary": True}],
        addresses=[{"type": "work", "locality": "Paris"}],
        **{ENTERPRISE: {"employeeNumber": "1"}},
    )
    ops = [
        {"op": "add", "path": 'emails[type eq "home"].value', "value": "h@example.com"},
        {"op": "replace", "path": 'emails[type eq "home"].primary', "value": True},
        {"op": "replace", "path": "name.givenName", "value": "Pat"},
        {"op": "replace", "path": f"{ENTERPRISE}:manager.value", "value": "boss-id"},
        {"op": "add", "path": f"{ENTERPRISE}:department", "value": "R&D"},
        {"op": "replace", "path": 'addresses[type eq "work"].locality', "value": "Lyon"},
        {"op": "replace", "value": {"displayName": "Pat P", "name.familyName": "P",
                                    f"{ENTERPRISE}:costCenter": "42"}},
        {"op": "replace", "path": "active", "value": "False"},
        {"op": "remove", "path": f"{ENTERPRISE}:employeeNumber"},
    ]  # fmt: skip
    resp = await h.client.patch(
        f"/scim2/Users/{user['id']}", json={"schemas": [PATCH], "Operations": ops}, headers=JSON
    )
    assert resp.status_code == 200, resp.text
    doc = resp.json()
    assert doc["emails"] == [
        {"value": "w@example.com", "type": "work"},
        {"value": "h@example.com", "type": "home", "primary": True},
    ]
    assert doc["name"] == {"givenName": "Pat", "familyName": "P"}
    assert doc["displayName"] == "Pat P" and doc["active"] is False
    assert doc["addresses"] == [{"type": "work", "locality": "Lyon"}]
    assert doc[ENTERPRISE] == {
        "manager": {"value": "boss-id"},
        "department": "R&D",
        "costCenter": "42",
    }
    # Filters see the stored values.
    for expression, expected in [
        ('emails[type eq "home" and primary eq true]', 1),
        ('addresses[locality eq "lyon"]', 1),
        (f'{ENTERPRISE}:manager.value eq "boss-id"', 1),
        ("active eq false", 1),
        ('addresses.locality eq "paris"', 0),
    ]:
        found = await h.client.get("/scim2/Users", params={"filter": expression}, headers=ADMIN)
        assert found.json()["totalResults"] == expected, expression
    # Removing the extension object entirely.
    resp = await h.client.patch(
        f"/scim2/Users/{user['id']}",
        json={"schemas": [PATCH], "Operations": [{"op": "remove", "path": ENTERPRISE}]},
        headers=JSON,
    )
    assert ENTERPRISE not in resp.json() and resp.json()["schemas"] == [USER]


async def test_bulk_with_bulk_ids_and_fail_on_errors(h: Harness) -> None:
    await create_user(h, "taken")
    body = {
        "schemas": [BULK],
        "Operations": [
            {"method": "POST", "path": "/Groups", "bulkId": "g1",
             "data": {"schemas": [GROUP], "displayName": "Team",
                      "members": [{"value": "bulkId:u1"}]}},
            {"method": "POST", "path": "/Users", "bulkId": "u1",
             "data": {"schemas": [USER], "userName": "newbie"}},
            {"method": "POST", "path": "/Users", "bulkId": "u2",
             "data": {"schemas": [USER], "userName": "taken"}},
            {"method": "PATCH", "path": "/Users/bulkId:u1",
             "data": {"schemas": [PATCH], "Operations": [
                 {"op": "add", "path": "title", "value": "New"}]}},
            {"method": "POST", "path": "/Groups", "bulkId": "g2",
             "data": {"schemas": [GROUP], "displayName": "Other",
                      "members": [{"value": "bulkId:u2"}]}},
        ],
    }  # fmt: skip
    resp = await h.client.post("/scim2/Bulk", json=body, headers=JSON)
    assert resp.status_code == 200, resp.text
    results = {op["bulkId"]: op for op in resp.json()["Operations"] if "bulkId" in op}
    assert results["u1"]["status"] == "201" and results["g1"]["status"] == "201"
    assert results["u2"]["status"] == "409"
    assert results["u2"]["response"]["scimType"] == "uniqueness"
    assert results["g2"]["status"] == "409"  # refers to the failed u2
    patched = next(op for op in resp.json()["Operations"] if op["method"] == "PATCH")
    assert patched["status"] == "200"
    team = await h.client.get(
        "/scim2/Groups", params={"filter": 'displayName eq "Team"'}, headers=ADMIN
    )
    members = team.json()["Resources"][0]["members"]
    assert [m["display"] for m in members] == ["newbie"]
    newbie = await h.client.get(results["u1"]["location"], headers=ADMIN)
    assert newbie.json()["title"] == "New"
    other = await h.client.get(
        "/scim2/Groups", params={"filter": 'displayName eq "Other"'}, headers=ADMIN
    )
    assert other.json()["totalResults"] == 0

    stop = {
        "schemas": [BULK],
        "failOnErrors": 1,
        "Operations": [
            {"method": "POST", "path": "/Users", "bulkId": "a", "data": {"schemas": [USER]}},
            {"method": "POST", "path": "/Users", "bulkId": "b",
             "data": {"schemas": [USER], "userName": "never"}},
        ],
    }  # fmt: skip
    resp = await h.client.post("/scim2/Bulk", json=stop, headers=JSON)
    ops = resp.json()["Operations"]
    assert [op["bulkId"] for op in ops] == ["a"] and ops[0]["status"] == "400"
    found = await h.client.get(
        "/scim2/Users", params={"filter": 'userName eq "never"'}, headers=ADMIN
    )
    assert found.json()["totalResults"] == 0


async def test_me_roles_and_permissions(h: Harness) -> None:
    me = await h.client.get("/scim2/Me", headers=ADMIN)
    assert me.status_code == 200 and me.json()["userName"] == "admin"
    assert [r["display"] for r in me.json()["roles"]] == ["administrator"]
    changed = await h.client.patch(
        "/scim2/Me",
        json={"schemas": [PATCH], "Operations": [{"op": "add", "path": "nickName", "value": "A"}]},
        headers=JSON,
    )
    assert changed.json()["nickName"] == "A"
    refused = await h.client.patch(
        "/scim2/Me",
        json={
            "schemas": [PATCH],
            "Operations": [{"op": "replace", "path": "active", "value": False}],
        },
        headers=JSON,
    )
    assert_error(refused, 400, "mutability")

    user = await create_user(h, "reader")
    role = await h.client.post(
        "/scim2/Roles",
        json={
            "schemas": ["urn:ietf:params:scim:schemas:extension:2.0:Role"],
            "displayName": "readers",
            "permissions": [{"value": "users:read"}],
            "users": [{"value": user["id"]}],
        },
        headers=JSON,
    )
    assert role.status_code == 201, role.text
    assert role.json()["users"][0]["display"] == "reader"
    listed = await h.client.get(
        "/scim2/v2/Roles", params={"filter": 'permissions.value eq "users:read" and displayName eq "readers"'},
        headers=ADMIN,
    )  # fmt: skip
    assert listed.json()["totalResults"] == 1
    bad = await h.client.post(
        "/scim2/Roles",
        json={"schemas": ["urn:ietf:params:scim:schemas:extension:2.0:Role"],
              "displayName": "x", "permissions": [{"value": "everything"}]},
        headers=JSON,
    )  # fmt: skip
    assert_error(bad, 400, "invalidValue")

    read_only = await h.m2m_token("root", ["users:read"])
    bearer = {"authorization": f"Bearer {read_only}"}
    assert (await h.client.get("/scim2/Users", headers=bearer)).status_code == 200
    denied = await h.client.post(
        "/scim2/Users", json={"schemas": [USER], "userName": "no"}, headers=bearer
    )
    assert_error(denied, 403, None)
    assert_error(await h.client.get("/scim2/Groups", headers=bearer), 403, None)
    assert_error(await h.client.get("/scim2/Me", headers=bearer), 404, None)
    assert_error(await h.client.get("/scim2/Users"), 401, None)
    bogus = {"authorization": "Bearer not-a-token"}
    assert_error(await h.client.get("/scim2/Users", headers=bogus), 401, None)


async def test_organizations_are_isolated(h: Harness) -> None:
    await h.create_org("acme")
    await h.create_org("globex")
    acme = {"authorization": f"Bearer {await h.m2m_token('acme', ['users:read', 'users:write'])}"}
    created = await h.client.post(
        "/o/acme/scim2/Users", json={"schemas": [USER], "userName": "wile"}, headers=acme
    )
    assert created.status_code == 201, created.text
    assert created.json()["meta"]["location"].startswith("http://localhost:8000/o/acme/scim2/")
    for path in ("/o/globex/scim2/Users", "/scim2/Users", "/o/nosuch/scim2/Users"):
        assert_error(await h.client.get(path, headers=acme), 404, None)
    # The root organization's administrator reaches acme, but acme's users are not root's.
    root_view = await h.client.get(
        "/scim2/Users", params={"filter": 'userName eq "wile"'}, headers=ADMIN
    )
    assert root_view.json()["totalResults"] == 0
    other = await h.client.get(f"/scim2/Users/{created.json()['id']}", headers=ADMIN)
    assert_error(other, 404, None)
    inside = await h.client.get(f"/o/acme/scim2/Users/{created.json()['id']}", headers=ADMIN)
    assert inside.status_code == 200


async def test_custom_extension(h: Harness) -> None:
    urn = "urn:example:params:scim:schemas:extension:badge:2.0:User"
    async with h.services.sessions.begin() as session:
        org = await session.scalar(select(Organization).where(Organization.handle == "root"))
        assert org is not None
        await scim_schemas.set_extensions(
            session,
            org,
            [
                {
                    "resourceType": "User",
                    "schema": {
                        "id": urn,
                        "name": "Badge",
                        "attributes": [
                            {"name": "badgeNumber", "type": "integer"},
                            {"name": "clearance", "type": "string", "caseExact": True},
                            {"name": "zones", "type": "string", "multiValued": True},
                        ],
                    },
                }
            ],
            SYSTEM,
        )
    schema = await h.client.get(f"/scim2/Schemas/{urn}", headers=ADMIN)
    assert schema.status_code == 200 and schema.json()["attributes"][0]["name"] == "badgeNumber"
    types = await h.client.get("/scim2/ResourceTypes/User", headers=ADMIN)
    assert {e["schema"] for e in types.json()["schemaExtensions"]} == {ENTERPRISE, urn}
    resp = await h.client.post(
        "/scim2/Users",
        json={"schemas": [USER, urn], "userName": "badged",
              urn: {"badgeNumber": 7, "clearance": "Top", "zones": ["A", "B"]}},
        headers=JSON,
    )  # fmt: skip
    assert resp.status_code == 201, resp.text
    assert resp.json()[urn] == {"badgeNumber": 7, "clearance": "Top", "zones": ["A", "B"]}
    for expression, expected in [
        (f"{urn}:badgeNumber gt 5", 1),
        (f"{urn}:badgeNumber lt 5", 0),
        (f'{urn}:clearance eq "Top"', 1),
        (f'{urn}:clearance eq "top"', 0),  # caseExact
        (f'{urn}:zones eq "b"', 1),
    ]:
        found = await h.client.get("/scim2/Users", params={"filter": expression}, headers=ADMIN)
        assert found.status_code == 200, found.text
        assert found.json()["totalResults"] == expected, expression
    wrong = await h.client.post(
        "/scim2/Users",
        json={"schemas": [USER, urn], "userName": "x", urn: {"badgeNumber": "seven"}},
        headers=JSON,
    )
    assert_error(wrong, 400, "invalidValue")


async def test_extensions_through_put_schemas(h: Harness) -> None:
    urn = "urn:example:params:scim:schemas:extension:team:1.0:User"
    body = {
        "extensions": [
            {
                "resourceType": "User",
                "schema": {"id": urn, "attributes": [{"name": "costCenter", "type": "string"}]},
            }
        ]
    }
    users_only = await h.m2m_token("root", ["users:read", "users:write"])
    denied = await h.client.put(
        "/scim2/Schemas", json=body, headers={"authorization": f"Bearer {users_only}"}
    )
    assert_error(denied, 403, None)
    for wrong in (
        {"extensions": [{"schema": {"id": "urn:x:y", "attributes": [{"name": "1"}]}}]},
        {"extensions": [{**body["extensions"][0], "resourceType": "Group"}]},
    ):
        assert_error(
            await h.client.put("/scim2/Schemas", json=wrong, headers=JSON), 400, "invalidValue"
        )
    done = await h.client.put("/scim2/Schemas", json=body, headers=JSON)
    assert done.status_code == 200, done.text
    assert urn in {s["id"] for s in done.json()["Resources"]}
    user = await h.client.post(
        "/scim2/Users",
        json={"schemas": [USER, urn], "userName": "ops", urn: {"costCenter": "CC-7"}},
        headers=JSON,
    )
    assert user.status_code == 201, user.text
    assert user.json()[urn] == {"costCenter": "CC-7"}
