"""Helpers for the interactive OAuth/OIDC tests: users, applications, PKCE, and a small
cookie-keeping "browser" over httpx that walks the hosted pages without a real browser."""

from __future__ import annotations

import asyncio
import base64
import functools
import hashlib
import re
import secrets
import threading
import time
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import uvicorn
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from identra.admin import apps as apps_admin
from identra.admin import users as users_admin
from identra.clock import Clock
from identra.crypto.passwords import hash_password
from identra.crypto.secretbox import SecretBox
from identra.observability import audit
from identra.storage.models import Application
from identra.storage.repositories import orgs
from tests.support import Harness, free_port

PASSWORD = "s3cret-passw0rd-for-tests"
CALLBACK = "http://127.0.0.1:9/cb"
LOGOUT_CALLBACK = "http://127.0.0.1:9/bye"


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


@functools.cache
def password_hash() -> str:
    """One argon2id hash per test process: hashing costs about half a second here."""
    return hash_password(PASSWORD)


async def create_user(
    sessions: async_sessionmaker[AsyncSession],
    org: str = "root",
    username: str = "alice",
    *,
    status: str = "active",
    claims: dict[str, Any] | None = None,
) -> str:
    async with sessions.begin() as session:
        organization = await orgs.by_handle(session, org)
        assert organization is not None
        new = users_admin.NewUser(
            username=username,
            status=status,
            given_name="Alice",
            family_name="Liddell",
            locale="en-GB",
            emails=[
                users_admin.ContactPoint(f"{username}@example.com", primary=True, verified=True)
            ],
            phone_numbers=[users_admin.ContactPoint("+15551234567", primary=True)],
            claims=claims or {},
        )
        user, _store = await users_admin.create(session, organization, new, audit.SYSTEM, Clock())
        user.password_hash = password_hash()
        await session.flush()
        return user.id


async def make_user(h: Harness, org: str = "root", username: str = "alice", **kw: Any) -> str:
    return await create_user(h.services.sessions, org, username, **kw)


@dataclass
class App:
    id: str
    client_id: str
    client_secret: str | None
    redirect_uri: str


async def create_app(
    sessions: async_sessionmaker[AsyncSession],
    box: SecretBox,
    org: str = "root",
    *,
    type: str = "web",
    redirect_uris: list[str] | None = None,
    post_logout_redirect_uris: list[str] | None = None,
    settings: dict[str, Any] | None = None,
    **extra: Any,
) -> App:
    uris = redirect_uris or [CALLBACK]
    async with sessions.begin() as session:
        organization = await orgs.by_handle(session, org)
        assert organization is not None
        new = apps_admin.NewApp(
            name=f"app-{secrets.token_hex(4)}",
            type=type,
            redirect_uris=uris if type != "m2m" else [],
            post_logout_redirect_uris=(post_logout_redirect_uris or [LOGOUT_CALLBACK])
            if type != "m2m"
            else [],
            **extra,
        )
        app, secret = await apps_admin.create(session, organization, new, audit.SYSTEM, box)
        if settings:
            app.settings = dict(settings)
        await session.flush()
        return App(app.id, app.client_id, secret, uris[0] if uris else "")


async def make_app(h: Harness, org: str = "root", **kw: Any) -> App:
    return await create_app(h.services.sessions, h.services.box, org, **kw)


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

    async def authorize(
        self, params: dict[str, str], path: str = "/oauth2/authorize"
    ) -> httpx.Response:
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


class Receiver:
    """A client's back-channel logout endpoint on loopback (uvicorn in a thread).

    ``mode``: ``ok`` (200), ``error`` (500), ``slow`` (answers after ``delay`` seconds),
    ``garbage`` (a 302 to elsewhere with a nonsense body).
    """

    def __init__(self, mode: str = "ok", delay: float = 5.0) -> None:
        self.mode = mode
        self.delay = delay
        self.received: list[dict[str, str]] = []
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/backchannel"

        async def endpoint(request: Request) -> Response:
            form = await request.form()
            self.received.append({k: str(v) for k, v in form.items()})
            if self.mode == "error":
                return Response("nope", status_code=500)
            if self.mode == "slow":
                await asyncio.sleep(self.delay)
            if self.mode == "garbage":
                return Response(b"\x00\xff garbage", status_code=302, headers={"location": "/x"})
            return Response(status_code=200, headers={"cache-control": "no-store"})

        app = Starlette(routes=[Route("/backchannel", endpoint, methods=["POST"])])
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_config=None)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the receiver did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
