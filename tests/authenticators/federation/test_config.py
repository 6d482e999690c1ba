"""The federation settings of an identity provider through the management API."""

from __future__ import annotations

import pytest

from tests.support import ADMIN, Harness

pytestmark = pytest.mark.asyncio(loop_scope="package")
URL = "/api/v1/orgs/root/identity-providers"


async def test_federation_settings_defaults_and_validation(h: Harness) -> None:
    created = await h.client.post(
        URL,
        json={"name": "cfg-google", "kind": "google", "config": {"client_id": "g"}},
        headers=ADMIN,
    )
    assert created.status_code == 201, created.text
    config = created.json()["config"]
    assert config["link_by_email"] is True
    assert config["token_endpoint_auth_method"] == "client_secret_basic"
    assert config["issuer"] == "https://accounts.google.com"

    bad = [
        ({"link_by_email": "perhaps"}, "link_by_email"),
        ({"token_endpoint_auth_method": "private_key_jwt"}, "token_endpoint_auth_method"),
        ({"issuer": "http://evil.example"}, "issuer"),  # plain http off loopback
        ({"issuer": "https://evil.example"}, "issuer"),  # Google's issuer is Google's
    ]
    for extra, field in bad:
        resp = await h.client.post(
            URL,
            json={"name": "cfg-bad", "kind": "google", "config": {"client_id": "g", **extra}},
            headers=ADMIN,
        )
        assert resp.status_code in (400, 422), resp.text
        assert field in resp.text
    listed = await h.client.get(URL + "?name=cfg-bad", headers=ADMIN)
    assert listed.json()["items"] == []

    # A loopback issuer stands in for Google in tests and local development.
    local = await h.client.post(
        URL,
        json={
            "name": "cfg-local-google",
            "kind": "google",
            "config": {"client_id": "g", "issuer": "http://127.0.0.1:9", "link_by_email": False},
        },
        headers=ADMIN,
    )
    assert local.status_code == 201, local.text
    assert local.json()["config"]["link_by_email"] is False
