"""The device verification page (RFC 8628 §3.3): code entry, login through the flow, the
confirmation, and the device's poll succeeding only after "Allow"."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from identra.web.device import WRONG_CODE_LIMIT
from tests.flows.support import password
from tests.protocol.extras_helpers import DEVICE_CODE, unverified_claims
from tests.protocol.oidc.support import PASSWORD, App, Browser, forms, make_app, make_user
from tests.support import Harness, harness


@pytest.fixture
async def h(tmp_path: Path) -> AsyncIterator[Harness]:
    async with harness(tmp_path) as h:
        yield h


async def _tv(h: Harness) -> tuple[App, dict[str, str]]:
    app = await make_app(h, type="native", grant_types=[DEVICE_CODE])
    resp = await h.client.post(
        "/oauth2/device_authorization", data={"client_id": app.client_id, "scope": "openid"}
    )
    assert resp.status_code == 200, resp.text
    return app, resp.json()


async def _poll(h: Harness, app: App, body: dict[str, str]) -> httpx.Response:
    return await h.client.post(
        "/oauth2/token",
        data={
            "grant_type": DEVICE_CODE,
            "device_code": body["device_code"],
            "client_id": app.client_id,
        },
    )


def _browser(h: Harness) -> Browser:
    transport = h.client._transport
    return Browser(
        httpx.AsyncClient(transport=transport, base_url=h.settings.issuer), h.settings.issuer
    )


async def _enter(b: Browser, code: str, page: httpx.Response | None = None) -> httpx.Response:
    page = page or await b.client.get("/device")
    form = forms(page.text)[0]
    return await b.follow(
        await b.client.post(form["action"], data={**form["fields"], "user_code": code})
    )


async def _decide(b: Browser, page: httpx.Response, decision: str) -> httpx.Response:
    assert "Allow this device?" in page.text, page.text
    form = forms(page.text)[0]
    return await b.client.post(form["action"], data={**form["fields"], "decision": decision})


async def test_sign_in_then_allow_gives_the_device_its_tokens(h: Harness) -> None:
    user_id = await make_user(h, username="tv-viewer")
    app, body = await _tv(h)
    b = _browser(h)
    complete = await b.client.get(body["verification_uri_complete"])
    assert body["user_code"] in complete.text  # prefilled from verification_uri_complete
    login = await _enter(b, body["user_code"].lower().replace("-", ""), complete)
    assert 'name="password"' in login.text  # nobody signed in: the organization's flow runs
    confirm = await password(b, login, "tv-viewer", PASSWORD)
    assert (confirm.status_code == 200 and app.client_id in confirm.text) or "Allow" in confirm.text
    assert (await _poll(h, app, body)).json()["error"] == "authorization_pending"
    done = await _decide(b, confirm, "allow")
    assert done.status_code == 200 and "Device connected" in done.text
    tokens = await _poll(h, app, body)
    assert tokens.status_code == 200, tokens.text
    claims = unverified_claims(tokens.json()["id_token"])
    assert claims["sub"] == user_id and claims["amr"] == ["pwd"]
    # The browser is signed in now: a second device needs no new login, only the decision.
    app2, body2 = await _tv(h)
    confirm2 = await _enter(b, body2["user_code"])
    denied = await _decide(b, confirm2, "deny")
    assert "Device not connected" in denied.text
    assert (await _poll(h, app2, body2)).json()["error"] == "access_denied"


async def test_bad_codes_missing_csrf_and_guessing(h: Harness) -> None:
    app, body = await _tv(h)
    b = _browser(h)
    empty = await _enter(b, "   ")
    assert empty.status_code == 400 and "Enter the code" in empty.text
    page = await b.client.get("/device")
    form = forms(page.text)[0]
    no_csrf = await b.client.post(form["action"], data={"user_code": body["user_code"]})
    assert no_csrf.status_code == 403 and "expired" in no_csrf.text
    for _ in range(WRONG_CODE_LIMIT):
        wrong = await _enter(b, "BCDF-GHJK")
        assert wrong.status_code == 400 and "not valid" in wrong.text
    limited = await _enter(b, body["user_code"])  # even the right code, once limited
    assert limited.status_code == 429
    assert (await _poll(h, app, body)).json()["error"] == "authorization_pending"


async def test_cancelled_login_connects_nothing(h: Harness) -> None:
    app, body = await _tv(h)
    b = _browser(h)
    login = await _enter(b, body["user_code"])
    form = forms(login.text)[-1]
    back = await b.follow(
        await b.client.post(form["action"], data={**form["fields"], "action": "cancel"})
    )
    assert back.status_code == 400 and "cancelled" in back.text
    assert (await _poll(h, app, body)).json()["error"] == "authorization_pending"


async def test_confirmation_needs_a_session_and_the_right_browser(h: Harness) -> None:
    await make_user(h, username="tv-owner")
    app, body = await _tv(h)
    b = _browser(h)
    confirm = await password(b, await _enter(b, body["user_code"]), "tv-owner", PASSWORD)
    form = forms(confirm.text)[0]
    stranger = _browser(h)
    await stranger.client.get("/device")  # has its own binding cookie, but no session
    forged = await stranger.client.post(
        form["action"], data={**form["fields"], "decision": "allow"}
    )
    assert forged.status_code == 403
    assert (await _poll(h, app, body)).json()["error"] == "authorization_pending"


async def test_a_code_is_only_valid_at_its_own_organization(h: Harness) -> None:
    """A user code issued in ``acme`` is unknown at the root's page and the other way round,
    and trying it there counts as a wrong guess without touching the device's request."""
    await h.create_org("acme")
    acme_app = await make_app(h, org="acme", type="native", grant_types=[DEVICE_CODE])
    issued = await h.client.post(
        "/o/acme/oauth2/device_authorization",
        data={"client_id": acme_app.client_id, "scope": "openid"},
    )
    assert issued.status_code == 200, issued.text
    acme_code = issued.json()["user_code"]
    root_app, root_body = await _tv(h)

    at_root = await _enter(_browser(h), acme_code)
    assert at_root.status_code == 400 and "not valid" in at_root.text
    b = _browser(h)
    at_acme = await _enter(b, root_body["user_code"], await b.client.get("/o/acme/device"))
    assert at_acme.status_code == 400 and "not valid" in at_acme.text

    own = _browser(h)
    login = await _enter(own, acme_code, await own.client.get("/o/acme/device"))
    assert login.status_code == 200 and 'name="password"' in login.text
    assert (await _poll(h, root_app, root_body)).json()["error"] == "authorization_pending"
