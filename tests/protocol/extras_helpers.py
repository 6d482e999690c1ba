"""Helpers for the non-interactive endpoint tests (introspection, revocation, DPoP, ...)."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

import httpx
from joserfc.jws import JWSRegistry
from sqlalchemy import update

from identra.storage.models import Application, Organization
from tests.protocol.oidc.support import Browser, auth_params, make_app, make_user, pkce_pair
from tests.support import ADMIN, Harness

TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
DEVICE_CODE = "urn:ietf:params:oauth:grant-type:device_code"
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"


@dataclass
class Creds:
    id: str
    client_id: str
    secret: str | None
    org: str

    @property
    def prefix(self) -> str:
        return "" if self.org == "root" else f"/o/{self.org}"

    @property
    def auth(self) -> tuple[str, str]:
        return (self.client_id, self.secret or "")


def prefix(org: str) -> str:
    return "" if org == "root" else f"/o/{org}"


async def m2m(h: Harness, org: str = "root", **body: Any) -> Creds:
    payload: dict[str, Any] = {"name": f"m2m-{secrets.token_hex(4)}", "type": "m2m"}
    payload.update(body)
    resp = await h.client.post(f"/api/v1/orgs/{org}/applications", json=payload, headers=ADMIN)
    assert resp.status_code == 201, resp.text
    data = resp.json()
    return Creds(data["id"], data["client_id"], data.get("client_secret"), org)


async def public_app(h: Harness, org: str = "root", **body: Any) -> Creds:
    app = await make_app(h, org, type="native", **body)
    return Creds(app.id, app.client_id, None, org)


async def update_app(h: Harness, creds: Creds, **values: Any) -> None:
    """Change columns the management API does not expose (auth method, keys, settings)."""
    async with h.services.sessions.begin() as session:
        await session.execute(
            update(Application).where(Application.id == creds.id).values(**values)
        )
    h.app.state.client_store.invalidate(creds.client_id)


async def new_org(h: Harness, name: str = "org") -> str:
    """A child organization with a handle unique within the (possibly shared) harness."""
    handle = f"{name}-{secrets.token_hex(3)}"
    await h.create_org(handle)
    return handle


async def set_org_settings(h: Harness, handle: str, settings: dict[str, Any]) -> None:
    async with h.services.sessions.begin() as session:
        await session.execute(
            update(Organization).where(Organization.handle == handle).values(settings=settings)
        )


async def client_token(h: Harness, creds: Creds, **data: str) -> httpx.Response:
    form = {"grant_type": "client_credentials", **data}
    return await h.client.post(f"{creds.prefix}/oauth2/token", data=form, auth=creds.auth)


async def access_token(h: Harness, creds: Creds, **data: str) -> str:
    resp = await client_token(h, creds, **data)
    assert resp.status_code == 200, resp.text
    return str(resp.json()["access_token"])


async def introspect(h: Harness, creds: Creds, token: str, **extra: str) -> httpx.Response:
    return await h.client.post(
        f"{creds.prefix}/oauth2/introspect", data={"token": token, **extra}, auth=creds.auth
    )


async def revoke(h: Harness, creds: Creds, token: str, **extra: str) -> httpx.Response:
    data = {"token": token, **extra}
    if creds.secret is None:
        data["client_id"] = creds.client_id
        return await h.client.post(f"{creds.prefix}/oauth2/revoke", data=data)
    return await h.client.post(f"{creds.prefix}/oauth2/revoke", data=data, auth=creds.auth)


async def user_tokens(
    h: Harness, *, scope: str = "openid profile offline_access", **app: Any
) -> tuple[Creds, dict[str, Any]]:
    """A web app and a user's tokens (access, refresh, ID) from the code flow."""
    username = f"u{secrets.token_hex(3)}"
    await make_user(h, username=username)
    web = await make_app(h, **app)
    browser = Browser(h.client, h.settings.issuer)
    verifier, challenge = pkce_pair()
    back = await browser.code_flow(auth_params(web, challenge, scope=scope), username=username)
    resp = await h.client.post(
        "/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": back["code"],
            "redirect_uri": web.redirect_uri,
            "code_verifier": verifier,
        },
        auth=(web.client_id, web.client_secret or ""),
    )
    assert resp.status_code == 200, resp.text
    return Creds(web.id, web.client_id, web.client_secret, "root"), resp.json()


def unverified_claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    data: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return data


def _b64(data: dict[str, Any]) -> bytes:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=")


def dpop_proof(
    key: Any,
    url: str,
    *,
    method: str = "POST",
    iat: int | None = None,
    jti: str | None = None,
    access_token: str | None = None,
    header: dict[str, Any] | None = None,
    claims: dict[str, Any] | None = None,
    alg: str = "ES256",
) -> str:
    """A DPoP proof; ``header``/``claims`` override members (None removes one). Signed by hand
    so that deliberately broken proofs can be made too."""
    protected: dict[str, Any] = {"typ": "dpop+jwt", "alg": alg, "jwk": key.as_dict(private=False)}
    protected.update(header or {})
    payload: dict[str, Any] = {
        "jti": jti or secrets.token_urlsafe(12),
        "htm": method,
        "htu": url,
        "iat": int(time.time()) if iat is None else iat,
    }
    if access_token is not None:
        digest = hashlib.sha256(access_token.encode()).digest()
        payload["ath"] = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    payload.update(claims or {})
    protected = {k: v for k, v in protected.items() if v is not None}
    payload = {k: v for k, v in payload.items() if v is not None}
    signing_input = _b64(protected) + b"." + _b64(payload)
    signature = JWSRegistry.algorithms[alg].sign(signing_input, key)
    return (signing_input + b"." + base64.urlsafe_b64encode(signature).rstrip(b"=")).decode()
