"""ID tokens are RS256 by default (OIDC Core §3.1.3.7) even when access tokens use ES256."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from joserfc import jws

from tests.protocol.oidc.support import Browser, auth_params, make_app, make_user, pkce_pair
from tests.support import Harness, harness


@pytest.fixture
async def es256(tmp_path: Path) -> AsyncIterator[Harness]:
    async with harness(tmp_path, signing_alg="ES256") as h:
        yield h


async def test_es256_deployment_still_signs_id_tokens_with_rs256(es256: Harness) -> None:
    meta = (await es256.client.get("/.well-known/openid-configuration")).json()
    assert "RS256" in meta["id_token_signing_alg_values_supported"]
    assert "ES256" in meta["id_token_signing_alg_values_supported"]
    await make_user(es256, username="alg-user")
    app = await make_app(es256, settings={"skip_consent": True})
    verifier, challenge = pkce_pair()
    browser = Browser(es256.client, es256.settings.issuer)
    back = await browser.code_flow(auth_params(app, challenge), username="alg-user")
    token = await es256.client.post(
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
    assert jws.extract_compact(body["id_token"].encode()).protected["alg"] == "RS256"
    assert jws.extract_compact(body["access_token"].encode()).protected["alg"] == "ES256"
    jwks = (await es256.client.get("/oauth2/jwks")).json()["keys"]
    assert {"RS256", "ES256"} <= {k["alg"] for k in jwks}
