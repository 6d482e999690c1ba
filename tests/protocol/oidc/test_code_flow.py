"""The authorization code flow end to end through the hosted pages (httpx as the browser)."""

from __future__ import annotations

import pytest

from tests.protocol.oidc.support import Browser, auth_params, bearer, make_app, make_user, pkce_pair
from tests.support import Harness


@pytest.fixture
async def setup(h: Harness) -> tuple[Harness, Browser]:
    await make_user(h)
    return h, Browser(h.client, h.settings.issuer)


async def test_code_flow_with_pkce(setup: tuple[Harness, Browser]) -> None:
    h, browser = setup
    app = await make_app(h)
    verifier, challenge = pkce_pair()
    params = auth_params(app, challenge)
    back = await browser.code_flow(params)
    assert back["state"] == params["state"]
    assert back["iss"] == h.settings.issuer
    token = await h.client.post(
        "/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": back["code"],
            "redirect_uri": app.redirect_uri,
            "code_verifier": verifier,
        },
        auth=(app.client_id, app.client_secret or ""),
    )
    assert token.status_code == 200, token.text
    body = token.json()
    assert {"access_token", "id_token", "refresh_token", "expires_in"} <= body.keys()
    info = await h.client.get("/oauth2/userinfo", headers=bearer(body["access_token"]))
    assert info.status_code == 200, info.text
    assert info.json()["email"] == "alice@example.com"
