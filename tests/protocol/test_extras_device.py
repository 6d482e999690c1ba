"""RFC 8628 device authorization grant."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import select

from identra.clock import FrozenClock
from identra.protocols.oauth2.device import normalize_user_code
from identra.storage.models import Organization
from identra.web.oauth_extras import device_codes
from tests.protocol.extras_helpers import DEVICE_CODE, introspect, m2m, unverified_claims
from tests.protocol.oidc.support import App, make_app, make_user
from tests.support import Harness, harness

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def h(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Harness]:
    """One application for the module: every test makes its own clients and organizations."""
    async with harness(tmp_path_factory.mktemp("extras")) as value:
        yield value


async def org_id(h: Harness, handle: str = "root") -> str:
    async with h.services.sessions() as session:
        found = await session.scalar(select(Organization.id).where(Organization.handle == handle))
    assert found is not None
    return found


async def tv_app(h: Harness, **kw: Any) -> App:
    return await make_app(h, type="native", grant_types=[DEVICE_CODE, "refresh_token"], **kw)


async def start(h: Harness, app: App, scope: str = "openid offline_access") -> dict[str, Any]:
    resp = await h.client.post(
        "/oauth2/device_authorization", data={"client_id": app.client_id, "scope": scope}
    )
    assert resp.status_code == 200, resp.text
    assert resp.headers["cache-control"] == "no-store"
    body: dict[str, Any] = resp.json()
    return body


async def poll(h: Harness, app: App, device_code: str) -> httpx.Response:
    return await h.client.post(
        "/oauth2/token",
        data={"grant_type": DEVICE_CODE, "device_code": device_code, "client_id": app.client_id},
    )


def error(resp: httpx.Response) -> tuple[int, str]:
    return resp.status_code, resp.json().get("error", "")


async def test_full_flow(tmp_path: Path) -> None:
    clock = FrozenClock()
    async with harness(tmp_path, clock=clock) as h:
        user_id = await make_user(h, username="viewer")
        app = await tv_app(h)
        body = await start(h, app)
        assert body["expires_in"] == 600 and body["interval"] == 5
        assert body["verification_uri"] == f"{h.settings.issuer}/device"
        assert body["verification_uri_complete"].endswith(body["user_code"])
        assert len(body["user_code"]) == 9 and body["user_code"][4] == "-"
        code = body["device_code"]
        assert error(await poll(h, app, code)) == (400, "authorization_pending")
        # Polling again at once: slow_down, and the interval grows by 5 seconds.
        assert error(await poll(h, app, code)) == (400, "slow_down")
        clock.advance(6)
        assert error(await poll(h, app, code)) == (400, "slow_down")  # now 10 s
        clock.advance(10)
        assert error(await poll(h, app, code)) == (400, "authorization_pending")
        devices = device_codes(h.services)
        root = await org_id(h)
        typed = body["user_code"].lower().replace("-", " ")
        pending = await devices.by_user_code(root, typed, clock.timestamp())
        assert pending is not None and pending.client_id == app.client_id
        approved = await devices.approve(
            root, typed, user_id, clock.timestamp(), auth_time=clock.timestamp(), amr=["pwd"]
        )
        assert approved is not None
        # The user code is spent.
        assert await devices.approve(root, typed, user_id, clock.timestamp()) is None
        clock.advance(10)
        tokens = await poll(h, app, code)
        assert tokens.status_code == 200, tokens.text
        issued = tokens.json()
        assert {"access_token", "refresh_token", "id_token"} <= issued.keys()
        assert unverified_claims(issued["access_token"])["sub"] == user_id
        assert unverified_claims(issued["id_token"])["amr"] == ["pwd"]
        # One token response per code.
        clock.advance(10)
        assert error(await poll(h, app, code)) == (400, "invalid_grant")
        refreshed = await h.client.post(
            "/oauth2/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": issued["refresh_token"],
                "client_id": app.client_id,
            },
        )
        assert refreshed.status_code == 200, refreshed.text


async def test_denied(h: Harness) -> None:
    app = await tv_app(h)
    body = await start(h, app)
    root = await org_id(h)
    now = h.services.clock.timestamp()
    assert await device_codes(h.services).deny(root, body["user_code"], now) is not None
    assert error(await poll(h, app, body["device_code"])) == (400, "access_denied")
    assert error(await poll(h, app, body["device_code"])) == (400, "invalid_grant")


async def test_expired(tmp_path: Path) -> None:
    clock = FrozenClock()
    async with harness(tmp_path, clock=clock) as h:
        app = await tv_app(h)
        body = await start(h, app)
        clock.advance(601)
        assert error(await poll(h, app, body["device_code"])) == (400, "expired_token")
        root = await org_id(h)
        assert (
            await device_codes(h.services).by_user_code(root, body["user_code"], clock.timestamp())
            is None
        )


async def test_scope_narrowed_on_approval_and_confidential_client(h: Harness) -> None:
    user_id = await make_user(h, username="narrow")
    creds = await m2m(h, scopes=["reports:read", "reports:write"], grant_types=[DEVICE_CODE])
    resp = await h.client.post(
        "/oauth2/device_authorization",
        data={"scope": "reports:read reports:write"},
        auth=creds.auth,
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    root = await org_id(h)
    now = h.services.clock.timestamp()
    await device_codes(h.services).approve(root, body["user_code"], user_id, now, ["reports:read"])
    tokens = await h.client.post(
        "/oauth2/token",
        data={"grant_type": DEVICE_CODE, "device_code": body["device_code"]},
        auth=creds.auth,
    )
    assert tokens.status_code == 200, tokens.text
    assert tokens.json()["scope"] == "reports:read"
    assert "refresh_token" not in tokens.json()
    info = (await introspect(h, creds, tokens.json()["access_token"])).json()
    assert info["sub"] == user_id and info["scope"] == "reports:read"


async def test_user_code_normalisation() -> None:
    assert normalize_user_code("bcdf-ghjk") == "BCDFGHJK"
    assert normalize_user_code(" BCDF GHJK ") == "BCDFGHJK"
    assert normalize_user_code("AEIO-U123") == ""


# --------------------------------------------------------------------------- error paths


async def test_device_code_of_another_client(h: Harness) -> None:
    app = await tv_app(h)
    other = await tv_app(h)
    body = await start(h, app)
    assert error(await poll(h, other, body["device_code"])) == (400, "invalid_grant")
    assert error(await poll(h, app, "made-up")) == (400, "invalid_grant")
    missing = await h.client.post(
        "/oauth2/token", data={"grant_type": DEVICE_CODE, "client_id": app.client_id}
    )
    assert error(missing) == (400, "invalid_request")


async def test_client_without_the_grant(h: Harness) -> None:
    web = await make_app(h, type="native")
    resp = await h.client.post("/oauth2/device_authorization", data={"client_id": web.client_id})
    assert error(resp) == (400, "unauthorized_client")
    token = await h.client.post(
        "/oauth2/token",
        data={"grant_type": DEVICE_CODE, "device_code": "x", "client_id": web.client_id},
    )
    assert error(token) == (400, "unauthorized_client")


async def test_request_errors(h: Harness) -> None:
    app = await tv_app(h)
    bad_scope = await h.client.post(
        "/oauth2/device_authorization", data={"client_id": app.client_id, "scope": "users:write"}
    )
    assert error(bad_scope) == (400, "invalid_scope")
    anonymous = await h.client.post("/oauth2/device_authorization", data={"scope": "openid"})
    assert error(anonymous) == (401, "invalid_client")
    unknown = await h.client.post("/oauth2/device_authorization", data={"client_id": "nope"})
    assert error(unknown) == (401, "invalid_client")
    not_form = await h.client.post(
        "/oauth2/device_authorization", json={"client_id": app.client_id}
    )
    assert error(not_form) == (400, "invalid_request")
