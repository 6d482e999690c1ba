"""RFC 7591 dynamic client registration and RFC 7592 client configuration."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import pytest_asyncio
from authlib.integrations.httpx_client import AsyncOAuth2Client
from authlib.oauth2.rfc7523 import ClientSecretJWT, PrivateKeyJWT
from joserfc.jwk import RSAKey
from sqlalchemy import select

from identra.storage.models import Application, AuditEvent
from tests.protocol.extras_helpers import m2m, new_org, set_org_settings
from tests.support import Harness, harness

WEB = {
    "client_name": "Photo printer",
    "redirect_uris": ["https://printer.example/cb"],
    "grant_types": ["authorization_code", "refresh_token"],
    "scope": "openid profile",
    "contacts": ["ops@printer.example"],
    "client_uri": "https://printer.example",
    "software_id": "printer",
    "unknown_member": "ignored",
}


pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def h(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Harness]:
    """One application for the module; each test registers in an organization of its own."""
    async with harness(tmp_path_factory.mktemp("extras")) as value:
        yield value


@dataclass
class Opened:
    h: Harness
    handle: str

    @property
    def prefix(self) -> str:
        return f"/o/{self.handle}"


@pytest_asyncio.fixture(loop_scope="module")
async def o(h: Harness) -> Opened:
    """A fresh organization with dynamic registration turned on."""
    handle = await new_org(h, "dcr")
    await set_org_settings(h, handle, {"dynamic_client_registration": True})
    return Opened(h, handle)


async def register(h: Harness, metadata: dict[str, Any], path: str = "") -> httpx.Response:
    return await h.client.post(f"{path}/oauth2/register", json=metadata)


def error(resp: httpx.Response) -> tuple[int, str]:
    return resp.status_code, resp.json().get("error", "")


def rat(body: dict[str, Any]) -> dict[str, str]:
    return {"authorization": f"Bearer {body['registration_access_token']}"}


async def test_off_by_default(h: Harness) -> None:
    assert (await register(h, WEB)).status_code == 404
    assert (await h.client.get("/oauth2/register/whatever")).status_code == 404


async def test_register_read_update_delete(o: Opened) -> None:
    h, p = o.h, o.prefix
    resp = await register(h, WEB, p)
    assert resp.status_code == 201, resp.text
    assert resp.headers["cache-control"] == "no-store"
    body = resp.json()
    assert body["client_name"] == "Photo printer"
    assert body["token_endpoint_auth_method"] == "client_secret_basic"
    assert body["redirect_uris"] == WEB["redirect_uris"]
    assert body["response_types"] == ["code"]
    assert body["scope"] == "openid profile"
    assert body["client_secret_expires_at"] == 0
    assert "unknown_member" not in body
    uri = body["registration_client_uri"]
    assert uri == f"{h.settings.issuer}{p}/oauth2/register/{body['client_id']}"
    # The registered client authenticates with its secret.
    intro = await h.client.post(
        f"{p}/oauth2/introspect",
        data={"token": "x"},
        auth=(body["client_id"], body["client_secret"]),
    )
    assert intro.status_code == 200
    # Read: the same metadata, never the secret or the registration token.
    read = await h.client.get(uri, headers=rat(body))
    assert read.status_code == 200, read.text
    assert read.json()["client_name"] == "Photo printer"
    assert "client_secret" not in read.json() and "registration_access_token" not in read.json()
    # Update: full replacement.
    change = {**WEB, "client_id": body["client_id"], "client_name": "Printer 2"}
    change["redirect_uris"] = ["https://printer.example/cb2"]
    updated = await h.client.put(uri, json=change, headers=rat(body))
    assert updated.status_code == 200, updated.text
    assert updated.json()["redirect_uris"] == ["https://printer.example/cb2"]
    assert "client_secret" not in updated.json()
    async with h.services.sessions() as session:
        app = await session.scalar(
            select(Application).where(Application.client_id == body["client_id"])
        )
        actions = (
            await session.scalars(
                select(AuditEvent.action).where(AuditEvent.target_id == (app.id if app else ""))
            )
        ).all()
    assert app is not None and app.name == "Printer 2" and app.type == "web"
    assert app.redirect_uris == ["https://printer.example/cb2"]
    assert set(actions) >= {"application.register", "application.update"}
    # Delete, then nothing works any more.
    deleted = await h.client.delete(uri, headers=rat(body))
    assert deleted.status_code == 204
    assert error(await h.client.get(uri, headers=rat(body))) == (401, "invalid_token")
    gone = await h.client.post(
        f"{p}/oauth2/introspect",
        data={"token": "x"},
        auth=(body["client_id"], body["client_secret"]),
    )
    assert gone.status_code == 401


async def test_private_key_jwt_client_registers_and_authenticates(o: Opened) -> None:
    h, p = o.h, o.prefix
    key = RSAKey.generate_key(2048, private=True)
    key.ensure_kid()
    resp = await register(
        h,
        {
            "client_name": "Batch job",
            "grant_types": ["client_credentials"],
            "token_endpoint_auth_method": "private_key_jwt",
            "jwks": {"keys": [key.as_dict(private=False)]},
        },
        p,
    )
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert "client_secret" not in body and "redirect_uris" not in body
    token_url = f"{h.settings.issuer}{p}/oauth2/token"
    async with AsyncOAuth2Client(
        body["client_id"],
        key,
        token_endpoint_auth_method="private_key_jwt",
        transport=httpx.ASGITransport(app=h.app),
    ) as client:
        client.register_client_auth_method(PrivateKeyJWT(token_url))
        token = await client.fetch_token(token_url, grant_type="client_credentials")
    assert token["access_token"]


async def test_switch_to_client_secret_jwt_issues_a_usable_secret(o: Opened) -> None:
    h, p = o.h, o.prefix
    body = (
        await register(h, {"grant_types": ["client_credentials"], "client_name": "cron"}, p)
    ).json()
    change = {
        "client_id": body["client_id"],
        "client_secret": body["client_secret"],
        "grant_types": ["client_credentials"],
        "token_endpoint_auth_method": "client_secret_jwt",
    }
    resp = await h.client.put(body["registration_client_uri"], json=change, headers=rat(body))
    assert resp.status_code == 200, resp.text
    secret = resp.json()["client_secret"]
    assert secret != body["client_secret"]
    token_url = f"{h.settings.issuer}{p}/oauth2/token"
    async with AsyncOAuth2Client(
        body["client_id"],
        secret,
        token_endpoint_auth_method="client_secret_jwt",
        transport=httpx.ASGITransport(app=h.app),
    ) as client:
        client.register_client_auth_method(ClientSecretJWT(token_url))
        token = await client.fetch_token(token_url, grant_type="client_credentials")
    assert token["access_token"]


async def test_native_and_public_clients(o: Opened) -> None:
    h, p = o.h, o.prefix
    native = await register(
        h,
        {
            "application_type": "native",
            "token_endpoint_auth_method": "none",
            "redirect_uris": ["com.example.app:/cb", "http://127.0.0.1/cb"],
            "grant_types": ["authorization_code", "urn:ietf:params:oauth:grant-type:device_code"],
        },
        p,
    )
    assert native.status_code == 201, native.text
    assert "client_secret" not in native.json()
    spa = await register(
        h,
        {
            "token_endpoint_auth_method": "none",
            "redirect_uris": ["com.example.app:/cb"],
        },
        p,
    )
    assert error(spa) == (400, "invalid_redirect_uri")


async def test_per_organization(h: Harness) -> None:
    acme = await new_org(h, "acme")
    globex = await new_org(h, "globex")
    other_open = await new_org(h, "initech")
    await set_org_settings(h, acme, {"dynamic_client_registration": True})
    await set_org_settings(h, other_open, {"dynamic_client_registration": True})
    assert (await register(h, WEB, f"/o/{globex}")).status_code == 404
    resp = await register(h, WEB, f"/o/{acme}")
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert body["registration_client_uri"].startswith(f"{h.settings.issuer}/o/{acme}/")
    # The registration token of acme's client means nothing at another issuer.
    other = await h.client.get(
        f"/o/{other_open}/oauth2/register/{body['client_id']}", headers=rat(body)
    )
    assert error(other) == (401, "invalid_token")


async def test_scopes(h: Harness) -> None:
    handle = await new_org(h, "scoped")
    p = f"/o/{handle}"
    await set_org_settings(
        h,
        handle,
        {
            "dynamic_client_registration": True,
            "dynamic_client_registration_scopes": ["reports:read", "users:write"],
        },
    )
    ok = await register(h, {**WEB, "scope": "openid reports:read"}, p)
    assert ok.status_code == 201, ok.text
    # Management permissions are never registrable, whatever the organization lists.
    admin = await register(h, {**WEB, "scope": "users:write"}, p)
    assert error(admin) == (400, "invalid_client_metadata")
    unlisted = await register(h, {**WEB, "scope": "billing"}, p)
    assert error(unlisted) == (400, "invalid_client_metadata")


# --------------------------------------------------------------------------- error paths


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"redirect_uris": ["http://printer.example/cb"]}, "invalid_redirect_uri"),
        ({"redirect_uris": ["https://printer.example/cb#x"]}, "invalid_redirect_uri"),
        ({"redirect_uris": ["/relative"]}, "invalid_redirect_uri"),
        ({"redirect_uris": []}, "invalid_redirect_uri"),
        ({"redirect_uris": "https://printer.example/cb"}, "invalid_client_metadata"),
        ({"token_endpoint_auth_method": "tls_client_auth"}, "invalid_client_metadata"),
        ({"grant_types": ["password"]}, "invalid_client_metadata"),
        ({"grant_types": ["implicit"]}, "invalid_client_metadata"),
        ({"response_types": ["token"]}, "invalid_client_metadata"),
        ({"response_types": []}, "invalid_client_metadata"),
        ({"token_endpoint_auth_method": "private_key_jwt"}, "invalid_client_metadata"),
        (
            {"jwks_uri": "https://printer.example/jwks", "jwks": {"keys": [{"kty": "EC"}]}},
            "invalid_client_metadata",
        ),
        ({"jwks_uri": "http://printer.example/jwks"}, "invalid_client_metadata"),
        ({"jwks": {"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}}, "invalid_client_metadata"),
        ({"jwks": {"keys": [{"kty": "EC", "d": "x"}]}}, "invalid_client_metadata"),
        ({"logo_uri": "http://printer.example/logo.png"}, "invalid_client_metadata"),
        ({"scope": ["openid"]}, "invalid_client_metadata"),
        ({"application_type": "desktop"}, "invalid_client_metadata"),
        ({"client_name": ""}, "invalid_client_metadata"),
        ({"contacts": [1, 2]}, "invalid_client_metadata"),
        ({"dpop_bound_access_tokens": "yes"}, "invalid_client_metadata"),
        (
            {"token_endpoint_auth_method": "none", "grant_types": ["client_credentials"]},
            "invalid_client_metadata",
        ),
    ],
)
async def test_invalid_metadata(o: Opened, change: dict[str, Any], code: str) -> None:
    resp = await register(o.h, {**WEB, **change}, o.prefix)
    assert error(resp) == (400, code), resp.text


async def test_request_errors(o: Opened) -> None:
    h, p = o.h, o.prefix
    form = await h.client.post(f"{p}/oauth2/register", data={"client_name": "x"})
    assert error(form) == (400, "invalid_request")
    not_json = await h.client.post(
        f"{p}/oauth2/register", content=b"{", headers={"content-type": "application/json"}
    )
    assert error(not_json) == (400, "invalid_request")
    array = await h.client.post(f"{p}/oauth2/register", json=[WEB])
    assert error(array) == (400, "invalid_request")
    assert (await h.client.get(f"{p}/oauth2/register")).status_code == 405


async def test_management_errors(o: Opened) -> None:
    h, p = o.h, o.prefix
    body = (await register(h, WEB, p)).json()
    uri = body["registration_client_uri"]
    assert error(await h.client.get(uri)) == (401, "invalid_token")
    wrong = await h.client.get(uri, headers={"authorization": "Bearer nope"})
    assert error(wrong) == (401, "invalid_token")
    assert wrong.headers["www-authenticate"].startswith("Bearer")
    unknown = await h.client.get(f"{p}/oauth2/register/nope", headers=rat(body))
    assert error(unknown) == (401, "invalid_token")
    # Another registered client's token does not open this one.
    other = (await register(h, WEB, p)).json()
    assert error(await h.client.get(uri, headers=rat(other))) == (401, "invalid_token")
    no_id = await h.client.put(uri, json=WEB, headers=rat(body))
    assert error(no_id) == (400, "invalid_request")
    bad_secret = await h.client.put(
        uri, json={**WEB, "client_id": body["client_id"], "client_secret": "x"}, headers=rat(body)
    )
    assert error(bad_secret) == (400, "invalid_client_metadata")
    to_public = await h.client.put(
        uri,
        json={**WEB, "client_id": body["client_id"], "token_endpoint_auth_method": "none"},
        headers=rat(body),
    )
    assert error(to_public) == (400, "invalid_client_metadata")
    invalid = await h.client.put(
        uri,
        json={**WEB, "client_id": body["client_id"], "redirect_uris": ["http://x.example/"]},
        headers=rat(body),
    )
    assert error(invalid) == (400, "invalid_redirect_uri")


async def test_admin_created_apps_are_not_managed_here(o: Opened) -> None:
    h, p = o.h, o.prefix
    creds = await m2m(h, o.handle)
    resp = await h.client.get(
        f"{p}/oauth2/register/{creds.client_id}", headers={"authorization": "Bearer anything"}
    )
    assert error(resp) == (401, "invalid_token")


async def test_registration_is_rate_limited(o: Opened) -> None:
    h, p = o.h, o.prefix
    minimal = {"grant_types": ["client_credentials"]}
    for _ in range(30):
        assert (await register(h, minimal, p)).status_code == 201
    limited = await register(h, minimal, p)
    assert error(limited) == (429, "temporarily_unavailable")
