"""Every error path of the authorization endpoint: RFC 6749 §4.1.2.1 / OIDC Core §3.1.2.6 codes,
no open redirect, nothing reflected unescaped on the error page."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
import pytest_asyncio

from tests.protocol.oidc.support import (
    CALLBACK,
    App,
    Browser,
    auth_params,
    forms,
    make_app,
    pkce_pair,
    query,
)
from tests.support import Harness

pytestmark = pytest.mark.asyncio(loop_scope="module")
EVIL = "https://evil.example/steal"
XSS = '"><script>alert(1)</script><img src=x onerror=alert(2)>'


@pytest_asyncio.fixture(loop_scope="module")
async def app(mh: Harness) -> App:
    return await make_app(mh)


async def _get(mh: Harness, params: dict[str, str]) -> tuple[int, str, dict[str, str]]:
    resp = await mh.client.get(f"/oauth2/authorize?{urlencode(params)}")
    location = resp.headers.get("location", "")
    return resp.status_code, location, dict(resp.headers)


def _assert_error_page(status: int, location: str, body: str, expected: int = 400) -> None:
    assert status == expected
    assert location == ""
    assert "<script>alert" not in body and "onerror=alert" not in body


@pytest.mark.parametrize(
    "params",
    [
        {"response_type": "code"},
        {"response_type": "code", "client_id": "no-such-client", "redirect_uri": CALLBACK},
        {"response_type": "code", "client_id": XSS, "redirect_uri": EVIL, "state": XSS},
    ],
)
async def test_unknown_client_is_an_error_page(mh: Harness, params: dict[str, str]) -> None:
    resp = await mh.client.get(f"/oauth2/authorize?{urlencode(params)}")
    _assert_error_page(resp.status_code, resp.headers.get("location", ""), resp.text)
    assert resp.headers["content-type"].startswith("text/html")
    assert "invalid_request" in resp.text
    csp = resp.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp


@pytest.mark.parametrize(
    "redirect_uri",
    [
        EVIL,
        CALLBACK + "/",
        CALLBACK + "?x=1",
        CALLBACK.upper(),
        CALLBACK + "#frag",
        "http://127.0.0.1:9/cb/../evil",
        "//evil.example/cb",
        "javascript:alert(1)",
        XSS,
    ],
)
async def test_unregistered_redirect_uri_is_never_redirected_to(
    mh: Harness, app: App, redirect_uri: str
) -> None:
    params = auth_params(app, pkce_pair()[1], redirect_uri=redirect_uri, state=XSS)
    resp = await mh.client.get(f"/oauth2/authorize?{urlencode(params)}")
    _assert_error_page(resp.status_code, resp.headers.get("location", ""), resp.text)
    assert "not registered" in resp.text
    assert "evil.example" not in resp.text


async def test_missing_redirect_uri_with_openid_is_an_error_page(mh: Harness, app: App) -> None:
    params = auth_params(app, pkce_pair()[1])
    del params["redirect_uri"]
    status, location, _ = await _get(mh, params)
    assert status == 400 and location == ""


async def test_repeated_client_id_is_an_error_page(mh: Harness, app: App) -> None:
    url = f"/oauth2/authorize?client_id={app.client_id}&client_id={app.client_id}"
    resp = await mh.client.get(url + f"&redirect_uri={CALLBACK}&response_type=code")
    assert resp.status_code == 400 and "location" not in resp.headers


async def test_client_without_code_grant_is_refused(mh: Harness) -> None:
    m2m = await make_app(mh, type="m2m")
    resp = await mh.client.get(
        f"/oauth2/authorize?{urlencode({'client_id': m2m.client_id, 'response_type': 'code'})}"
    )
    assert resp.status_code == 400 and "unauthorized_client" in resp.text


def _redirected_error(location: str, error: str, state: str | None, issuer: str) -> None:
    assert location.startswith(CALLBACK + "?"), location
    got = query(location)
    assert got["error"] == error, got
    assert got.get("state") == state
    assert got["iss"] == issuer


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"response_type": None}, "invalid_request"),
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"response_type": "code id_token"}, "unsupported_response_type"),
        ({"response_type": "bogus"}, "unsupported_response_type"),
        ({"response_mode": "bogus"}, "invalid_request"),
        ({"scope": "openid admin:everything"}, "invalid_scope"),
        ({"code_challenge": None, "code_challenge_method": None}, "invalid_request"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge_method": None}, "invalid_request"),
        ({"code_challenge": "too-short"}, "invalid_request"),
        ({"prompt": "none login"}, "invalid_request"),
        ({"prompt": "bogus"}, "invalid_request"),
        ({"prompt": "none"}, "login_required"),
        ({"max_age": "-1"}, "invalid_request"),
        ({"max_age": "ten"}, "invalid_request"),
        ({"claims": "{not json"}, "invalid_request"),
        ({"claims": json.dumps({"userinfo": ["email"]})}, "invalid_request"),
        ({"claims": json.dumps({"id_token": {"acr": {"essential": "yes"}}})}, "invalid_request"),
        ({"request": "eyJhbGciOiJub25lIn0.e30."}, "request_not_supported"),
        ({"registration": "{}"}, "registration_not_supported"),
        ({"id_token_hint": "not-a-jwt"}, "invalid_request"),
        ({"display": "hologram"}, "invalid_request"),
        ({"state": "s" * 3000}, "invalid_request"),
    ],
)
async def test_errors_go_back_to_the_client(
    mh: Harness, app: App, change: dict[str, str | None], error: str
) -> None:
    params: dict[str, str] = auth_params(app, pkce_pair()[1], state="xyz")
    for key, value in change.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = value
    status, location, headers = await _get(mh, params)
    assert status == 302, (status, location)
    expected_state = params["state"] if len(params["state"]) <= 2048 else None
    _redirected_error(location, error, expected_state, mh.settings.issuer)
    assert headers["cache-control"] == "no-store"


async def test_repeated_parameter_is_invalid_request(mh: Harness, app: App) -> None:
    params = auth_params(app, pkce_pair()[1])
    url = f"/oauth2/authorize?{urlencode(params)}&scope=openid"
    resp = await mh.client.get(url)
    assert resp.status_code == 302
    assert query(resp.headers["location"])["error"] == "invalid_request"


async def test_fragment_and_form_post_error_delivery(mh: Harness, app: App) -> None:
    params = auth_params(app, None, response_mode="fragment", state="abc")
    status, location, _ = await _get(mh, params)
    assert status == 302 and location.startswith(CALLBACK + "#")
    assert query(location) == {
        "error": "invalid_request",
        "error_description": "code_challenge is required (PKCE, S256)",
        "state": "abc",
        "iss": mh.settings.issuer,
    }
    params = auth_params(app, None, response_mode="form_post", state=XSS)
    resp = await mh.client.get(f"/oauth2/authorize?{urlencode(params)}")
    assert resp.status_code == 200 and "location" not in resp.headers
    form = forms(resp.text)[0]
    assert form["action"] == CALLBACK
    assert form["fields"]["error"] == "invalid_request"
    assert form["fields"]["state"] == XSS  # round-trips exactly ...
    assert "<script>alert" not in resp.text  # ... and is escaped in the page
    csp = resp.headers["content-security-policy"]
    assert "script-src 'nonce-" in csp and "unsafe-inline" not in csp
    assert ">Continue</button>" in resp.text  # usable without JavaScript


async def test_public_client_needs_pkce_and_confidential_may_opt_out(
    mh: Harness, browser: Browser
) -> None:
    spa = await make_app(mh, type="spa")
    status, location, _ = await _get(mh, auth_params(spa, None))
    assert status == 302
    _redirected_error(location, "invalid_request", query(location).get("state"), mh.settings.issuer)
    relaxed = await make_app(mh, pkce_required=False)
    page = await browser.authorize(auth_params(relaxed, None))
    assert 'name="password"' in page.text


async def test_post_authorization_request(mh: Harness, app: App, browser: Browser) -> None:
    params = auth_params(app, pkce_pair()[1])
    resp = await browser.client.post("/oauth2/authorize", data=params)
    # A fresh browser (no cookies yet) is sent to the resume URL to look at its session.
    assert resp.status_code == 303
    assert "/oauth2/authorize/resume/" in resp.headers["location"]
    page = await browser.follow(resp)
    assert 'name="password"' in page.text


async def test_unknown_org_and_interaction(mh: Harness, app: App) -> None:
    resp = await mh.client.get("/o/nope/oauth2/authorize?client_id=x")
    assert resp.status_code == 404
    resp = await mh.client.get("/oauth2/authorize/resume/unknown-interaction")
    assert resp.status_code == 400 and "expired or is unknown" in resp.text
    resp = await mh.client.get("/login/unknown-flow")
    assert resp.status_code == 400 and "expired" in resp.text


async def test_client_of_another_org_is_unknown_here(mh: Harness) -> None:
    await mh.create_org("acme-errors")
    acme_app = await make_app(mh, "acme-errors")
    params = auth_params(acme_app, pkce_pair()[1])
    resp = await mh.client.get(f"/oauth2/authorize?{urlencode(params)}")
    assert resp.status_code == 400 and "location" not in resp.headers
    resp = await mh.client.get(f"/o/acme-errors/oauth2/authorize?{urlencode(params)}")
    assert resp.status_code == 302 and "/o/acme-errors/login/" in resp.headers["location"]
