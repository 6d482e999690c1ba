"""The authorization code flow end to end through the hosted pages (httpx as the browser), at
the root issuer and at an organization's issuer."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.protocol.oidc.support import (
    Browser,
    auth_params,
    bearer,
    make_app,
    make_user,
    pkce_pair,
    query,
)
from tests.support import Harness

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_code_flow_with_pkce(mh: Harness, browser: Browser) -> None:
    await make_user(mh, username="flow-user")
    app = await make_app(mh)
    verifier, challenge = pkce_pair()
    params = auth_params(app, challenge)
    back = await browser.code_flow(params, username="flow-user")
    assert back["state"] == params["state"]
    assert back["iss"] == mh.settings.issuer
    token = await browser.client.post(
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
    info = await browser.client.get("/oauth2/userinfo", headers=bearer(body["access_token"]))
    assert info.status_code == 200, info.text
    assert info.json()["email"] == "flow-user@example.com"


async def test_organization_issuer_is_separate(mh: Harness, browser: Browser) -> None:
    await mh.create_org("flow-acme")
    prefix = "/o/flow-acme"
    issuer = f"{mh.settings.issuer}{prefix}"
    acme_user = await make_user(mh, "flow-acme", username="acme-user")
    await make_user(mh, username="root-only-user")
    app = await make_app(mh, "flow-acme", settings={"skip_consent": True})
    verifier, challenge = pkce_pair()
    params = auth_params(app, challenge)
    page = await browser.follow(
        await browser.client.get(f"{prefix}/oauth2/authorize?{urlencode(params)}")
    )
    assert page.url.path.startswith(f"{prefix}/login/")
    # A user of the root organization does not exist here.
    refused = await browser.login(page, "root-only-user")
    assert refused.status_code == 401
    done = await browser.login(page, "acme-user")
    back = query(done.headers["location"])
    assert back["iss"] == issuer
    tokens = (
        await browser.client.post(
            f"{prefix}/oauth2/token",
            data={
                "grant_type": "authorization_code",
                "code": back["code"],
                "redirect_uri": app.redirect_uri,
                "code_verifier": verifier,
            },
            auth=(app.client_id, app.client_secret or ""),
        )
    ).json()
    claims = jwt.decode(tokens["id_token"], KeySet.import_key_set(mh.services.keyring.jwks)).claims
    assert claims["iss"] == issuer and claims["sub"] == acme_user
    info = await browser.client.get(
        f"{prefix}/oauth2/userinfo", headers=bearer(tokens["access_token"])
    )
    assert info.json()["sub"] == acme_user
    # The session belongs to the organization: the root issuer still knows nobody.
    root_app = await make_app(mh)
    silent = await browser.authorize(auth_params(root_app, pkce_pair()[1], prompt="none"))
    assert query(silent.headers["location"])["error"] == "login_required"
    # The code is bound to its issuer: redeeming it at the root fails.
    verifier, challenge = pkce_pair()
    again = await browser.follow(
        await browser.client.get(
            f"{prefix}/oauth2/authorize?{urlencode(auth_params(app, challenge))}"
        )
    )
    code = query(again.headers["location"])["code"]
    wrong_issuer = await browser.client.post(
        "/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": app.redirect_uri,
            "code_verifier": verifier,
        },
        auth=(app.client_id, app.client_secret or ""),
    )
    assert wrong_issuer.status_code == 401  # the client itself is unknown at the root
