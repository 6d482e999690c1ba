"""Pre-update password and pre-update profile actions on the administrative write paths: the
management API (``/api/v1/orgs/{org}/users``) and SCIM (``/o/{org}/scim2/Users``), with real
HTTP services on loopback.

A refusal changes nothing and answers 422 problem+json (management API) or a SCIM 400
``invalidValue`` (SCIM) with the service's words; a service that gives no usable answer under
``fail_closed`` answers 503 and changes nothing; under ``fail_open`` the change is made. The
service learns who made the change (``initiatorType`` ADMIN for a person's credentials,
APPLICATION for a client-credentials token) and what it is (``action`` UPDATE, or REGISTER for
a user created with a password).
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
import pytest_asyncio
from sqlalchemy import func, select

from identra.crypto.passwords import verify_password
from identra.storage.models import Organization, User
from tests.actions.service import Answer, ExtService, Received
from tests.actions.support import action_audits, create_action
from tests.support import ADMIN, Harness, harness

pytestmark = pytest.mark.asyncio(loop_scope="module")

FIRST = "first-Passw0rd-ok"
BREACHED = "breached-Passw0rd-1"
FRESH = "fresh-Passw0rd-2024"
REASON = "This password appeared in a data breach. Choose another one."
NAME_REASON = "Names may not contain the word admin."
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
BULK = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
SCIM = {"content-type": "application/scim+json"}
SCHEMAS = Path(__file__).resolve().parents[2] / "docs" / "actions"


def follows_schema(kind: str, requests: list[Received]) -> None:
    """Each request validates against the published request schema of ``kind``."""
    schema = json.loads((SCHEMAS / f"{kind}.request.schema.json").read_text())
    validator = jsonschema_rs.Draft202012Validator(schema)
    for request in requests:
        errors = [str(e) for e in validator.iter_errors(request.json)]
        assert not errors, (kind, errors)


def sha256_b64(value: str) -> str:
    return base64.b64encode(hashlib.sha256(value.encode()).digest()).decode()


def breach_check(req: Received) -> Answer:
    credential = req.json["event"]["user"]["updatingCredential"]
    if credential["value"] == sha256_b64(BREACHED):
        return Answer(
            200,
            {
                "actionStatus": "FAILED",
                "failureReason": "password_breached",
                "failureDescription": REASON,
            },
        )
    return Answer(200, {"actionStatus": "SUCCESS"})


def no_admins(req: Received) -> Answer:
    for claim in req.json["event"]["request"]["claims"]:
        if "admin" in str(claim["value"]).lower():
            return Answer(
                200,
                {
                    "actionStatus": "FAILED",
                    "failureReason": "invalidValue",
                    "failureDescription": NAME_REASON,
                },
            )
    return Answer(200, {"actionStatus": "SUCCESS"})


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def h(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Harness]:
    async with harness(tmp_path_factory.mktemp("admin-updates")) as value:
        yield value


async def new_org(h: Harness) -> str:
    handle = "o" + uuid.uuid4().hex[:10]
    await h.create_org(handle)
    return handle


async def make_user(h: Harness, handle: str, username: str, **fields: Any) -> dict[str, Any]:
    body = {"username": username, "password": FIRST, "given_name": "Alice", **fields}
    resp = await h.client.post(f"/api/v1/orgs/{handle}/users", json=body, headers=ADMIN)
    assert resp.status_code == 201, resp.text
    return dict(resp.json())


async def stored(h: Harness, user_id: str) -> User | None:
    async with h.services.sessions() as session:
        return await session.get(User, user_id)


async def password_is(h: Harness, user_id: str, password: str) -> bool:
    user = await stored(h, user_id)
    assert user is not None and user.password_hash
    return verify_password(user.password_hash, password).ok


async def users_named(h: Harness, handle: str, username: str) -> int:
    async with h.services.sessions() as session:
        org_id = await session.scalar(select(Organization.id).where(Organization.handle == handle))
        return int(
            await session.scalar(
                select(func.count(User.id)).where(
                    User.org_id == org_id, User.username_normalized == username.lower()
                )
            )
            or 0
        )


def assert_problem(resp: Any, status: int, fragment: str) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = resp.json()
    assert body["status"] == status and fragment in body["detail"], body
    return body


def assert_scim_error(resp: Any, status: int, scim_type: str | None, fragment: str) -> None:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/scim+json")
    body = resp.json()
    assert body["schemas"] == [ERROR] and body["status"] == str(status)
    assert body.get("scimType") == scim_type
    assert fragment in body["detail"], body


async def bearer(h: Harness, handle: str) -> dict[str, str]:
    token = await h.m2m_token(handle, ["users:read", "users:write"])
    return {"authorization": f"Bearer {token}"}


# ---- management API ----------------------------------------------------------------------


async def test_an_admin_password_set_is_refused_with_the_services_reason(h: Harness) -> None:
    handle = await new_org(h)
    user = await make_user(h, handle, "bob")
    with ExtService(breach_check) as svc:
        action = await create_action(h, handle, type="preUpdatePassword", endpoint=svc.url)
        path = f"/api/v1/orgs/{handle}/users/{user['id']}"
        refused = await h.client.patch(
            path, json={"password": BREACHED, "given_name": "Bobby"}, headers=ADMIN
        )
        body = assert_problem(refused, 422, REASON)
        assert body["errors"] == [{"pointer": "/password", "detail": REASON}]
        # Nothing changed: not the password, not the other field, not the version.
        assert await password_is(h, user["id"], FIRST)
        after = await h.client.get(path, headers=ADMIN)
        assert after.json()["given_name"] == "Alice"
        assert (
            after.headers["etag"] == f'W/"{user["version"]}"'
            or after.json()["version"] == (user["version"])
        )
        # What the service received.
        [sent] = svc.requests
        assert BREACHED not in sent.body.decode()
        event = sent.json["event"]
        assert sent.json["actionType"] == "PRE_UPDATE_PASSWORD"
        assert event["initiatorType"] == "ADMIN" and event["action"] == "UPDATE"
        assert event["user"]["id"] == user["id"]
        assert event["userStore"]["name"] == "PRIMARY" and event["userStore"]["id"]
        assert event["tenant"]["name"] == handle
        # Allowed: changed.
        ok = await h.client.patch(path, json={"password": FRESH}, headers=ADMIN)
        assert ok.status_code == 200, ok.text
        assert await password_is(h, user["id"], FRESH)
        records = await action_audits(h, action["id"])
        assert [r.outcome for r in records] == ["failure", "success"]
        follows_schema("pre-update-password", svc.requests)
        assert all(r.actor_type == "user" for r in records)
        # Removing the password sends nothing (there is no new password to check).
        cleared = await h.client.patch(path, json={"password": None}, headers=ADMIN)
        assert cleared.status_code == 200 and cleared.json()["has_password"] is False
        assert len(svc.requests) == 2


async def test_the_initiator_follows_the_token(h: Harness) -> None:
    handle = await new_org(h)
    user = await make_user(h, handle, "carol")
    app = await bearer(h, handle)
    with ExtService() as every, ExtService() as admins_only:
        await create_action(h, handle, name="every", type="preUpdatePassword", endpoint=every.url)
        await create_action(
            h,
            handle,
            name="admins-only",
            type="preUpdatePassword",
            endpoint=admins_only.url,
            rule={
                "condition": "OR",
                "rules": [
                    {
                        "condition": "AND",
                        "expressions": [
                            {
                                "field": "flow",
                                "operator": "equals",
                                "value": "adminInitiatedPasswordUpdate",
                            }
                        ],
                    }
                ],
            },
        )
        path = f"/api/v1/orgs/{handle}/users/{user['id']}"
        by_admin = await h.client.patch(path, json={"password": FRESH}, headers=ADMIN)
        assert by_admin.status_code == 200, by_admin.text
        by_app = await h.client.patch(path, json={"password": FIRST}, headers=app)
        assert by_app.status_code == 200, by_app.text
        assert [r.json["event"]["initiatorType"] for r in every.requests] == [
            "ADMIN",
            "APPLICATION",
        ]
        assert {r.json["event"]["action"] for r in every.requests} == {"UPDATE"}
        # The rule on the flow: only the administrator's change reached the second action.
        assert [r.json["event"]["initiatorType"] for r in admins_only.requests] == ["ADMIN"]
        assert await password_is(h, user["id"], FIRST)


async def test_a_user_created_with_a_password_is_checked_as_a_registration(h: Harness) -> None:
    handle = await new_org(h)
    with ExtService(breach_check) as svc:
        await create_action(h, handle, type="preUpdatePassword", endpoint=svc.url)
        refused = await h.client.post(
            f"/api/v1/orgs/{handle}/users",
            json={"username": "dave", "password": BREACHED},
            headers=ADMIN,
        )
        assert_problem(refused, 422, REASON)
        assert await users_named(h, handle, "dave") == 0
        created = await h.client.post(
            f"/api/v1/orgs/{handle}/users",
            json={"username": "dave", "password": FRESH},
            headers=ADMIN,
        )
        assert created.status_code == 201, created.text
        assert await password_is(h, created.json()["id"], FRESH)
        event = svc.requests[-1].json["event"]
        assert event["action"] == "REGISTER" and event["initiatorType"] == "ADMIN"
        assert event["user"]["id"] == created.json()["id"]
        assert event["userStore"]["name"] == "PRIMARY"
        follows_schema("pre-update-password", svc.requests)
        # Without a password, no password action; a taken username is a 409 before any call.
        calls = len(svc.requests)
        bare = await h.client.post(
            f"/api/v1/orgs/{handle}/users", json={"username": "erin"}, headers=ADMIN
        )
        assert bare.status_code == 201
        taken = await h.client.post(
            f"/api/v1/orgs/{handle}/users",
            json={"username": "dave", "password": FRESH},
            headers=ADMIN,
        )
        assert taken.status_code == 409
        assert len(svc.requests) == calls


async def test_an_admin_profile_change_can_be_refused(h: Harness) -> None:
    handle = await new_org(h)
    user = await make_user(
        h, handle, "frank", family_name="Castle", emails=[{"value": "f@example.com"}]
    )
    with ExtService(no_admins) as svc:
        await create_action(
            h,
            handle,
            type="preUpdateProfile",
            endpoint=svc.url,
            config={"attributes": ["http://wso2.org/claims/lastname"]},
        )
        path = f"/api/v1/orgs/{handle}/users/{user['id']}"
        refused = await h.client.patch(
            path, json={"given_name": "Admin", "status": "disabled"}, headers=ADMIN
        )
        body = assert_problem(refused, 422, NAME_REASON)
        assert "errors" not in body
        now = (await h.client.get(path, headers=ADMIN)).json()
        assert now["given_name"] == "Alice" and now["status"] == "active"
        event = svc.requests[0].json["event"]
        # Only the changed attribute, by its WSO2 claim URI.
        assert event["request"]["claims"] == [
            {"uri": "http://wso2.org/claims/givenname", "value": "Admin"}
        ]
        assert event["initiatorType"] == "ADMIN" and event["action"] == "UPDATE"
        shared = {c["uri"]: c for c in event["user"]["claims"]}
        assert shared["http://wso2.org/claims/lastname"] == {
            "uri": "http://wso2.org/claims/lastname",
            "value": "Castle",
        }
        assert shared["http://wso2.org/claims/givenname"]["updatingValue"] == "Admin"
        # A change of status only is not a profile change: no call.
        status_only = await h.client.patch(path, json={"status": "locked"}, headers=ADMIN)
        assert status_only.status_code == 200
        assert len(svc.requests) == 1
        # Emails are attributes too; an allowed change is made.
        ok = await h.client.patch(
            path,
            json={"given_name": "Francis", "emails": [{"value": "francis@example.com"}]},
            headers=ADMIN,
        )
        assert ok.status_code == 200, ok.text
        assert ok.json()["given_name"] == "Francis"
        sent = {c["uri"]: c["value"] for c in svc.requests[-1].json["event"]["request"]["claims"]}
        assert sent == {
            "http://wso2.org/claims/givenname": "Francis",
            "http://wso2.org/claims/emailaddress": "francis@example.com",
            "http://wso2.org/claims/emailAddresses": ["francis@example.com"],
        }
        follows_schema("pre-update-profile", svc.requests)


@pytest.mark.parametrize("policy", ["fail_closed", "fail_open"])
async def test_a_service_that_is_down_gives_the_policy(h: Harness, policy: str) -> None:
    handle = await new_org(h)
    user = await make_user(h, handle, "gina")
    password_action = await create_action(
        h,
        handle,
        name="pw",
        type="preUpdatePassword",
        endpoint=ExtService.down(),
        failure_policy=policy,
    )
    await create_action(
        h,
        handle,
        name="prof",
        type="preUpdateProfile",
        endpoint=ExtService.down(),
        failure_policy=policy,
    )
    path = f"/api/v1/orgs/{handle}/users/{user['id']}"
    password = await h.client.patch(path, json={"password": FRESH}, headers=ADMIN)
    profile = await h.client.patch(path, json={"given_name": "Georgina"}, headers=ADMIN)
    scim = await h.client.patch(
        f"/o/{handle}/scim2/Users/{user['id']}",
        json={
            "schemas": [PATCH],
            "Operations": [{"op": "replace", "path": "name.givenName", "value": "Gigi"}],
        },
        headers={**ADMIN, **SCIM},
    )
    now = await stored(h, user["id"])
    assert now is not None
    if policy == "fail_closed":
        body = assert_problem(password, 503, "cannot be checked right now")
        assert password.headers["retry-after"]
        assert "password" in body["detail"]
        assert_problem(profile, 503, "cannot be checked right now")
        assert_scim_error(scim, 503, None, "cannot be checked right now")
        assert await password_is(h, user["id"], FIRST) and now.given_name == "Alice"
    else:
        assert password.status_code == 200 and profile.status_code == 200, profile.text
        assert scim.status_code == 200, scim.text
        assert await password_is(h, user["id"], FRESH) and now.given_name == "Gigi"
    [record] = await action_audits(h, password_action["id"])
    assert record.outcome == "error" and record.details["fault"] == "unreachable"
    assert record.details["result"] == ("unavailable" if policy == "fail_closed" else "skipped")


async def test_a_broken_answer_is_never_a_500(h: Harness) -> None:
    handle = await new_org(h)
    user = await make_user(h, handle, "hank")
    with ExtService(lambda _r: Answer(200, b"<html>not json")) as svc:
        await create_action(h, handle, type="preUpdatePassword", endpoint=svc.url)
        path = f"/api/v1/orgs/{handle}/users/{user['id']}"
        resp = await h.client.patch(path, json={"password": FRESH}, headers=ADMIN)
        assert_problem(resp, 503, "cannot be checked right now")
        for bad in ({"password": 12345678}, {"password": "short"}, {"given_name": ["x"]}):
            wrong = await h.client.patch(path, json=bad, headers=ADMIN)
            assert wrong.status_code == 422, wrong.text
        assert await password_is(h, user["id"], FIRST)
        assert len(svc.requests) == 1


# ---- SCIM ---------------------------------------------------------------------------------


async def test_scim_password_writes_are_checked(h: Harness) -> None:
    handle = await new_org(h)
    user = await make_user(h, handle, "ivan")
    app = await bearer(h, handle)
    with ExtService(breach_check) as svc:
        await create_action(h, handle, type="preUpdatePassword", endpoint=svc.url)
        path = f"/o/{handle}/scim2/Users/{user['id']}"
        put = {"schemas": [USER], "userName": "ivan", "password": BREACHED, "displayName": "I"}
        refused = await h.client.put(path, json=put, headers={**ADMIN, **SCIM})
        assert_scim_error(refused, 400, "invalidValue", REASON)
        assert await password_is(h, user["id"], FIRST)
        now = await stored(h, user["id"])
        assert now is not None and now.display_name is None
        assert svc.requests[-1].json["event"]["initiatorType"] == "ADMIN"
        # PATCH with a client-credentials token: APPLICATION.
        patch = {
            "schemas": [PATCH],
            "Operations": [{"op": "replace", "path": "password", "value": BREACHED}],
        }
        refused = await h.client.patch(path, json=patch, headers={**app, **SCIM})
        assert_scim_error(refused, 400, "invalidValue", REASON)
        assert svc.requests[-1].json["event"]["initiatorType"] == "APPLICATION"
        assert svc.requests[-1].json["event"]["action"] == "UPDATE"
        assert await password_is(h, user["id"], FIRST)
        ok = await h.client.put(path, json={**put, "password": FRESH}, headers={**app, **SCIM})
        assert ok.status_code == 200, ok.text
        assert await password_is(h, user["id"], FRESH)
        # POST with a password: REGISTER; refused means not created.
        post = {"schemas": [USER], "userName": "judy", "password": BREACHED}
        refused = await h.client.post(
            f"/o/{handle}/scim2/Users", json=post, headers={**app, **SCIM}
        )
        assert_scim_error(refused, 400, "invalidValue", REASON)
        assert await users_named(h, handle, "judy") == 0
        created = await h.client.post(
            f"/o/{handle}/scim2/Users", json={**post, "password": FRESH}, headers={**app, **SCIM}
        )
        assert created.status_code == 201, created.text
        event = svc.requests[-1].json["event"]
        assert event["action"] == "REGISTER" and event["initiatorType"] == "APPLICATION"
        assert event["user"]["id"] == created.json()["id"]
        assert await password_is(h, created.json()["id"], FRESH)


async def test_scim_profile_writes_are_checked(h: Harness) -> None:
    handle = await new_org(h)
    user = await make_user(h, handle, "kate")
    with ExtService(no_admins) as svc:
        await create_action(h, handle, type="preUpdateProfile", endpoint=svc.url)
        path = f"/o/{handle}/scim2/Users/{user['id']}"
        before = (await h.client.get(path, headers=ADMIN)).json()
        patch = {
            "schemas": [PATCH],
            "Operations": [
                {"op": "replace", "path": "name.givenName", "value": "Admin"},
                {"op": "replace", "path": "nickName", "value": "kit"},
            ],
        }
        refused = await h.client.patch(path, json=patch, headers={**ADMIN, **SCIM})
        assert_scim_error(refused, 400, "invalidValue", NAME_REASON)
        after = (await h.client.get(path, headers=ADMIN)).json()
        assert after == before
        sent = {c["uri"]: c["value"] for c in svc.requests[0].json["event"]["request"]["claims"]}
        assert sent == {
            "http://wso2.org/claims/givenname": "Admin",
            "http://wso2.org/claims/nickname": "kit",
        }
        # A PATCH that changes nothing calls nothing.
        same = {
            "schemas": [PATCH],
            "Operations": [{"op": "replace", "path": "name.givenName", "value": "Alice"}],
        }
        unchanged = await h.client.patch(path, json=same, headers={**ADMIN, **SCIM})
        assert unchanged.status_code == 200, unchanged.text
        assert len(svc.requests) == 1
        # A rename is a change of the username claim.
        renamed = await h.client.patch(
            path,
            json={
                "schemas": [PATCH],
                "Operations": [{"op": "replace", "path": "userName", "value": "katherine"}],
            },
            headers={**ADMIN, **SCIM},
        )
        assert renamed.status_code == 200, renamed.text
        assert svc.requests[-1].json["event"]["request"]["claims"] == [
            {"uri": "http://wso2.org/claims/username", "value": "katherine"}
        ]


async def test_a_bulk_request_with_a_refusal_applies_the_rest(h: Harness) -> None:
    handle = await new_org(h)
    with ExtService(breach_check) as svc:
        action = await create_action(h, handle, type="preUpdatePassword", endpoint=svc.url)
        bulk = {
            "schemas": [BULK],
            "Operations": [
                {
                    "method": "POST",
                    "path": "/Users",
                    "bulkId": "a",
                    "data": {"schemas": [USER], "userName": "leo", "password": FRESH},
                },
                {
                    "method": "POST",
                    "path": "/Users",
                    "bulkId": "b",
                    "data": {"schemas": [USER], "userName": "mia", "password": BREACHED},
                },
                {
                    "method": "POST",
                    "path": "/Users",
                    "bulkId": "c",
                    "data": {"schemas": [USER], "userName": "ned", "password": FRESH},
                },
            ],
        }
        started = time.monotonic()
        resp = await h.client.post(f"/o/{handle}/scim2/Bulk", json=bulk, headers={**ADMIN, **SCIM})
        # The action calls made while the request held write locks did not wait for them.
        assert time.monotonic() - started < 5
        assert resp.status_code == 200, resp.text
        statuses = {op["bulkId"]: op["status"] for op in resp.json()["Operations"]}
        assert statuses == {"a": "201", "b": "400", "c": "201"}
        refused = next(op for op in resp.json()["Operations"] if op["bulkId"] == "b")
        assert refused["response"]["detail"] == REASON
        assert [await users_named(h, handle, n) for n in ("leo", "mia", "ned")] == [1, 0, 1]
        records = await action_audits(h, action["id"])
        assert [r.outcome for r in records] == ["success", "failure", "success"]


async def test_scim_me_is_the_user_and_users_is_the_admin(h: Harness) -> None:
    """The entry point decides, as in WSO2: /Me is USER, /Users is ADMIN even for oneself."""
    before = (await h.client.get("/scim2/Me", headers=ADMIN)).json()
    admin_id = before["id"]
    with ExtService(
        lambda _r: Answer(200, {"actionStatus": "FAILED", "failureReason": "no"})
    ) as svc:
        action = await create_action(h, "root", type="preUpdateProfile", endpoint=svc.url)
        try:
            change = patch_body("displayName", "Someone Else")
            for path in ("/scim2/Me", f"/scim2/Users/{admin_id}"):
                refused = await h.client.patch(path, json=change, headers={**ADMIN, **SCIM})
                assert_scim_error(refused, 400, "invalidValue", "no")
            assert [r.json["event"]["initiatorType"] for r in svc.requests] == ["USER", "ADMIN"]
            assert (await h.client.get("/scim2/Me", headers=ADMIN)).json() == before
        finally:
            deleted = await h.client.delete(
                f"/api/v1/orgs/root/actions/{action['id']}", headers=ADMIN
            )
            assert deleted.status_code == 204


def patch_body(path: str, value: Any) -> dict[str, Any]:
    return {"schemas": [PATCH], "Operations": [{"op": "replace", "path": path, "value": value}]}
