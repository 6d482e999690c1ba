"""Pairwise subject identifiers (OIDC Core 1.0 §8.1, §17.3; OIDC Registration §2, §5).

Through the real endpoints: the ID token, UserInfo, back-channel logout tokens, id_token_hint
at /authorize and at logout, the management API (with a sector identifier document served by
a local HTTP server) and dynamic client registration.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
import pytest_asyncio
import uvicorn
from joserfc import jwt
from joserfc.jwk import KeySet
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from identra.crypto.keyring import Keyring
from identra.protocols.oidc.subjects import Subjects
from identra.storage.models import Application
from tests.protocol.extras_helpers import new_org, set_org_settings
from tests.protocol.oidc.support import (
    LOGOUT_CALLBACK,
    PASSWORD,
    App,
    Browser,
    Receiver,
    auth_params,
    forms,
    hidden,
    make_app,
    make_user,
    pkce_pair,
    query,
)
from tests.support import ADMIN, Harness, free_port

pytestmark = pytest.mark.asyncio(loop_scope="module")

# UserInfo, id_token_hint at /authorize and the PATCH checks need wiring outside the OIDC
# package (web/oauth.py, authorize.py, routers/apps.py; decision 0027, "Wiring"). Once it is
# in, these tests must pass (strict): the marker then turns itself off.
WIRED = hasattr(Keyring, "active_algs")
needs_wiring = pytest.mark.xfail(
    not WIRED, strict=True, reason="needs the wiring described in decision 0027"
)

USER = "pairwise-user"
OTHER = "pairwise-other"
A_CB = "https://a.example/cb"
A_CB2 = "https://a.example/other/cb"
B_CB = "https://b.example/cb"
PAIRWISE = {"skip_consent": True, "subject_type": "pairwise"}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def users(mh: Harness) -> dict[str, str]:
    return {
        USER: await make_user(mh, username=USER),
        OTHER: await make_user(mh, username=OTHER),
    }


def new_browser(h: Harness) -> Browser:
    transport = httpx.ASGITransport(app=h.app)
    return Browser(
        httpx.AsyncClient(transport=transport, base_url=h.settings.issuer), h.settings.issuer
    )


async def tokens(
    browser: Browser, app: App, username: str = USER, prefix: str = "", **extra: str
) -> dict[str, Any]:
    verifier, challenge = pkce_pair()
    page = await browser.authorize(
        auth_params(app, challenge, **extra), f"{prefix}/oauth2/authorize"
    )
    if 'name="password"' in page.text:
        page = await browser.login(page, username)
    assert page.status_code in (302, 303), page.text
    back = query(page.headers["location"])
    assert "code" in back, back
    resp = await browser.client.post(
        f"{prefix}/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": back["code"],
            "redirect_uri": app.redirect_uri,
            "code_verifier": verifier,
        },
        auth=(app.client_id, app.client_secret or ""),
    )
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    return body


def claims(h: Harness, token: str) -> dict[str, Any]:
    return dict(jwt.decode(token, KeySet.import_key_set(h.services.keyring.jwks)).claims)


def sub_of(h: Harness, token_response: dict[str, Any]) -> str:
    return str(claims(h, token_response["id_token"])["sub"])


def pairwise(h: Harness, sector: str, user_id: str) -> str:
    return Subjects(h.services.box.digest).pairwise(sector, user_id)


def is_b64url_sha256(value: str) -> bool:
    return len(value) == 43 and len(base64.urlsafe_b64decode(value + "=")) == 32


# --------------------------------------------------------------------------- the ID token


async def test_pairwise_subjects_are_per_sector_and_stable(
    mh: Harness, users: dict[str, str], browser: Browser
) -> None:
    uid = users[USER]
    a1 = await make_app(mh, redirect_uris=[A_CB], settings=PAIRWISE)
    a2 = await make_app(mh, redirect_uris=[A_CB2], settings=PAIRWISE)
    b = await make_app(mh, redirect_uris=[B_CB], settings=PAIRWISE)
    public = await make_app(mh, redirect_uris=[A_CB], settings={"skip_consent": True})

    first = await tokens(browser, a1)
    sub_a1, sub_a2 = sub_of(mh, first), sub_of(mh, await tokens(browser, a2))
    sub_b, sub_public = (
        sub_of(mh, await tokens(browser, b)),
        sub_of(mh, await tokens(browser, public)),
    )
    # One sector (a.example) shares the subject; another sector gets its own; public is the id.
    assert sub_a1 == sub_a2 != sub_b
    assert sub_public == uid and uid not in (sub_a1, sub_b)
    assert is_b64url_sha256(sub_a1) and is_b64url_sha256(sub_b)
    assert sub_a1 == pairwise(mh, "a.example", uid) and sub_b == pairwise(mh, "b.example", uid)
    # Stable: a later login, and a refreshed ID token, carry the same subject.
    assert sub_of(mh, await tokens(browser, a1, prompt="login")) == sub_a1
    refreshed = await browser.client.post(
        "/oauth2/token",
        data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
        auth=(a1.client_id, a1.client_secret or ""),
    )
    assert refreshed.status_code == 200, refreshed.text
    assert sub_of(mh, refreshed.json()) == sub_a1
    # Another user of the same sector gets another subject.
    other = new_browser(mh)
    async with other.client:
        assert sub_of(mh, await tokens(other, a1, username=OTHER)) not in (sub_a1, users[OTHER])
    # Access tokens and introspection keep the local id (for this deployment's resource servers).
    assert claims(mh, first["access_token"])["sub"] == uid
    seen = await mh.client.post(
        "/oauth2/introspect",
        data={"token": first["access_token"]},
        auth=(a1.client_id, a1.client_secret or ""),
    )
    assert seen.status_code == 200 and seen.json()["active"] is True
    assert seen.json()["sub"] == uid


async def test_the_sector_identifier_uri_host_is_the_sector(
    mh: Harness, users: dict[str, str], browser: Browser
) -> None:
    # Redirect URIs on two hosts, grouped by a sector identifier document (validated when it
    # was configured; here the settings are written directly).
    grouped = await make_app(
        mh,
        redirect_uris=[A_CB, B_CB],
        settings={**PAIRWISE, "sector_identifier_uri": "https://sector.example/ids.json"},
    )
    same_host = await make_app(mh, redirect_uris=["https://sector.example/cb"], settings=PAIRWISE)
    sub = sub_of(mh, await tokens(browser, grouped))
    assert sub == pairwise(mh, "sector.example", users[USER])
    assert sub_of(mh, await tokens(browser, same_host)) == sub


async def test_a_pairwise_client_without_a_sector_gets_no_tokens(
    mh: Harness, users: dict[str, str], browser: Browser
) -> None:
    # Redirect URIs on two hosts and no sector identifier URI (the configuration checks refuse
    # this; here it is written directly): never the public id instead.
    app = await make_app(mh, redirect_uris=[A_CB, B_CB], settings=PAIRWISE)
    verifier, challenge = pkce_pair()
    back = await browser.code_flow(auth_params(app, challenge), username=USER)
    resp = await browser.client.post(
        "/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": back["code"],
            "redirect_uri": app.redirect_uri,
            "code_verifier": verifier,
        },
        auth=(app.client_id, app.client_secret or ""),
    )
    assert resp.status_code == 500 and resp.json()["error"] == "server_error"
    assert "id_token" not in resp.text and users[USER] not in resp.text


@needs_wiring
async def test_userinfo_agrees_with_the_id_token(
    mh: Harness, users: dict[str, str], browser: Browser
) -> None:
    for settings in (PAIRWISE, {"skip_consent": True}):
        app = await make_app(mh, redirect_uris=[B_CB], settings=settings)
        issued = await tokens(browser, app)
        info = await browser.client.get(
            "/oauth2/userinfo", headers={"authorization": f"Bearer {issued['access_token']}"}
        )
        assert info.status_code == 200, info.text
        assert info.json()["sub"] == sub_of(mh, issued)
        assert info.json()["preferred_username"] == USER
    assert info.json()["sub"] == users[USER]


# --------------------------------------------------------------------------- subjects coming back


@needs_wiring
async def test_id_token_hint_with_a_pairwise_sub_names_the_session_user(
    mh: Harness, users: dict[str, str]
) -> None:
    app = await make_app(mh, redirect_uris=[A_CB], settings=PAIRWISE)
    alice = new_browser(mh)
    async with alice.client:
        hint = (await tokens(alice, app))["id_token"]
        resp = await alice.authorize(
            auth_params(app, pkce_pair()[1], prompt="none", id_token_hint=hint)
        )
        assert "code" in query(resp.headers["location"]), resp.headers["location"]
        # prompt=login with the hint: the login page expects that very user.
        page = await alice.authorize(
            auth_params(app, pkce_pair()[1], prompt="login", id_token_hint=hint)
        )
        wrong = await _submit(alice, page, OTHER)
        assert wrong.status_code == 401 and "Sign in as the user" in wrong.text
        right = await alice.follow(await _submit(alice, page, USER))
        assert "code" in query(right.headers["location"])


async def test_id_token_hint_with_a_pairwise_sub_is_refused_for_another_user(
    mh: Harness, users: dict[str, str]
) -> None:
    app = await make_app(mh, redirect_uris=[A_CB], settings=PAIRWISE)
    alice, bob = new_browser(mh), new_browser(mh)
    async with alice.client, bob.client:
        hint = (await tokens(alice, app))["id_token"]
        await tokens(bob, app, username=OTHER)
        resp = await bob.authorize(
            auth_params(app, pkce_pair()[1], prompt="none", id_token_hint=hint)
        )
        back = query(resp.headers["location"])
        assert back["error"] == "login_required" and "code" not in back
        # Nobody logged in: the hinted user is not logged in either.
        nobody = new_browser(mh)
        async with nobody.client:
            resp = await nobody.authorize(
                auth_params(app, pkce_pair()[1], prompt="none", id_token_hint=hint)
            )
            assert query(resp.headers["location"])["error"] == "login_required"


@needs_wiring
async def test_an_unknown_pairwise_hint_is_checked_after_the_login(
    mh: Harness, users: dict[str, str]
) -> None:
    app = await make_app(mh, redirect_uris=[A_CB], settings=PAIRWISE)
    alice = new_browser(mh)
    async with alice.client:
        hint = (await tokens(alice, app))["id_token"]
    # A browser without a session cannot tell whom the hint names: anyone may log in, and the
    # answer depends on who did.
    for username, ok in ((OTHER, False), (USER, True)):
        fresh = new_browser(mh)
        async with fresh.client:
            page = await fresh.authorize(auth_params(app, pkce_pair()[1], id_token_hint=hint))
            back = query((await fresh.login(page, username)).headers["location"])
            assert ("code" in back) is ok, back
            if not ok:
                assert back["error"] == "login_required"


async def _submit(browser: Browser, page: httpx.Response, username: str) -> httpx.Response:
    action = forms(page.text)[0]["action"]
    data = {**hidden(page.text), "username": username, "password": PASSWORD, "action": "login"}
    return await browser.client.post(action, data=data)


async def test_logout_with_a_pairwise_hint(mh: Harness, users: dict[str, str]) -> None:
    app = await make_app(mh, redirect_uris=[A_CB], settings=PAIRWISE)
    alice, bob = new_browser(mh), new_browser(mh)
    async with alice.client, bob.client:
        hint = (await tokens(alice, app))["id_token"]
        await tokens(bob, app, username=OTHER)
        params = {"id_token_hint": hint, "post_logout_redirect_uri": LOGOUT_CALLBACK, "state": "s"}
        # Bob's session is not the hinted user's: he is asked before anything happens.
        asked = await bob.client.get(f"/oauth2/logout?{urlencode(params)}")
        assert asked.status_code == 200 and "Sign out?" in asked.text
        # Alice's is: the hint proves the request; she is logged out and sent back at once.
        done = await alice.client.get(f"/oauth2/logout?{urlencode(params)}")
        assert done.status_code == 303
        assert done.headers["location"] == f"{LOGOUT_CALLBACK}?state=s"
        again = await alice.authorize(auth_params(app, pkce_pair()[1], prompt="none"))
        assert query(again.headers["location"])["error"] == "login_required"


async def test_back_channel_logout_token_carries_the_pairwise_sub(
    mh: Harness, users: dict[str, str]
) -> None:
    alice = new_browser(mh)
    with Receiver() as receiver:
        app = await make_app(
            mh,
            redirect_uris=[B_CB],
            settings={**PAIRWISE, "backchannel_logout_uri": receiver.url},
        )
        async with alice.client:
            issued = await tokens(alice, app)
            resp = await alice.client.get(
                f"/oauth2/logout?{urlencode({'id_token_hint': issued['id_token']})}"
            )
            assert resp.status_code == 200 and "signed out" in resp.text
    assert len(receiver.received) == 1
    logout = claims(mh, receiver.received[0]["logout_token"])
    assert logout["sub"] == sub_of(mh, issued) == pairwise(mh, "b.example", users[USER])


# --------------------------------------------------------------------------- configuration


class Documents:
    """Sector identifier documents on loopback (uvicorn in a thread): path -> (type, body)."""

    def __init__(self, documents: dict[str, tuple[str, bytes]]) -> None:
        self.documents = documents
        self.fetched: list[str] = []
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"

        async def endpoint(request: Request) -> Response:
            self.fetched.append(request.url.path)
            found = self.documents.get(request.url.path)
            if found is None:
                return Response("not here", status_code=404)
            return Response(found[1], media_type=found[0])

        app = Starlette(routes=[Route("/{path:path}", endpoint)])
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_config=None)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Documents:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the document server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def json_list(*uris: str) -> tuple[str, bytes]:
    return "application/json", json.dumps(list(uris)).encode()


async def create(h: Harness, **body: Any) -> httpx.Response:
    payload: dict[str, Any] = {"name": f"pw-{secrets.token_hex(4)}", "type": "web", **body}
    return await h.client.post("/api/v1/orgs/root/applications", json=payload, headers=ADMIN)


async def app_named(h: Harness, name: str) -> Application | None:
    async with h.services.sessions() as session:
        found: Application | None = await session.scalar(
            select(Application).where(Application.name == name)
        )
        return found


async def test_management_api_sector_identifier_document(
    mh: Harness, users: dict[str, str], browser: Browser
) -> None:
    docs = {
        "/ok.json": json_list(A_CB, B_CB, "https://c.example/cb"),
        "/short.json": json_list(A_CB),
        "/text": ("text/plain", b"https://a.example/cb"),
        "/object.json": ("application/json", b'{"redirect_uris": []}'),
    }
    with Documents(docs) as server:
        ok = await create(
            mh,
            redirect_uris=[A_CB, B_CB],
            subject_type="pairwise",
            sector_identifier_uri=f"{server.base}/ok.json",
            skip_consent=True,
        )
        assert ok.status_code == 201, ok.text
        body = ok.json()
        assert body["subject_type"] == "pairwise"
        assert body["sector_identifier_uri"] == f"{server.base}/ok.json"
        assert body["id_token_signed_response_alg"] == "RS256"
        assert server.fetched == ["/ok.json"]
        read = await mh.client.get(f"/api/v1/orgs/root/applications/{body['id']}", headers=ADMIN)
        assert read.json()["subject_type"] == "pairwise"

        bad = {
            "short.json": "does not list the redirect URI https://b.example/cb",
            "text": "not JSON",
            "object.json": "must be a JSON array",
            "absent.json": "answered HTTP 404",
        }
        for path, message in bad.items():
            name = f"pw-bad-{secrets.token_hex(3)}"
            resp = await create(
                mh,
                name=name,
                redirect_uris=[A_CB, B_CB],
                subject_type="pairwise",
                sector_identifier_uri=f"{server.base}/{path}",
            )
            assert resp.status_code == 422, (path, resp.text)
            problem = resp.json()
            assert resp.headers["content-type"].startswith("application/problem+json")
            assert message in problem["detail"], (path, problem)
            assert await app_named(mh, name) is None
    # Nothing listens there any more.
    name = f"pw-bad-{secrets.token_hex(3)}"
    gone = await create(
        mh,
        name=name,
        redirect_uris=[A_CB],
        subject_type="pairwise",
        sector_identifier_uri=f"{server.base}/ok.json",
    )
    assert gone.status_code == 422 and "could not be fetched" in gone.json()["detail"]
    assert await app_named(mh, name) is None

    # The application works with the sector of its document: 127.0.0.1.
    app = App(body["id"], body["client_id"], body["client_secret"], A_CB)
    sub = sub_of(mh, await tokens(browser, app))
    assert sub == pairwise(mh, "127.0.0.1", users[USER])


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"subject_type": "secret"}, "subject_type"),
        ({"subject_type": "pairwise", "redirect_uris": [A_CB, B_CB]}, "subject_type"),
        (
            {"subject_type": "pairwise", "sector_identifier_uri": "http://sector.example/x"},
            "sector_identifier_uri",
        ),
        (
            {"subject_type": "pairwise", "sector_identifier_uri": "https://s.example/x#frag"},
            "sector_identifier_uri",
        ),
        ({"sector_identifier_uri": ""}, "sector_identifier_uri"),
        ({"id_token_signed_response_alg": "none"}, "id_token_signed_response_alg"),
        ({"id_token_signed_response_alg": "HS256"}, "id_token_signed_response_alg"),
        # No active PS256 key in this deployment.
        ({"id_token_signed_response_alg": "PS256"}, "id_token_signed_response_alg"),
    ],
)
async def test_management_api_refuses_bad_values(
    mh: Harness, body: dict[str, Any], field: str
) -> None:
    name = f"pw-bad-{secrets.token_hex(3)}"
    resp = await create(mh, name=name, **{"redirect_uris": [A_CB], **body})
    assert resp.status_code == 422, resp.text
    assert field in resp.text
    assert await app_named(mh, name) is None


async def test_management_api_pairwise_on_one_host(mh: Harness) -> None:
    resp = await create(mh, redirect_uris=[A_CB, A_CB2], subject_type="pairwise")
    assert resp.status_code == 201, resp.text
    assert resp.json()["subject_type"] == "pairwise"
    assert resp.json()["sector_identifier_uri"] is None


@needs_wiring
async def test_management_api_patch_checks_the_pairwise_sector(mh: Harness) -> None:
    created = await create(mh, redirect_uris=[A_CB])
    assert created.status_code == 201
    url = f"/api/v1/orgs/root/applications/{created.json()['id']}"
    ok = await mh.client.patch(url, json={"subject_type": "pairwise"}, headers=ADMIN)
    assert ok.status_code == 200 and ok.json()["subject_type"] == "pairwise"
    # A second host without a sector identifier URI would change whose sector it is.
    spread = await mh.client.patch(url, json={"redirect_uris": [A_CB, B_CB]}, headers=ADMIN)
    assert spread.status_code == 422 and "sector_identifier_uri" in spread.text
    unreachable = await mh.client.patch(
        url,
        json={"sector_identifier_uri": f"http://127.0.0.1:{free_port()}/ids.json"},
        headers=ADMIN,
    )
    assert unreachable.status_code == 422 and "could not be fetched" in unreachable.text
    alg = await mh.client.patch(url, json={"id_token_signed_response_alg": "PS256"}, headers=ADMIN)
    assert alg.status_code == 422
    read = (await mh.client.get(url, headers=ADMIN)).json()
    assert read["redirect_uris"] == [A_CB] and read["sector_identifier_uri"] is None
    assert read["id_token_signed_response_alg"] == "RS256"


# --------------------------------------------------------------------------- registration


async def test_dynamic_registration_of_a_pairwise_client(mh: Harness) -> None:
    handle = await new_org(mh, "pw-dcr")
    await set_org_settings(mh, handle, {"dynamic_client_registration": True})
    uid = await make_user(mh, handle, USER)
    prefix = f"/o/{handle}"
    metadata = {
        "client_name": "Pairwise RP",
        "redirect_uris": [A_CB],
        "grant_types": ["authorization_code"],
        "scope": "openid profile",
        "subject_type": "pairwise",
    }
    resp = await mh.client.post(f"{prefix}/oauth2/register", json=metadata)
    assert resp.status_code == 201, resp.text
    registered = resp.json()
    assert registered["subject_type"] == "pairwise"
    assert registered["id_token_signed_response_alg"] == "RS256"
    read = await mh.client.get(
        registered["registration_client_uri"].removeprefix(mh.settings.issuer),
        headers={"authorization": f"Bearer {registered['registration_access_token']}"},
    )
    assert read.json()["subject_type"] == "pairwise"
    # The management API shows the registered values.
    listed = await mh.client.get(
        f"/api/v1/orgs/{handle}/applications",
        params={"client_id": registered["client_id"]},
        headers=ADMIN,
    )
    assert listed.json()["items"][0]["subject_type"] == "pairwise"
    await _consent_free(mh, registered["client_id"])
    app = App("", registered["client_id"], registered["client_secret"], A_CB)
    browser = new_browser(mh)
    async with browser.client:
        issued = await tokens(browser, app, prefix=prefix, scope="openid profile")
    assert sub_of(mh, issued) == pairwise(mh, "a.example", uid)


async def _consent_free(h: Harness, client_id: str) -> None:
    async with h.services.sessions.begin() as session:
        app = await session.scalar(select(Application).where(Application.client_id == client_id))
        assert app is not None
        app.settings = {**(app.settings or {}), "skip_consent": True}


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"subject_type": "secret"}, "subject_type"),
        ({"subject_type": "pairwise", "redirect_uris": [A_CB, B_CB]}, "several hosts"),
        ({"subject_type": "pairwise", "sector_identifier_uri": "http://127.0.0.1/x"}, "https"),
        ({"sector_identifier_uri": 7}, "sector_identifier_uri"),
        # Nothing listens on port 1: the document cannot be fetched.
        ({"sector_identifier_uri": "https://127.0.0.1:1/ids.json"}, "could not be fetched"),
        ({"id_token_signed_response_alg": "none"}, "id_token_signed_response_alg"),
        ({"id_token_signed_response_alg": "HS256"}, "id_token_signed_response_alg"),
        ({"id_token_signed_response_alg": ["RS256"]}, "id_token_signed_response_alg"),
        ({"id_token_signed_response_alg": "PS256"}, "id_token_signed_response_alg"),
    ],
)
async def test_dynamic_registration_refuses_bad_values(
    mh: Harness, extra: dict[str, Any], message: str
) -> None:
    handle = await new_org(mh, "pw-dcr")
    await set_org_settings(mh, handle, {"dynamic_client_registration": True})
    metadata = {"client_name": "Bad RP", "redirect_uris": [A_CB], **extra}
    resp = await mh.client.post(f"/o/{handle}/oauth2/register", json=metadata)
    assert resp.status_code == 400, resp.text
    assert resp.json()["error"] == "invalid_client_metadata"
    assert message in resp.json()["error_description"]
    async with mh.services.sessions() as session:
        count = len(
            (
                await session.scalars(select(Application.id).where(Application.name == "Bad RP"))
            ).all()
        )
    assert count == 0


async def test_discovery_lists_both_subject_types(mh: Harness) -> None:
    doc = (await mh.client.get("/.well-known/openid-configuration")).json()
    assert doc["subject_types_supported"] == ["public", "pairwise"]
