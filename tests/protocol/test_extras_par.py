"""RFC 9126 pushed authorization requests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
import pytest_asyncio

from identra.cache.memory import MemoryCache
from identra.clock import FrozenClock
from identra.protocols.oauth2.models import Client
from identra.protocols.oauth2.par import REQUEST_URI_PREFIX, PushedRequests
from tests.protocol.extras_helpers import Creds, m2m, update_app
from tests.protocol.oidc.support import App, Browser, make_app, make_user, pkce_pair
from tests.support import Harness, harness

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def h(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Harness]:
    """One application for the module: every test makes its own clients and organizations."""
    async with harness(tmp_path_factory.mktemp("extras")) as value:
        yield value


def pushed_params(app: App, **extra: str) -> dict[str, str]:
    _, challenge = pkce_pair()
    params = {
        "response_type": "code",
        "redirect_uri": app.redirect_uri,
        "scope": "openid",
        "state": "s1",
        "nonce": "n1",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    params.update(extra)
    return {k: v for k, v in params.items() if v != ""}


async def push(h: Harness, app: App, **extra: str) -> dict[str, object]:
    resp = await h.client.post(
        "/oauth2/par",
        data=pushed_params(app, **extra),
        auth=(app.client_id, app.client_secret or ""),
    )
    assert resp.status_code == 201, resp.text
    body: dict[str, object] = resp.json()
    return body


async def authorize(h: Harness, client_id: str, request_uri: str) -> httpx.Response:
    query = urlencode({"client_id": client_id, "request_uri": request_uri})
    return await h.client.get(f"/oauth2/authorize?{query}")


async def test_push_then_authorize_once(h: Harness) -> None:
    await make_user(h, username="parry")
    app = await make_app(h)
    body = await push(h, app)
    assert body["expires_in"] == 60
    request_uri = str(body["request_uri"])
    assert request_uri.startswith(REQUEST_URI_PREFIX)
    browser = Browser(h.client, h.settings.issuer)
    page = await browser.follow(await authorize(h, app.client_id, request_uri))
    assert page.status_code == 200 and 'name="password"' in page.text
    again = await authorize(h, app.client_id, request_uri)
    assert again.status_code == 400 and "invalid_request_uri" in again.text


async def test_another_client_cannot_use_it(h: Harness) -> None:
    app = await make_app(h)
    other = await make_app(h)
    request_uri = str((await push(h, app))["request_uri"])
    stolen = await authorize(h, other.client_id, request_uri)
    assert stolen.status_code == 400
    # ... and cannot burn it for its owner either.
    browser = Browser(h.client, h.settings.issuer)
    mine = await browser.follow(await authorize(h, app.client_id, request_uri))
    assert mine.status_code == 200


async def test_expired_request_uri(tmp_path: Path) -> None:
    clock = FrozenClock()
    async with harness(tmp_path, clock=clock) as h:
        app = await make_app(h)
        request_uri = str((await push(h, app))["request_uri"])
        clock.advance(61)
        late = await authorize(h, app.client_id, request_uri)
        assert late.status_code == 400


async def test_public_client_pushes_with_client_id(h: Harness) -> None:
    native = await make_app(h, type="native")
    resp = await h.client.post(
        "/oauth2/par", data={**pushed_params(native), "client_id": native.client_id}
    )
    assert resp.status_code == 201, resp.text


async def test_client_that_must_push(h: Harness) -> None:
    app = await make_app(h)
    await update_app(
        h,
        Creds(app.id, app.client_id, app.client_secret, "root"),
        settings={"require_pushed_authorization_requests": True},
    )
    query = urlencode({"client_id": app.client_id, **pushed_params(app)})
    direct = await h.client.get(f"/oauth2/authorize?{query}")
    assert direct.status_code == 400 and "pushed" in direct.text
    request_uri = str((await push(h, app))["request_uri"])
    browser = Browser(h.client, h.settings.issuer)
    page = await browser.follow(await authorize(h, app.client_id, request_uri))
    assert page.status_code == 200


# --------------------------------------------------------------------------- error paths


async def test_request_errors(h: Harness) -> None:
    app = await make_app(h)
    auth = (app.client_id, app.client_secret or "")

    async def status(data: dict[str, str]) -> tuple[int, str]:
        resp = await h.client.post("/oauth2/par", data=data, auth=auth)
        return resp.status_code, resp.json().get("error", "")

    assert await status(pushed_params(app, request_uri="urn:x")) == (400, "invalid_request")
    assert await status(pushed_params(app, request="eyJ.x.y")) == (400, "invalid_request")
    assert await status(pushed_params(app, response_type="")) == (400, "invalid_request")
    assert await status(pushed_params(app, response_type="token")) == (
        400,
        "unsupported_response_type",
    )
    assert await status(pushed_params(app, redirect_uri="https://evil.example/cb")) == (
        400,
        "invalid_request",
    )
    assert await status(pushed_params(app, code_challenge="", code_challenge_method="")) == (
        400,
        "invalid_request",
    )
    too_big = pushed_params(app, login_hint="x" * 20_000)
    assert await status(too_big) == (400, "invalid_request")
    twice = await h.client.post(
        "/oauth2/par",
        content="response_type=code&response_type=code",
        headers={"content-type": "application/x-www-form-urlencoded"},
        auth=auth,
    )
    assert twice.status_code == 400 and twice.json()["error"] == "invalid_request"


async def test_client_authentication_errors(h: Harness) -> None:
    app = await make_app(h)
    no_auth = await h.client.post("/oauth2/par", data=pushed_params(app))
    assert no_auth.status_code == 401 and no_auth.json()["error"] == "invalid_client"
    wrong = await h.client.post(
        "/oauth2/par", data=pushed_params(app), auth=(app.client_id, "nope")
    )
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    machine = await m2m(h)
    m2m_push = await h.client.post("/oauth2/par", data=pushed_params(app), auth=machine.auth)
    assert m2m_push.status_code == 400 and m2m_push.json()["error"] == "unauthorized_client"
    assert (await h.client.get("/oauth2/par")).status_code == 405


# --------------------------------------------------------------------------- the store itself


def _client(client_id: str = "c1", org_id: str = "o1") -> Client:
    return Client(
        id="a1",
        org_id=org_id,
        client_id=client_id,
        name="n",
        type="web",
        enabled=True,
        secret_digest=None,
        auth_method="client_secret_basic",
        grant_types=frozenset({"authorization_code"}),
        scopes=frozenset(),
        audiences=(),
        redirect_uris=("https://app.example/cb",),
        pkce_required=True,
        access_token_format="jwt",
        access_token_ttl=None,
    )


async def test_store_rules() -> None:
    now = [1_000]
    store = PushedRequests(MemoryCache(), lambda: now[0])
    uri = await store.push(org_id="o1", client_id="c1", params={"scope": "openid"})
    assert await store.take(uri, _client("c2")) is None  # another client
    assert await store.take(uri, _client(org_id="o2")) is None  # another organization
    assert await store.take("urn:other:" + uri, _client()) is None  # not ours
    assert await store.take(uri, _client()) == {"scope": ["openid"]}
    assert await store.take(uri, _client()) is None  # single use
    late = await store.push(org_id="o1", client_id="c1", params={})
    now[0] += 60
    assert await store.take(late, _client()) is None  # expired
