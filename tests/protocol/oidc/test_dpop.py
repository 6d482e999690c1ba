"""RFC 9449 with the user grants: a code bound with ``dpop_jkt`` (§10), and a DPoP-bound
access token at the UserInfo endpoint (§7)."""

from __future__ import annotations

import pytest
from joserfc.jwk import ECKey

from tests.protocol.extras_helpers import dpop_proof
from tests.protocol.oidc.support import Browser, auth_params, make_app, make_user, pkce_pair
from tests.support import Harness

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_dpop_bound_code_and_userinfo(mh: Harness, browser: Browser) -> None:
    await make_user(mh, username="dpop-user")
    app = await make_app(mh, type="spa", settings={"skip_consent": True})
    key = ECKey.generate_key("P-256", private=True)
    issuer = mh.settings.issuer
    token_url, userinfo_url = f"{issuer}/oauth2/token", f"{issuer}/oauth2/userinfo"
    bad = await browser.authorize(auth_params(app, pkce_pair()[1], dpop_jkt="not-a-thumbprint"))
    assert "error=invalid_request" in bad.headers["location"]

    async def code() -> tuple[str, str]:
        verifier, challenge = pkce_pair()
        params = auth_params(app, challenge, dpop_jkt=key.thumbprint())
        back = await browser.code_flow(params, username="dpop-user")
        return back["code"], verifier

    def form(code: str, verifier: str) -> dict[str, str]:
        return {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": app.redirect_uri,
            "code_verifier": verifier,
            "client_id": app.client_id,
        }

    # Without a proof, or with another key's proof, the bound code is refused.
    unbound = await browser.client.post("/oauth2/token", data=form(*await code()))
    assert unbound.status_code == 400 and unbound.json()["error"] == "invalid_grant"
    thief = ECKey.generate_key("P-256", private=True)
    stolen = await browser.client.post(
        "/oauth2/token", data=form(*await code()), headers={"dpop": dpop_proof(thief, token_url)}
    )
    assert stolen.status_code == 400 and stolen.json()["error"] == "invalid_grant"
    ok = await browser.client.post(
        "/oauth2/token", data=form(*await code()), headers={"dpop": dpop_proof(key, token_url)}
    )
    assert ok.status_code == 200, ok.text
    access = ok.json()["access_token"]
    assert ok.json()["token_type"] == "DPoP"

    as_bearer = await browser.client.get(
        "/oauth2/userinfo", headers={"authorization": f"Bearer {access}"}
    )
    assert as_bearer.status_code == 401
    no_proof = await browser.client.get(
        "/oauth2/userinfo", headers={"authorization": f"DPoP {access}"}
    )
    assert no_proof.status_code == 401
    assert no_proof.headers["www-authenticate"].startswith("DPoP ")
    proof = dpop_proof(key, userinfo_url, method="GET", access_token=access)
    info = await browser.client.get(
        "/oauth2/userinfo", headers={"authorization": f"DPoP {access}", "dpop": proof}
    )
    assert info.status_code == 200, info.text
    assert info.json()["preferred_username"] == "dpop-user"
