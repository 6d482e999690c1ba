"""Bad input gets a 4xx problem+json with a clear message, and never a half-written change."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from tests.api.helpers import assert_problem, db_snapshot, ok, pointers, populate
from tests.support import ADMIN, Harness

ROOT = "/api/v1/orgs/root"
JSON = {**ADMIN, "content-type": "application/json"}

# One creation route per resource, with a valid body to spoil.
CREATES: dict[str, dict[str, Any]] = {
    "users": {"username": "zed", "password": "zed-password-1"},
    "groups": {"name": "zed"},
    "roles": {"name": "zed", "permissions": ["users:read"]},
    "user-stores": {"identifier": "ZED"},
    "applications": {"name": "zed", "type": "m2m"},
    "identity-providers": {"name": "zed", "kind": "google", "config": {"client_id": "z"}},
    "claims": {"uri": "urn:zed", "display_name": "Zed"},
    "domains": {"domain": "zed.example.com"},
}
# A field of each body and a value of the wrong JSON type for it.
WRONG_TYPES: dict[str, tuple[str, Any]] = {
    "users": ("username", 123),
    "groups": ("name", ["zed"]),
    "roles": ("permissions", "users:read"),
    "user-stores": ("position", "first"),
    "applications": ("scopes", {"a": 1}),
    "identity-providers": ("config", "https://idp.example.com"),
    "claims": ("multi_valued", [True]),
    "domains": ("domain", 42),
}


async def ready(h: Harness) -> dict[str, list[str]]:
    """Authenticate once (Basic remembers a verified password), then snapshot the database."""
    await ok(await h.client.get(ROOT, headers=ADMIN))
    return await db_snapshot(h)


async def test_malformed_json_is_400(h: Harness) -> None:
    ids = await populate(h, "root")
    before = await ready(h)
    bodies = [b'{"username": ', b"{'single': 'quotes'}", b"\xff\xfe", b'{"a": NaN}', b"[1,]"]
    targets = [("POST", f"{ROOT}/{name}") for name in CREATES] + [
        ("PATCH", f"{ROOT}/users/{ids['user_id']}"),
        ("PATCH", f"{ROOT}/roles/{ids['role_id']}"),
        ("PUT", f"{ROOT}/groups/{ids['group_id']}/members"),
    ]
    for method, url in targets:
        for body in bodies:
            resp = await h.client.request(method, url, content=body, headers=JSON)
            assert_problem(resp, 400)
    assert await db_snapshot(h) == before


async def test_wrong_types_and_unknown_fields_are_422_with_pointers(h: Harness) -> None:
    before = await ready(h)
    for name, body in CREATES.items():
        field, value = WRONG_TYPES[name]
        resp = await h.client.post(f"{ROOT}/{name}", json={**body, field: value}, headers=ADMIN)
        problem = assert_problem(resp, 422)
        assert problem["errors"] and f"/{field}" in pointers(resp), (name, resp.text)
        assert all("input" not in e for e in problem["errors"])  # submitted values not echoed
        resp = await h.client.post(f"{ROOT}/{name}", json={**body, "is_admin": True}, headers=ADMIN)
        assert_problem(resp, 422)
        assert pointers(resp) == {"/is_admin"}, (name, resp.text)
        # A body that is not an object at all.
        assert_problem(await h.client.post(f"{ROOT}/{name}", json=[body], headers=ADMIN), 422)
    # Nested: an unknown field inside the IdP configuration.
    resp = await h.client.post(
        f"{ROOT}/identity-providers",
        json={**CREATES["identity-providers"], "config": {"client_id": "z", "extra": 1}},
        headers=ADMIN,
    )
    assert pointers(resp) == {"/config/extra"}
    assert await db_snapshot(h) == before


async def test_text_no_database_can_store_is_refused(h: Harness) -> None:
    ids = await populate(h, "root")
    before = await ready(h)
    cases = [
        (f"{ROOT}/groups", '{"name": "a\\u0000b"}', "/name"),
        (f"{ROOT}/users", '{"username": "nul", "claims": {"k": ["x\\u0000"]}}', "/claims/k/0"),
        (f"{ROOT}/users", '{"username": "sur", "claims": {"\\ud800": 1}}', "/claims/\\ud800"),
        (f"{ROOT}/users", '{"username": "lone\\udc00"}', "/username"),
        (f"{ROOT}/claims", '{"uri": "urn:x", "display_name": "\\ud83d"}', "/display_name"),
        (f"{ROOT}/users", '{"username": "inf", "claims": {"n": [1, 1e999]}}', "/claims/n/1"),
        (f"{ROOT}/users", '{"username": "ninf", "claims": {"n": -1E400}}', "/claims/n"),
    ]
    for url, raw, pointer in cases:
        resp = await h.client.post(url, content=raw.encode(), headers=JSON)
        assert_problem(resp, 422)
        assert pointers(resp) == {pointer}, (raw, resp.text)
    deep: Any = "x"
    for _ in range(40):
        deep = {"k": deep}
    resp = await h.client.post(
        f"{ROOT}/users", json={"username": "deep", "claims": deep}, headers=ADMIN
    )
    assert_problem(resp, 422)
    # NUL in a path or query parameter.
    assert_problem(await h.client.get(f"{ROOT}/users/a%00b", headers=ADMIN), 404)
    assert_problem(await h.client.get("/api/v1/orgs/ro%00ot/users", headers=ADMIN), 404)
    assert_problem(await h.client.get(f"{ROOT}/users?username=a%00", headers=ADMIN), 422)
    resp = await h.client.get(f"{ROOT}/groups/{ids['group_id']}/members?cursor=%00", headers=ADMIN)
    assert resp.status_code in (400, 422)
    assert await db_snapshot(h) == before


async def test_oversized_bodies_are_413(h: Harness) -> None:
    limit = h.settings.http.max_body_bytes
    before = await ready(h)
    big = json.dumps({"username": "big", "claims": {"blob": "x" * limit}}).encode()
    assert len(big) > limit
    assert_problem(await h.client.post(f"{ROOT}/users", content=big, headers=JSON), 413)

    async def chunks() -> AsyncIterator[bytes]:  # no content-length: counted as it arrives
        for start in range(0, len(big), 65536):
            yield big[start : start + 65536]

    resp = await h.client.post(f"{ROOT}/users", content=chunks(), headers=JSON)
    assert_problem(resp, 413)
    # Just under the limit is accepted (and then judged on its content).
    small = json.dumps({"username": "small", "claims": {"blob": "x" * (limit - 100)}}).encode()
    assert len(small) <= limit
    assert (await h.client.post(f"{ROOT}/users", content=small, headers=JSON)).status_code != 413
    after = await db_snapshot(h)
    assert {k: v for k, v in after.items() if k not in ("users", "audit_events")} == {
        k: v for k, v in before.items() if k not in ("users", "audit_events")
    }
    assert not any("'big'" in row for row in after["users"])


async def test_invalid_emails_and_phone_numbers(h: Harness) -> None:
    before = await ready(h)
    for value in ("not-an-email", "a@", "@example.com", "a b@example.com", "a@example..com", ""):
        resp = await h.client.post(
            f"{ROOT}/users",
            json={"username": "e", "emails": [{"value": "ok@example.com"}, {"value": value}]},
            headers=ADMIN,
        )
        assert_problem(resp, 422)
        assert pointers(resp) == {"/emails/1/value"}, (value, resp.text)
    resp = await h.client.post(
        f"{ROOT}/users",
        json={"username": "e", "phone_numbers": [{"value": "555-1234"}]},
        headers=ADMIN,
    )
    assert pointers(resp) == {"/phone_numbers/0/value"}
    two_primary = [
        {"value": "a@example.com", "primary": True},
        {"value": "b@example.com", "primary": True},
    ]
    resp = await h.client.post(
        f"{ROOT}/users", json={"username": "e", "emails": two_primary}, headers=ADMIN
    )
    assert pointers(resp) == {"/emails"}
    assert await db_snapshot(h) == before


async def test_duplicates_are_409(h: Harness) -> None:
    ids = await populate(h, "root")
    before = await ready(h)
    for username in ("root-alice", "ROOT-Alice", "admin"):
        resp = await h.client.post(f"{ROOT}/users", json={"username": username}, headers=ADMIN)
        assert "taken" in assert_problem(resp, 409)["detail"]
    # Even in another store of the same organization: login needs no store name.
    store = await h.client.get(f"{ROOT}/user-stores/{ids['store_id']}", headers=ADMIN)
    assert store.json()["identifier"] == "SECONDARY"
    resp = await h.client.post(
        f"{ROOT}/users", json={"username": "root-alice", "user_store": "SECONDARY"}, headers=ADMIN
    )
    assert_problem(resp, 409)
    for name, body in (
        ("groups", {"name": "root-staff"}),
        ("roles", {"name": "root-auditor"}),
        ("roles", {"name": "administrator"}),
        ("applications", {"name": "root-app", "type": "m2m"}),
        ("user-stores", {"identifier": "SECONDARY"}),
        (
            "identity-providers",
            {"name": "root-google", "kind": "google", "config": {"client_id": "x"}},
        ),
        ("claims", {"uri": "http://identra.dev/claims/root/department", "display_name": "D"}),
        ("domains", {"domain": "root.example.com"}),
    ):
        assert_problem(await h.client.post(f"{ROOT}/{name}", json=body, headers=ADMIN), 409)
    # Renaming onto an existing name too.
    other = await ok(
        await h.client.post(f"{ROOT}/groups", json={"name": "other"}, headers=ADMIN), 201
    )
    before = await db_snapshot(h)
    resp = await h.client.patch(
        f"{ROOT}/groups/{other['id']}", json={"name": "root-staff"}, headers=ADMIN
    )
    assert_problem(resp, 409)
    assert await db_snapshot(h) == before


ITEMS = (
    ("users", "user_id", {"display_name": "X"}),
    ("groups", "group_id", {"description": "X"}),
    ("roles", "role_id", {"description": "X"}),
    ("user-stores", "store_id", {"description": "X"}),
    ("applications", "app_id", {"description": "X"}),
    ("identity-providers", "idp_id", {"enabled": False}),
    ("claims", "claim_id", {"description": "X"}),
)


async def test_stale_if_match_is_412(h: Harness) -> None:
    ids = await populate(h, "root")
    before = await ready(h)
    for route, key, change in ITEMS:
        url = f"{ROOT}/{route}/{ids[key]}"
        got = await h.client.get(url, headers=ADMIN)
        etag = got.headers["etag"]
        stale = '"999"'
        assert etag != stale
        assert_problem(
            await h.client.patch(url, json=change, headers={**ADMIN, "if-match": stale}), 412
        )
        assert_problem(await h.client.delete(url, headers={**ADMIN, "if-match": stale}), 412)
        # A list of tags containing the current one matches; so does *.
        matched = await h.client.get(url, headers=ADMIN)
        assert matched.headers["etag"] == etag
    group = f"{ROOT}/groups/{ids['group_id']}"
    for method, suffix, body in (
        ("PUT", "/members", {"user_ids": []}),
        ("POST", "/members", {"user_id": ids["user_id"]}),
        ("DELETE", f"/members/{ids['user_id']}", None),
    ):
        resp = await h.client.request(
            method, group + suffix, json=body, headers={**ADMIN, "if-match": '"999"'}
        )
        assert_problem(resp, 412)
    assert_problem(
        await h.client.post(
            f"{ROOT}/applications/{ids['app_id']}/secret", headers={**ADMIN, "if-match": '"9"'}
        ),
        412,
    )
    assert await db_snapshot(h) == before
    # The current tag (alone, in a list, or *) is accepted.
    url = f"{ROOT}/groups/{ids['group_id']}"
    etag = (await h.client.get(url, headers=ADMIN)).headers["etag"]
    resp = await h.client.patch(
        url, json={"description": "fresh"}, headers={**ADMIN, "if-match": f'"0", {etag}'}
    )
    await ok(resp)
    assert resp.headers["etag"] != etag
    await ok(
        await h.client.patch(url, json={"description": "any"}, headers={**ADMIN, "if-match": "*"})
    )


async def test_explicit_null_for_a_required_field_is_422(h: Harness) -> None:
    ids = await populate(h, "root")
    before = await ready(h)
    cases = [
        ("users", "user_id", ["status", "emails", "phone_numbers", "claims"]),
        ("groups", "group_id", ["name", "description"]),
        ("roles", "role_id", ["name", "description", "permissions"]),
        ("user-stores", "store_id", ["description", "position", "read_only", "enabled"]),
        ("applications", "app_id", ["name", "enabled", "redirect_uris", "scopes"]),
        ("identity-providers", "idp_id", ["name", "enabled", "config"]),
        ("claims", "claim_id", ["display_name", "data_type", "required"]),
    ]
    for route, key, fields in cases:
        for field in fields:
            resp = await h.client.patch(
                f"{ROOT}/{route}/{ids[key]}", json={field: None}, headers=ADMIN
            )
            assert_problem(resp, 422)
            assert pointers(resp) == {f"/{field}"}, (route, field, resp.text)
        # An empty change is refused too.
        assert_problem(
            await h.client.patch(f"{ROOT}/{route}/{ids[key]}", json={}, headers=ADMIN), 422
        )
    for field in ("name", "status"):
        resp = await h.client.patch(ROOT, json={field: None}, headers=ADMIN)
        assert pointers(resp) == {f"/{field}"}
    assert await db_snapshot(h) == before
    # Nullable fields may be cleared.
    cleared = await ok(
        await h.client.patch(
            f"{ROOT}/users/{ids['user_id']}",
            json={"display_name": None, "locale": None, "password": None},
            headers=ADMIN,
        )
    )
    assert cleared["has_password"] is False and cleared["display_name"] is None


async def test_bad_paging_and_filters_are_4xx(h: Harness) -> None:
    await populate(h, "root")
    before = await ready(h)
    for route in ("users", "groups", "roles", "claims", "user-stores", "domains", "audit-events"):
        for query in (
            "limit=0",
            "limit=100000",
            "limit=x",
            "cursor=!!",
            "cursor=WzEsMl0",  # [1,2]
            "cursor=WyI5OTk5LTEyLTMxVDIzOjU5OjU5LTIzOjU5IiwgImEiXQ",  # 9999-12-31T23:59:59-23:59
            "cursor=WyIyMDIwLTAxLTAxVDAwOjAwOjAwIiwgImEiXQ",  # a naive date-time
        ):
            resp = await h.client.get(f"{ROOT}/{route}?{query}", headers=ADMIN)
            assert resp.status_code in (400, 422), (route, query, resp.text)
            assert resp.headers["content-type"] == "application/problem+json"
    assert await db_snapshot(h) == before
