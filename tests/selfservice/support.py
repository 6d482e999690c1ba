"""Helpers of the self-service tests: mounting the pages, organizations with self-service
settings, users, a cookie-keeping browser over httpx, and database reads."""

from __future__ import annotations

import re
import secrets
from html import unescape
from typing import Any

import httpx
from sqlalchemy import func, select

from identra.observability import audit
from identra.selfservice import settings as ss_settings
from identra.storage.models import AuditEvent, PasswordHistory, User, UserSession
from identra.storage.repositories import orgs
from identra.web.account import routes as account_routes
from tests.protocol.oidc.support import Browser, create_user, forms
from tests.support import Harness

STRONG = "violet-harbour-lantern-42"  # passes the default policy
STRONG2 = "quiet-meadow-copper-kettle"
STRONG3 = "seven-amber-foxes-dancing"


def mount(app: Any) -> None:
    """Add the self-service routes unless ``create_app`` already does."""
    if any(getattr(r, "path", None) == "/account" for r in app.router.routes):
        return
    app.router.routes.extend(account_routes.routes())


async def new_org(h: Harness, **self_service: Any) -> tuple[str, str]:
    """A fresh organization (own rate-limit counters); returns (handle, path prefix)."""
    handle = "ss-" + secrets.token_hex(4)
    await h.create_org(handle)
    if self_service:
        await set_self_service(h, handle, **self_service)
    return handle, f"/o/{handle}"


async def set_self_service(h: Harness, handle: str, **changes: Any) -> None:
    async with h.services.sessions.begin() as session:
        org = await orgs.by_handle(session, handle)
        assert org is not None
        await ss_settings.write(session, org, changes, audit.SYSTEM)


async def org_id(h: Harness, handle: str) -> str:
    async with h.services.sessions() as session:
        org = await orgs.by_handle(session, handle)
        assert org is not None
        return org.id


async def make_user(h: Harness, handle: str, username: str, **kw: Any) -> str:
    """A user with ``tests.protocol.oidc.support.PASSWORD`` and ``<username>@example.com``."""
    return await create_user(h.services.sessions, handle, username, **kw)


async def user_by_name(h: Harness, handle: str, username: str) -> User | None:
    oid = await org_id(h, handle)
    async with h.services.sessions() as session:
        return await session.scalar(
            select(User).where(User.org_id == oid, User.username_normalized == username.lower())
        )


async def user_count(h: Harness, handle: str) -> int:
    oid = await org_id(h, handle)
    async with h.services.sessions() as session:
        return int(await session.scalar(select(func.count()).where(User.org_id == oid)) or 0)


async def history_count(h: Harness, user_id: str) -> int:
    async with h.services.sessions() as session:
        return int(
            await session.scalar(select(func.count()).where(PasswordHistory.user_id == user_id))
            or 0
        )


async def actions(h: Harness, handle: str, prefix: str = "") -> list[str]:
    """Audit actions of the organization, oldest first (optionally those starting with
    ``prefix``)."""
    oid = await org_id(h, handle)
    async with h.services.sessions() as session:
        rows = await session.scalars(
            select(AuditEvent.action).where(AuditEvent.org_id == oid).order_by(AuditEvent.seq)
        )
        return [a for a in rows if a.startswith(prefix)]


async def open_sessions(h: Harness, user_id: str) -> list[str]:
    async with h.services.sessions() as session:
        rows = await session.scalars(
            select(UserSession.id).where(
                UserSession.user_id == user_id, UserSession.ended_at.is_(None)
            )
        )
        return list(rows)


def text(resp: httpx.Response) -> str:
    """The page's text content, whitespace collapsed (for message assertions)."""
    body = re.sub(r"<[^>]+>", " ", resp.text)
    return re.sub(r"\s+", " ", unescape(body)).strip()


def csrf_of(html: str) -> str:
    for form in forms(html):
        value = form["fields"].get("csrf")
        if value:
            return str(value)
    raise AssertionError("no csrf field on the page")


def form_with(html: str, action_suffix: str) -> dict[str, Any]:
    for form in forms(html):
        if str(form["action"]).endswith(action_suffix):
            return form
    raise AssertionError(f"no form posting to …{action_suffix}")


class Visitor(Browser):
    """A browser of its own on the harness's application."""

    async def follow(self, resp: httpx.Response) -> httpx.Response:
        for _ in range(10):
            if resp.status_code not in (302, 303):
                return resp
            location = resp.headers["location"]
            if location.startswith("/"):
                location = self.issuer + location
            if not location.startswith(self.issuer):
                return resp
            resp = await self.client.get(location)
        raise AssertionError("redirect loop")

    async def get(self, path: str) -> httpx.Response:
        return await self.follow(await self.client.get(path))

    async def post(self, path: str, data: dict[str, str]) -> httpx.Response:
        return await self.client.post(path, data=data)

    async def sign_in(
        self, prefix: str, username: str, password: str, section_path: str = "/account"
    ) -> httpx.Response:
        """Open My Account and sign in through the organization's login flow."""
        page = await self.get(prefix + section_path)
        assert page.status_code == 200 and 'name="password"' in page.text, page.text
        return await self.login(page, username, password)


def visitor(h: Harness) -> Visitor:
    transport = httpx.ASGITransport(app=h.app)
    client = httpx.AsyncClient(transport=transport, base_url=h.settings.issuer)
    return Visitor(client, h.settings.issuer)
