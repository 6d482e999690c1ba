"""RFC 7009 token revocation."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from sqlalchemy import select

from identra.storage.models import AuditEvent, OAuthGrant, RevokedToken
from tests.protocol.extras_helpers import (
    access_token,
    client_token,
    introspect,
    m2m,
    new_org,
    public_app,
    revoke,
    unverified_claims,
    user_tokens,
)
from tests.protocol.oidc.support import bearer
from tests.support import Harness, harness

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def h(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Harness]:
    """One application for the module: every test makes its own clients and organizations."""
    async with harness(tmp_path_factory.mktemp("extras")) as value:
        yield value


async def test_revoked_jwt_is_refused_by_the_management_api(h: Harness) -> None:
    creds = await m2m(h, scopes=["users:read"])
    token = await access_token(h, creds)
    assert (await h.client.get("/api/v1/orgs/root/users", headers=bearer(token))).status_code == 200
    resp = await revoke(h, creds, token, token_type_hint="access_token")
    assert resp.status_code == 200 and resp.content == b""
    assert resp.headers["cache-control"] == "no-store"
    assert (await h.client.get("/api/v1/orgs/root/users", headers=bearer(token))).status_code == 401
    jti = unverified_claims(token)["jti"]
    async with h.services.sessions() as session:
        row = await session.get(RevokedToken, jti)
        events = (
            await session.scalars(select(AuditEvent.action).where(AuditEvent.target_id == jti))
        ).all()
    assert row is not None
    assert events == ["oauth.access_token.revoke"]
    # Revoking twice is fine (idempotent).
    assert (await revoke(h, creds, token)).status_code == 200


async def test_revocation_survives_a_lost_cache(h: Harness) -> None:
    creds = await m2m(h)
    token = await access_token(h, creds)
    await revoke(h, creds, token)
    await h.services.cache.delete(f"revoked:{unverified_claims(token)['jti']}")
    assert (await introspect(h, creds, token)).json() == {"active": False}


async def test_opaque_token_revocation(h: Harness) -> None:
    creds = await m2m(h, access_token_format="opaque")
    token = await access_token(h, creds)
    assert (await introspect(h, creds, token)).json()["active"] is True
    assert (await revoke(h, creds, token)).status_code == 200
    assert (await introspect(h, creds, token)).json() == {"active": False}


async def test_refresh_token_revocation_revokes_the_family(h: Harness) -> None:
    web, tokens = await user_tokens(h)
    resp = await revoke(h, web, tokens["refresh_token"], token_type_hint="refresh_token")
    assert resp.status_code == 200
    assert (await introspect(h, web, tokens["refresh_token"])).json() == {"active": False}
    # The access token issued with it names the grant, so it goes too (RFC 7009 §2.1 SHOULD).
    assert (await introspect(h, web, tokens["access_token"])).json() == {"active": False}
    refreshed = await h.client.post(
        "/oauth2/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=web.auth,
    )
    assert refreshed.status_code == 400 and refreshed.json()["error"] == "invalid_grant"
    grant_id = unverified_claims(tokens["access_token"])["grant_id"]
    async with h.services.sessions() as session:
        grant = await session.get(OAuthGrant, grant_id)
    assert grant is not None and grant.revoked_at is not None


async def test_access_token_revocation_leaves_the_refresh_token(h: Harness) -> None:
    web, tokens = await user_tokens(h)
    assert (await revoke(h, web, tokens["access_token"])).status_code == 200
    assert (await introspect(h, web, tokens["access_token"])).json() == {"active": False}
    assert (await introspect(h, web, tokens["refresh_token"])).json()["active"] is True


async def test_opaque_tokens_of_a_revoked_family_are_inactive(h: Harness) -> None:
    web, tokens = await user_tokens(h, access_token_format="opaque")
    assert tokens["access_token"].count(".") == 0
    assert (await introspect(h, web, tokens["access_token"])).json()["active"] is True
    assert (await revoke(h, web, tokens["refresh_token"])).status_code == 200
    assert (await introspect(h, web, tokens["access_token"])).json() == {"active": False}


async def test_public_client_revokes_its_own_token(h: Harness) -> None:
    spa = await public_app(h)
    other = await m2m(h)
    token = await access_token(h, other)
    # A public client cannot revoke another client's token ...
    resp = await revoke(h, spa, token)
    assert resp.status_code == 400 and resp.json()["error"] == "unauthorized_client"
    assert (await introspect(h, other, token)).json()["active"] is True


# --------------------------------------------------------------------------- error paths


async def test_unknown_token_is_200(h: Harness) -> None:
    creds = await m2m(h)
    for token in ("nope", "a.b.c", "x" * 9000):
        assert (await revoke(h, creds, token)).status_code == 200


async def test_only_the_owning_client_may_revoke(h: Harness) -> None:
    owner = await m2m(h)
    thief = await m2m(h)
    token = await access_token(h, owner)
    resp = await revoke(h, thief, token)
    assert resp.status_code == 400 and resp.json()["error"] == "unauthorized_client"
    assert (await introspect(h, owner, token)).json()["active"] is True


async def test_token_of_another_organization_is_left_alone(h: Harness) -> None:
    acme = await new_org(h, "acme")
    globex = await new_org(h, "globex")
    acme = await m2m(h, acme)
    globex = await m2m(h, globex)
    token = await access_token(h, acme)
    assert (await revoke(h, globex, token)).status_code == 200
    assert (await introspect(h, acme, token)).json()["active"] is True


async def test_error_responses(h: Harness) -> None:
    creds = await m2m(h)
    no_auth = await h.client.post("/oauth2/revoke", data={"token": "x"})
    assert no_auth.status_code == 401 and no_auth.json()["error"] == "invalid_client"
    bad = await h.client.post("/oauth2/revoke", data={"token": "x"}, auth=(creds.client_id, "no"))
    assert bad.status_code == 401 and bad.json()["error"] == "invalid_client"
    missing = await h.client.post("/oauth2/revoke", data={}, auth=creds.auth)
    assert missing.status_code == 400 and missing.json()["error"] == "invalid_request"
    both = await h.client.post(
        "/oauth2/revoke",
        data={"token": "x", "client_id": creds.client_id, "client_secret": "s"},
        auth=creds.auth,
    )
    assert both.status_code == 400 and both.json()["error"] == "invalid_request"
    assert (await h.client.get("/oauth2/revoke")).status_code == 405
    preflight = await h.client.options("/oauth2/revoke")
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "*"


async def test_client_credentials_token_still_issued_after_revocation(h: Harness) -> None:
    creds = await m2m(h)
    token = await access_token(h, creds)
    await revoke(h, creds, token)
    assert (await client_token(h, creds)).status_code == 200
