"""LDAP user stores configured through the management API, then used to log in."""

from __future__ import annotations

from tests.protocol.oidc.support import Browser, auth_params, make_app, pkce_pair
from tests.support import ADMIN, Harness
from tests.userstores.conftest import Directory, ldap_config

STORES = "/api/v1/orgs/root/user-stores"


async def test_ldap_store_from_the_api_logs_users_in(h: Harness, directory: Directory) -> None:
    directory.add_user("erin", "erin-directory-pass", mail="erin@corp.example")
    password = directory.slapd.admin_password
    created = await h.client.post(
        STORES,
        json={
            "identifier": "CORP",
            "kind": "ldap",
            "config": ldap_config(directory),
            "bind_password": password,
        },
        headers=ADMIN,
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["kind"] == "ldap" and body["has_bind_password"] is True
    assert password not in created.text
    fetched = await h.client.get(f"{STORES}/{body['id']}", headers=ADMIN)
    assert password not in fetched.text and fetched.json()["config"]["url"] == directory.slapd.url

    app = await make_app(h, settings={"skip_consent": True})
    _verifier, challenge = pkce_pair()
    browser = Browser(h.client, h.settings.issuer)
    back = await browser.code_flow(
        auth_params(app, challenge), username="CORP/erin", password="erin-directory-pass"
    )
    assert "code" in back


async def test_bad_ldap_store_requests_change_nothing(h: Harness, directory: Directory) -> None:
    before = (await h.client.get(STORES, headers=ADMIN)).json()["items"]
    cases = [
        {"identifier": "CORP", "kind": "ldap"},  # no config
        {"identifier": "CORP", "kind": "ldap", "config": {"url": "not-a-url"}},
        {"identifier": "CORP", "kind": "database", "config": ldap_config(directory)},
        {"identifier": "CORP", "kind": "ad"},
    ]
    for case in cases:
        resp = await h.client.post(STORES, json=case, headers=ADMIN)
        assert resp.status_code == 422, (case, resp.text)
        assert resp.headers["content-type"] == "application/problem+json"
    assert (await h.client.get(STORES, headers=ADMIN)).json()["items"] == before
    primary = before[0]
    resp = await h.client.patch(
        f"{STORES}/{primary['id']}", json={"bind_password": "x"}, headers=ADMIN
    )
    assert resp.status_code == 422
    again = await h.client.get(f"{STORES}/{primary['id']}", headers=ADMIN)
    assert again.json()["version"] == primary["version"]
