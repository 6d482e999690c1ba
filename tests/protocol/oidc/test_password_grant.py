"""RFC 6749 §4.3 password grant: only where enabled, same lockout as the login page; and a
user's token never carries management permissions the user does not hold."""

from __future__ import annotations

from typing import Any

from tests.protocol.oidc.support import PASSWORD, App, make_app, make_user
from tests.support import ADMIN, Harness

ROPC = ["authorization_code", "refresh_token", "password"]


async def _token(h: Harness, app: App, **form: str) -> Any:
    return await h.client.post(
        "/oauth2/token",
        data={"grant_type": "password", **form},
        auth=(app.client_id, app.client_secret or ""),
    )


async def test_only_applications_that_enable_it_may_use_it(h: Harness) -> None:
    await make_user(h, username="pat")
    plain = await make_app(h)
    resp = await _token(h, plain, username="pat", password=PASSWORD)
    assert resp.status_code == 400 and resp.json()["error"] == "unauthorized_client"


async def test_password_grant_issues_user_tokens(h: Harness) -> None:
    await make_user(h, username="pat")
    app = await make_app(h, grant_types=ROPC)
    resp = await _token(h, app, username="pat", password=PASSWORD, scope="openid profile")
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert {"access_token", "id_token", "refresh_token"} <= body.keys()
    info = await h.client.get(
        "/oauth2/userinfo", headers={"authorization": f"Bearer {body['access_token']}"}
    )
    assert info.status_code == 200 and info.json()["preferred_username"] == "pat"


async def test_bad_requests_and_lockout(h: Harness) -> None:
    await make_user(h, username="pat")
    app = await make_app(h, grant_types=ROPC)
    missing = await _token(h, app, username="pat")
    assert missing.json()["error"] == "invalid_request"
    scope = await _token(h, app, username="pat", password=PASSWORD, scope="users:write")
    assert scope.json()["error"] == "invalid_scope"
    unknown = await _token(h, app, username="nobody", password=PASSWORD)
    wrong = await _token(h, app, username="pat", password="not-the-password")
    assert unknown.json() == wrong.json()  # nothing tells which part was wrong
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    for _ in range(6):
        await _token(h, app, username="pat", password="not-the-password")
    locked = await _token(h, app, username="pat", password=PASSWORD)
    assert locked.json()["error"] == "invalid_grant"  # locked out, like the login page


async def test_public_clients_cannot_use_it(h: Harness) -> None:
    await make_user(h, username="pat")
    app = await make_app(h, type="spa", grant_types=ROPC)
    resp = await h.client.post(
        "/oauth2/token",
        data={
            "grant_type": "password",
            "username": "pat",
            "password": PASSWORD,
            "client_id": app.client_id,
        },
    )
    assert resp.json()["error"] == "unauthorized_client"


async def test_user_tokens_carry_only_permissions_the_user_holds(h: Harness) -> None:
    user_id = await make_user(h, username="pat")
    app = await make_app(h, grant_types=ROPC, scopes=["users:read"])
    resp = await _token(h, app, username="pat", password=PASSWORD, scope="users:read")
    assert resp.status_code == 200, resp.text
    bearer = {"authorization": f"Bearer {resp.json()['access_token']}"}
    # The application may ask for users:read, but pat holds no role that grants it.
    assert (await h.client.get("/api/v1/orgs/root/users", headers=bearer)).status_code == 403
    roles = (await h.client.get("/api/v1/orgs/root/roles", headers=ADMIN)).json()["items"]
    admin_role = next(r for r in roles if r["name"] == "administrator")
    assigned = await h.client.post(
        f"/api/v1/orgs/root/roles/{admin_role['id']}/assignments",
        json={"user_id": user_id},
        headers=ADMIN,
    )
    assert assigned.status_code == 201, assigned.text
    # The same token now works: permissions are read from the user's roles on every call.
    assert (await h.client.get("/api/v1/orgs/root/users", headers=bearer)).status_code == 200
