"""Federated login against a real second Identra on loopback (the upstream provider)."""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy import select

from identra.authenticators.federated.option import FederatedOption
from identra.authenticators.federated.plugin import create
from identra.authenticators.interface import AuthContext, AuthenticatorDeps, Prompt, Redirect
from identra.storage.models import AuditEvent
from identra.storage.repositories import orgs
from tests.protocol.oidc.support import PASSWORD, Browser, query
from tests.support import ADMIN, Harness, free_port

ROOT_API = "/api/v1/orgs/root"


@dataclass
class Upstream:
    """The upstream provider: a live Identra, one confidential web application in it."""

    base_url: str
    client_id: str
    client_secret: str

    async def api(self, method: str, path: str, **kw: Any) -> httpx.Response:
        async with httpx.AsyncClient(base_url=self.base_url, timeout=30) as http:
            return await http.request(method, path, headers=ADMIN, **kw)

    async def user(
        self,
        username: str,
        email: str | None = None,
        *,
        verified: bool = True,
        given_name: str = "Grace",
        family_name: str = "Hopper",
    ) -> str:
        emails = [{"value": email, "primary": True, "verified": verified}] if email else []
        resp = await self.api(
            "POST",
            f"{ROOT_API}/users",
            json={
                "username": username,
                "password": PASSWORD,
                "given_name": given_name,
                "family_name": family_name,
                "emails": emails,
            },
        )
        assert resp.status_code == 201, resp.text
        return str(resp.json()["id"])


def unique(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(4)}"


async def add_idp(
    h: Harness,
    up: Upstream,
    name: str | None = None,
    *,
    kind: str = "oidc",
    jit: bool = True,
    secret: str | None = "<app>",
    **config: Any,
) -> dict[str, Any]:
    """An identity provider in the downstream's root organization, through its API."""
    body = {
        "name": name or unique("upstream"),
        "kind": kind,
        "jit_provisioning": jit,
        "config": {"client_id": up.client_id, "issuer": up.base_url, **config},
    }
    if secret is not None:
        body["client_secret"] = up.client_secret if secret == "<app>" else secret
    resp = await h.client.post(f"{ROOT_API}/identity-providers", json=body, headers=ADMIN)
    assert resp.status_code == 201, resp.text
    return dict(resp.json())


async def patch_idp(h: Harness, idp: dict[str, Any], **changes: Any) -> dict[str, Any]:
    resp = await h.client.patch(
        f"{ROOT_API}/identity-providers/{idp['id']}", json=changes, headers=ADMIN
    )
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


def option_for(h: Harness) -> FederatedOption:
    return create(AuthenticatorDeps(h.services))


async def context(h: Harness, idp_name: str, **kw: Any) -> AuthContext:
    async with h.services.sessions() as session:
        root = await orgs.root(session)
    values: dict[str, Any] = {
        "org_id": root.id,
        "flow_id": secrets.token_urlsafe(16),
        "option": f"idp:{idp_name}",
        "issuer": h.settings.issuer,
        "client_id": "downstream-app",
        "client_name": "Downstream",
        "now": int(time.time()),
        "ip": "127.0.0.1",
    }
    values.update(kw)
    return AuthContext(**values)


async def upstream_login(
    up: Upstream,
    redirect: Redirect,
    username: str,
    password: str = PASSWORD,
    *,
    consent: bool = True,
) -> dict[str, str]:
    """Walk the upstream's real pages (httpx as the browser) to the return to the downstream;
    the query parameters of that return."""
    async with httpx.AsyncClient(base_url=up.base_url, timeout=30) as http:
        browser = Browser(http, up.base_url)
        page = await browser.follow(await http.get(redirect.url))
        if page.status_code == 200 and 'name="password"' in page.text:
            page = await browser.login(page, username, password)
        if page.status_code == 200 and 'name="decision"' in page.text:
            page = await browser.consent(page, allow=consent)
        assert page.status_code in (302, 303), (page.status_code, page.text[:2000])
        location = page.headers["location"]
        assert location.split("?")[0].endswith("/login/return"), location
        return query(location)


def error_of(outcome: object) -> tuple[int, str]:
    assert isinstance(outcome, Prompt), outcome
    assert outcome.error, outcome
    return outcome.status, outcome.error


async def audit_actions(h: Harness, since: int = 0) -> list[tuple[str, str, dict[str, Any]]]:
    async with h.services.sessions() as session:
        rows = (await session.scalars(select(AuditEvent).order_by(AuditEvent.id))).all()
    return [(r.action, r.outcome, dict(r.details or {})) for r in rows]


class Broken:
    """A loopback HTTP server that answers like a broken provider: ``/status/<n>`` answers
    with that status, ``/garbage`` with 200 and a body that is not JSON, ``/deep`` with JSON
    nested too deep to parse, ``/huge`` with 300 KB, anything else with a 503."""

    def __init__(self) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                path = urlsplit(self.path).path
                length = int(self.headers.get("content-length") or 0)
                if length:
                    self.rfile.read(length)
                if path.startswith("/status/"):
                    status, body = int(path.rsplit("/", 1)[1]), b"<html>upstream error</html>"
                elif path == "/garbage":
                    status, body = 200, b"<html>certainly not JSON</html>"
                elif path == "/deep":
                    status, body = 200, b"[" * 200_000
                elif path == "/huge":
                    status, body = 200, b'{"x": "' + b"a" * 300_000 + b'"}'
                else:
                    status, body = 503, b"unavailable"
                self.send_response(status)
                self.send_header("content-type", "text/html")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = _answer
            do_POST = _answer

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Broken:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
