"""RFC 8693 token exchange."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import select

from identra.clock import FrozenClock
from identra.storage.models import Organization
from tests.protocol.extras_helpers import (
    ACCESS_TOKEN_TYPE,
    TOKEN_EXCHANGE,
    Creds,
    access_token,
    introspect,
    m2m,
    new_org,
    revoke,
    unverified_claims,
    user_tokens,
)
from tests.protocol.oidc.support import make_app
from tests.support import Harness, harness

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def h(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Harness]:
    """One application for the module: every test makes its own clients and organizations."""
    async with harness(tmp_path_factory.mktemp("extras")) as value:
        yield value


DOWNSTREAM = "https://downstream.example"
JWT_TYPE = "urn:ietf:params:oauth:token-type:jwt"


async def services(h: Harness, org: str = "root") -> tuple[Creds, Creds]:
    """A middle service allowed to exchange, and a caller whose tokens are meant for it."""
    middle = await m2m(
        h,
        org,
        scopes=["reports:read"],
        grant_types=["client_credentials", TOKEN_EXCHANGE],
        audiences=[DOWNSTREAM, "https://other.example/api"],
    )
    caller = await m2m(
        h, org, scopes=["reports:read", "reports:write"], audiences=[middle.client_id]
    )
    return middle, caller


async def exchange(h: Harness, client: Creds, **data: str) -> httpx.Response:
    form = {"grant_type": TOKEN_EXCHANGE, "subject_token_type": ACCESS_TOKEN_TYPE, **data}
    return await h.client.post(f"{client.prefix}/oauth2/token", data=form, auth=client.auth)


def error(resp: httpx.Response) -> tuple[int, str]:
    return resp.status_code, resp.json().get("error", "")


async def test_impersonation_with_narrowing(h: Harness) -> None:
    middle, caller = await services(h)
    subject = await access_token(h, caller)
    resp = await exchange(
        h, middle, subject_token=subject, audience=DOWNSTREAM, scope="reports:read"
    )
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["issued_token_type"] == ACCESS_TOKEN_TYPE
    assert body["token_type"] == "Bearer" and "refresh_token" not in body
    claims = unverified_claims(body["access_token"])
    assert claims["sub"] == caller.client_id
    assert claims["client_id"] == middle.client_id
    assert claims["aud"] == DOWNSTREAM
    assert claims["scope"] == "reports:read"
    assert "act" not in claims
    assert claims["exp"] <= unverified_claims(subject)["exp"]
    info = (await introspect(h, middle, body["access_token"])).json()
    assert info["active"] is True and info["sub"] == caller.client_id


async def test_delegation_chain(h: Harness) -> None:
    last = await m2m(h, grant_types=["client_credentials", TOKEN_EXCHANGE], audiences=[DOWNSTREAM])
    middle = await m2m(
        h,
        scopes=["reports:read"],
        grant_types=["client_credentials", TOKEN_EXCHANGE],
        audiences=[last.client_id],
    )
    caller = await m2m(h, scopes=["reports:read"], audiences=[middle.client_id])
    first = await exchange(
        h,
        middle,
        subject_token=await access_token(h, caller),
        actor_token=await access_token(h, middle),
        actor_token_type=ACCESS_TOKEN_TYPE,
        audience=last.client_id,
    )
    assert first.status_code == 200, first.text
    act = unverified_claims(first.json()["access_token"])["act"]
    assert act == {"sub": middle.client_id, "client_id": middle.client_id}
    second = await exchange(
        h,
        last,
        subject_token=first.json()["access_token"],
        actor_token=await access_token(h, last),
        actor_token_type=JWT_TYPE,
        audience=DOWNSTREAM,
    )
    assert second.status_code == 200, second.text
    claims = unverified_claims(second.json()["access_token"])
    assert claims["sub"] == caller.client_id
    assert claims["act"] == {"sub": last.client_id, "client_id": last.client_id, "act": act}


async def test_user_token_exchange_follows_its_family(h: Harness) -> None:
    web, tokens = await user_tokens(
        h, grant_types=["authorization_code", "refresh_token", TOKEN_EXCHANGE]
    )
    resp = await exchange(h, web, subject_token=tokens["access_token"], scope="openid")
    assert resp.status_code == 200, resp.text
    exchanged = resp.json()["access_token"]
    assert unverified_claims(exchanged)["sub"] == unverified_claims(tokens["access_token"])["sub"]
    assert (await introspect(h, web, exchanged)).json()["active"] is True
    await revoke(h, web, tokens["refresh_token"])
    assert (await introspect(h, web, exchanged)).json() == {"active": False}


async def test_opaque_subject_token(h: Harness) -> None:
    middle, _ = await services(h)
    caller = await m2m(h, access_token_format="opaque", audiences=[middle.client_id])
    subject = await access_token(h, caller)
    ok = await exchange(h, middle, subject_token=subject)
    assert ok.status_code == 200, ok.text
    as_jwt = await exchange(h, middle, subject_token=subject, subject_token_type=JWT_TYPE)
    assert error(as_jwt) == (400, "invalid_request")


async def test_may_act(h: Harness) -> None:
    middle, caller = await services(h)
    async with h.services.sessions() as session:
        root = await session.scalar(select(Organization.id).where(Organization.handle == "root"))
    now = h.services.clock.timestamp()

    def subject_with(may_act: dict[str, Any]) -> str:
        claims = {
            "iss": h.settings.issuer,
            "sub": "user-1",
            "aud": middle.client_id,
            "client_id": caller.client_id,
            "iat": now,
            "exp": now + 300,
            "jti": secrets.token_urlsafe(8),
            "org_id": root,
            "may_act": may_act,
        }
        return str(h.services.keyring.signer().sign(claims, typ="at+jwt"))

    actor = await access_token(h, middle)
    allowed = await exchange(
        h,
        middle,
        subject_token=subject_with({"sub": middle.client_id}),
        actor_token=actor,
        actor_token_type=ACCESS_TOKEN_TYPE,
    )
    assert allowed.status_code == 200, allowed.text
    refused = await exchange(
        h,
        middle,
        subject_token=subject_with({"sub": "someone-else"}),
        actor_token=await access_token(h, middle),
        actor_token_type=ACCESS_TOKEN_TYPE,
    )
    assert error(refused) == (400, "invalid_request")


async def test_lifetime_never_outlasts_the_subject(tmp_path: Path) -> None:
    clock = FrozenClock()
    async with harness(tmp_path, clock=clock) as h:
        middle, _ = await services(h)
        caller = await m2m(h, access_token_ttl=120, audiences=[middle.client_id])
        subject = await access_token(h, caller)
        clock.advance(100)
        resp = await exchange(h, middle, subject_token=subject)
        assert resp.status_code == 200 and resp.json()["expires_in"] == 20
        clock.advance(21)
        late = await exchange(h, middle, subject_token=subject)
        assert error(late) == (400, "invalid_request")


# --------------------------------------------------------------------------- error paths


async def test_subject_token_errors(h: Harness) -> None:
    middle, caller = await services(h)
    subject = await access_token(h, caller)
    assert error(await exchange(h, middle, subject_token="garbage")) == (400, "invalid_request")
    missing = await h.client.post(
        "/oauth2/token",
        data={"grant_type": TOKEN_EXCHANGE, "subject_token": subject},
        auth=middle.auth,
    )
    assert error(missing) == (400, "invalid_request")
    refresh_type = await exchange(
        h,
        middle,
        subject_token=subject,
        subject_token_type="urn:ietf:params:oauth:token-type:refresh_token",
    )
    assert error(refresh_type) == (400, "invalid_request")
    # A token neither issued to nor meant for the exchanging client.
    bystander = await m2m(h)
    foreign = await access_token(h, bystander)
    assert error(await exchange(h, middle, subject_token=foreign)) == (400, "invalid_request")
    await revoke(h, caller, subject)
    assert error(await exchange(h, middle, subject_token=subject)) == (400, "invalid_request")


async def test_actor_and_requested_type_errors(h: Harness) -> None:
    middle, caller = await services(h)
    subject = await access_token(h, caller)
    no_type = await exchange(h, middle, subject_token=subject, actor_token="x")
    assert error(no_type) == (400, "invalid_request")
    no_token = await exchange(h, middle, subject_token=subject, actor_token_type=ACCESS_TOKEN_TYPE)
    assert error(no_token) == (400, "invalid_request")
    bad_actor = await exchange(
        h, middle, subject_token=subject, actor_token="x", actor_token_type=ACCESS_TOKEN_TYPE
    )
    assert error(bad_actor) == (400, "invalid_request")
    id_token = await exchange(
        h,
        middle,
        subject_token=subject,
        requested_token_type="urn:ietf:params:oauth:token-type:id_token",
    )
    assert error(id_token) == (400, "invalid_request")


async def test_narrowing_errors(h: Harness) -> None:
    middle, caller = await services(h)
    subject = await access_token(h, caller, scope="reports:read")
    beyond = await exchange(h, middle, subject_token=subject, scope="reports:write")
    assert error(beyond) == (400, "invalid_scope")
    stranger = await exchange(h, middle, subject_token=subject, audience="https://evil.example")
    assert error(stranger) == (400, "invalid_target")
    fragment = await exchange(h, middle, subject_token=subject, resource=f"{DOWNSTREAM}#x")
    assert error(fragment) == (400, "invalid_target")
    relative = await exchange(h, middle, subject_token=subject, resource="/api")
    assert error(relative) == (400, "invalid_target")
    both = await h.client.post(
        "/oauth2/token",
        data={
            "grant_type": TOKEN_EXCHANGE,
            "subject_token": subject,
            "subject_token_type": ACCESS_TOKEN_TYPE,
            "audience": [DOWNSTREAM, "https://other.example/api"],
        },
        auth=middle.auth,
    )
    assert both.status_code == 200, both.text
    assert unverified_claims(both.json()["access_token"])["aud"] == [
        DOWNSTREAM,
        "https://other.example/api",
    ]


async def test_client_errors(h: Harness) -> None:
    _, caller = await services(h)
    subject = await access_token(h, caller)
    plain = await m2m(h)
    assert error(await exchange(h, plain, subject_token=subject)) == (400, "unauthorized_client")
    native = await make_app(h, type="native", grant_types=["authorization_code", TOKEN_EXCHANGE])
    public = await h.client.post(
        "/oauth2/token",
        data={
            "grant_type": TOKEN_EXCHANGE,
            "subject_token": subject,
            "subject_token_type": ACCESS_TOKEN_TYPE,
            "client_id": native.client_id,
        },
    )
    assert error(public) == (400, "unauthorized_client")


async def test_subject_of_another_organization(h: Harness) -> None:
    acme = await new_org(h, "acme")
    globex = await new_org(h, "globex")
    middle, _ = await services(h, globex)
    caller = await m2m(h, acme, audiences=[middle.client_id])
    subject = await access_token(h, caller)
    assert error(await exchange(h, middle, subject_token=subject)) == (400, "invalid_request")
