"""Helpers for the interactive OAuth/OIDC tests: users, applications, PKCE, and a small
cookie-keeping "browser" over httpx that walks the hosted pages without a real browser."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
from sqlalchemy import update

from identra.storage.models import Application
from tests.support import ADMIN, Harness

PASSWORD = "s3cret-passw0rd-for-tests"
CALLBACK = "http://127.0.0.1:9/cb"
LOGOUT_CALLBACK = "http://127.0.0.1:9/bye"


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


async def make_user(
    client: httpx.AsyncClient, org: str = "root", username: str = "alice", **extra: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "username": username,
        "password": PASSWORD,
        "given_name": "Alice",
        "family_name": "Liddell",
        "emails": [{"value": f"{username}@example.com", "primary": True, "verified": True}],
        "phone_numbers": [{"value": "+15551234567", "primary": True}],
    }
    body.update(extra)
    resp = await client.post(f"/api/v1/orgs/{org}/users", json=body, headers=ADMIN)
    assert resp.status_code == 201, resp.text
    user: dict[str, Any] = resp.json()
    return user


@dataclass
class App:
    id: str
    client_id: str
    client_secret: str | None
    redirect_uri: str


async def make_app(
    client: httpx.AsyncClient,
    org: str = "root",
    *,
    type: str = "web",
    redirect_uris: list[str] | None = None,
    post_logout_redirect_uris: list[str] | None = None,
    **extra: Any,
) -> App:
    body: dict[str, Any] = {
        "name": f"app-{secrets.token_hex(4)}",
        "type": type,
        "redirect_uris": redirect_uris or [CALLBACK],
        "post_logout_redirect_uris": post_logout_redirect_uris or [LOGOUT_CALLBACK],
    }
    body.update(extra)
    resp = await client.post(f"/api/v1/orgs/{org}/applications", json=body, headers=ADMIN)
    assert resp.status_code == 201, resp.text
    data = resp.json()
    return App(data["id"], data["client_id"], data.get("client_secret"), body["redirect_uris"][0])


async def set_app_settings(h: Harness, app_id: str, **settings: Any) -> None:
    async with h.services.sessions.begin() as session:
        await session.execute(
            update(Application).where(Application.id == app_id).values(settings=settings)
        )


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append({"action": a.get("action", ""), "fields": {}})
        elif tag == "input" and self.forms and a.get("type") == "hidden":
            self.forms[-1]["fields"][a.get("name", "")] = a.get("value", "")


def forms(html: str) -> list[dict[str, Any]]:
    parser = _Forms()
    parser.feed(html)
    return parser.forms


def hidden(html: str) -> dict[str, str]:
    found = forms(html)
    assert found, html
    fields: dict[str, str] = found[0]["fields"]
    return fields


def query(url: str) -> dict[str, str]:
    parts = urlsplit(url)
    raw = parts.fragment if parts.fragment and not parts.query else parts.query
    return {k: v[0] for k, v in parse_qs(raw).items()}


class Browser:
    """Follows redirects inside the issuer, stops at the first one leaving it (the client)."""

    def __init__(self, client: httpx.AsyncClient, issuer: str) -> None:
        self.client = client
        self.issuer = issuer

    async def follow(self, resp: httpx.Response) -> httpx.Response:
        for _ in range(10):
            if resp.status_code not in (302, 303) or not resp.headers["location"].startswith(
                self.issuer
            ):
                return resp
            resp = await self.client.get(resp.headers["location"])
        raise AssertionError("redirect loop")

    async def authorize(self, params: dict[str, str], path: str = "/oauth2/authorize") -> httpx.Response:
        resp = await self.client.get(f"{path}?{urlencode(params)}")
        return await self.follow(resp)

    async def login(
        self, page: httpx.Response, username: str = "alice", password: str = PASSWORD, **extra: str
    ) -> httpx.Response:
        assert page.status_code == 200 and 'name="password"' in page.text, page.text
        action = forms(page.text)[0]["action"]
        data = {**hidden(page.text), "username": username, "password": password, "action": "login"}
        data.update(extra)
        return await self.follow(await self.client.post(action, data=data))

    async def consent(self, page: httpx.Response, allow: bool = True) -> httpx.Response:
        assert page.status_code == 200 and "Allow" in page.text, page.text
        action = forms(page.text)[0]["action"]
        data = {**hidden(page.text), "decision": "allow" if allow else "deny"}
        return await self.follow(await self.client.post(action, data=data))

    async def code_flow(
        self,
        params: dict[str, str],
        username: str = "alice",
        password: str = PASSWORD,
        consent: bool = True,
    ) -> dict[str, str]:
        """Authorize, log in, consent; the parameters sent back to the client."""
        page = await self.authorize(params)
        if 'name="password"' in page.text:
            page = await self.login(page, username, password)
        if consent and page.status_code == 200 and 'name="decision"' in page.text:
            page = await self.consent(page)
        assert page.status_code in (302, 303), (page.status_code, page.text)
        return query(page.headers["location"])


def auth_params(app: App, verifier_challenge: str | None = None, **extra: str) -> dict[str, str]:
    params = {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": app.redirect_uri,
        "scope": "openid profile email",
        "state": secrets.token_urlsafe(8),
        "nonce": secrets.token_urlsafe(8),
    }
    if verifier_challenge is not None:
        params["code_challenge"] = verifier_challenge
        params["code_challenge_method"] = "S256"
    params.update(extra)
    return params


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def error_page_text(html: str) -> str:
    return re.sub(r"\s+", " ", html)
