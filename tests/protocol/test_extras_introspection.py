"""RFC 7662 token introspection: active answers, and ``active: false`` for everything else."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from identra.clock import FrozenClock
from tests.protocol.extras_helpers import (
    access_token,
    introspect,
    m2m,
    new_org,
    public_app,
    revoke,
    user_tokens,
)
from tests.support import Harness, harness

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def h(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Harness]:
    """One application for the module: every test makes its own clients and organizations."""
    async with harness(tmp_path_factory.mktemp("extras")) as value:
        yield value


async def test_active_jwt_access_token(h: Harness) -> None:
    issuer = await m2m(h, scopes=["users:read"])
    resource = await m2m(h)
    token = await access_token(h, issuer)
    resp = await introspect(h, resource, token)
    assert resp.status_code == 200
    assert resp.headers["cache-control"] == "no-store"
    body = resp.json()
    assert body["active"] is True
    assert body["client_id"] == issuer.client_id
    assert body["sub"] == issuer.client_id
    assert body["scope"] == "users:read"
    assert body["iss"] == h.settings.issuer
    assert body["token_type"] == "Bearer"
    assert {"exp", "iat", "jti", "aud"} <= body.keys()
    assert "org_id" not in body


async def test_hint_is_honoured_but_not_trusted(h: Harness) -> None:
    issuer = await m2m(h)
    token = await access_token(h, issuer)
    for hint in ("refresh_token", "access_token", "something_else"):
        body = (await introspect(h, issuer, token, token_type_hint=hint)).json()
        assert body["active"] is True, hint


@pytest.mark.parametrize(
    "token",
    ["", "garbage", "a.b.c", "x" * 9000, "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."],
)
async def test_unknown_or_malformed_is_inactive(h: Harness, token: str) -> None:
    resource = await m2m(h)
    resp = await introspect(h, resource, token)
    if token == "":
        assert resp.status_code == 400 and resp.json()["error"] == "invalid_request"
        return
    assert resp.status_code == 200
    assert resp.json() == {"active": False}


async def test_forged_signature_is_inactive(h: Harness) -> None:
    issuer = await m2m(h)
    token = await access_token(h, issuer)
    head, payload, sig = token.split(".")
    forged = f"{head}.{payload}.{sig[:-4]}AAAA"
    assert (await introspect(h, issuer, forged)).json() == {"active": False}


async def test_expired_token_is_inactive(tmp_path: Path) -> None:
    clock = FrozenClock()
    async with harness(tmp_path, clock=clock) as h:
        issuer = await m2m(h, access_token_ttl=120)
        token = await access_token(h, issuer)
        assert (await introspect(h, issuer, token)).json()["active"] is True
        clock.advance(121)
        assert (await introspect(h, issuer, token)).json() == {"active": False}


async def test_token_of_another_organization_is_inactive(h: Harness) -> None:
    acme = await new_org(h, "acme")
    globex = await new_org(h, "globex")
    acme = await m2m(h, acme)
    globex = await m2m(h, globex)
    token = await access_token(h, acme)
    assert (await introspect(h, acme, token)).json()["active"] is True
    assert (await introspect(h, globex, token)).json() == {"active": False}
    # The same client of acme asking at the root issuer cannot authenticate there at all.
    resp = await h.client.post("/oauth2/introspect", data={"token": token}, auth=acme.auth)
    assert resp.status_code == 401 and resp.json()["error"] == "invalid_client"


async def test_revoked_token_is_inactive(h: Harness) -> None:
    issuer = await m2m(h)
    token = await access_token(h, issuer)
    assert (await revoke(h, issuer, token)).status_code == 200
    assert (await introspect(h, issuer, token)).json() == {"active": False}


async def test_opaque_access_token(h: Harness) -> None:
    issuer = await m2m(h, scopes=["reports:read"], access_token_format="opaque")
    resp = await h.client.post(
        "/oauth2/token", data={"grant_type": "client_credentials"}, auth=issuer.auth
    )
    body = resp.json()
    assert resp.status_code == 200 and body["token_type"] == "Bearer"
    assert body["access_token"].count(".") == 0
    info = (await introspect(h, issuer, body["access_token"])).json()
    assert info["active"] is True
    assert info["client_id"] == issuer.client_id and info["scope"] == "reports:read"
    assert info["exp"] - info["iat"] == body["expires_in"]


async def test_refresh_tokens_are_visible_to_their_client_only(h: Harness) -> None:
    web, tokens = await user_tokens(h)
    resource = await m2m(h)
    mine = (await introspect(h, web, tokens["refresh_token"])).json()
    assert mine["active"] is True and mine["token_type"] == "refresh_token"
    assert mine["client_id"] == web.client_id and "offline_access" in mine["scope"]
    theirs = (await introspect(h, resource, tokens["refresh_token"])).json()
    assert theirs == {"active": False}
    # The user's access token is an ordinary access token for any resource server.
    at = (await introspect(h, resource, tokens["access_token"])).json()
    assert at["active"] is True and at["sub"] != web.client_id


async def test_rotated_refresh_token_is_inactive(h: Harness) -> None:
    web, tokens = await user_tokens(h)
    refreshed = await h.client.post(
        "/oauth2/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=web.auth,
    )
    assert refreshed.status_code == 200, refreshed.text
    assert (await introspect(h, web, tokens["refresh_token"])).json() == {"active": False}
    new = refreshed.json()["refresh_token"]
    assert (await introspect(h, web, new)).json()["active"] is True


# --------------------------------------------------------------------------- error paths


async def test_public_clients_cannot_introspect(h: Harness) -> None:
    issuer = await m2m(h)
    token = await access_token(h, issuer)
    spa = await public_app(h)
    resp = await h.client.post(
        "/oauth2/introspect", data={"token": token, "client_id": spa.client_id}
    )
    assert resp.status_code == 401 and resp.json()["error"] == "invalid_client"


async def test_client_authentication_is_required(h: Harness) -> None:
    resp = await h.client.post("/oauth2/introspect", data={"token": "x"})
    assert resp.status_code == 401 and resp.json()["error"] == "invalid_client"
    issuer = await m2m(h)
    wrong = await h.client.post(
        "/oauth2/introspect", data={"token": "x"}, auth=(issuer.client_id, "wrong")
    )
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    assert "www-authenticate" in wrong.headers


async def test_request_shape_errors(h: Harness) -> None:
    issuer = await m2m(h)
    missing = await h.client.post("/oauth2/introspect", data={}, auth=issuer.auth)
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_request"
    twice = await h.client.post(
        "/oauth2/introspect",
        content="token=a&token=b",
        auth=issuer.auth,
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert twice.status_code == 400 and twice.json()["error"] == "invalid_request"
    as_json = await h.client.post("/oauth2/introspect", json={"token": "x"}, auth=issuer.auth)
    assert as_json.status_code == 400 and as_json.json()["error"] == "invalid_request"
    assert (await h.client.get("/oauth2/introspect")).status_code == 405


async def test_unknown_organization_is_404(h: Harness) -> None:
    resp = await h.client.post("/o/nope/oauth2/introspect", data={"token": "x"})
    assert resp.status_code == 404
