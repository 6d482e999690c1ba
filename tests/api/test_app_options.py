"""Sign-in options of applications: consent skipping and back-channel logout, over the API."""

from __future__ import annotations

from tests.support import ADMIN, Harness

WEB = {"name": "portal", "type": "web", "redirect_uris": ["https://portal.example.com/cb"]}


async def test_options_round_trip_and_patch(h: Harness) -> None:
    created = await h.client.post(
        "/api/v1/orgs/root/applications",
        json={
            **WEB,
            "skip_consent": True,
            "backchannel_logout_uri": "https://portal.example.com/bcl",
            "backchannel_logout_session_required": True,
        },
        headers=ADMIN,
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["skip_consent"] is True
    assert body["backchannel_logout_uri"] == "https://portal.example.com/bcl"
    assert body["backchannel_logout_session_required"] is True
    path = f"/api/v1/orgs/root/applications/{body['id']}"
    patched = await h.client.patch(
        path, json={"skip_consent": False, "backchannel_logout_uri": None}, headers=ADMIN
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["skip_consent"] is False
    assert patched.json()["backchannel_logout_uri"] is None
    assert patched.json()["backchannel_logout_session_required"] is True
    fetched = (await h.client.get(path, headers=ADMIN)).json()
    assert fetched["skip_consent"] is False and fetched["version"] == 2


async def test_bad_logout_uris_are_refused_and_change_nothing(h: Harness) -> None:
    for uri in (
        "http://portal.example.com/bcl",
        "javascript:alert(1)",
        "not a uri",
        "https://x/#f",
    ):
        resp = await h.client.post(
            "/api/v1/orgs/root/applications",
            json={**WEB, "backchannel_logout_uri": uri},
            headers=ADMIN,
        )
        assert resp.status_code == 422, (uri, resp.text)
        assert resp.headers["content-type"] == "application/problem+json"
    listing = (await h.client.get("/api/v1/orgs/root/applications", headers=ADMIN)).json()
    assert listing["items"] == []
    created = (
        await h.client.post("/api/v1/orgs/root/applications", json=WEB, headers=ADMIN)
    ).json()
    resp = await h.client.patch(
        f"/api/v1/orgs/root/applications/{created['id']}",
        json={"backchannel_logout_uri": "ftp://portal.example.com/"},
        headers=ADMIN,
    )
    assert resp.status_code == 422
    again = await h.client.get(f"/api/v1/orgs/root/applications/{created['id']}", headers=ADMIN)
    assert again.json()["version"] == 1 and again.json()["backchannel_logout_uri"] is None


async def test_skip_consent_from_the_api_skips_the_consent_page(h: Harness) -> None:
    from tests.protocol.oidc.support import App, Browser, auth_params, make_user, pkce_pair

    await make_user(h, username="opt-user")
    created = (
        await h.client.post(
            "/api/v1/orgs/root/applications",
            json={**WEB, "redirect_uris": ["https://rp.example.com/cb"], "skip_consent": True},
            headers=ADMIN,
        )
    ).json()
    app = App(
        created["id"], created["client_id"], created["client_secret"], "https://rp.example.com/cb"
    )
    _verifier, challenge = pkce_pair()
    browser = Browser(h.client, h.settings.issuer)
    back = await browser.code_flow(auth_params(app, challenge), username="opt-user", consent=False)
    assert "code" in back
