"""Driving login flows through the hosted pages, as a browser without JavaScript would."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from identra.admin import flows as flows_admin
from identra.authenticators.registry import Authenticators
from identra.flows import text
from identra.observability import audit
from identra.storage.models import AuditEvent, Role, RoleAssignment
from identra.storage.repositories import orgs
from tests.protocol.oidc.support import App, Browser, forms
from tests.support import Harness


async def apply_flow(
    h: Harness, source: str, client_id: str | None = None, org: str = "root"
) -> int:
    """Apply a flow in the text form (as ``identra flows apply`` does); its revision."""
    async with h.services.sessions.begin() as session:
        where = await orgs.by_handle(session, org)
        assert where is not None
        known = Authenticators.for_services(h.services).catalog()
        options = await flows_admin.catalog(session, where, known)
        record = await flows_admin.apply(
            session, where, client_id, text.parse_text(source), options, audit.SYSTEM
        )
        return record.revision


async def grant_role(h: Harness, user_id: str, role: str, org: str = "root") -> None:
    async with h.services.sessions.begin() as session:
        where = await orgs.by_handle(session, org)
        assert where is not None
        row = Role(org_id=where.id, name=role, audience="organization", permissions=[])
        session.add(row)
        await session.flush()
        session.add(RoleAssignment(org_id=where.id, role_id=row.id, user_id=user_id))


def form_with(page: httpx.Response, field: str, value: str | None = None) -> dict[str, Any]:
    """The first form on the page with a hidden ``field`` (of ``value``) or an input named so."""
    for form in forms(page.text):
        fields = form["fields"]
        if field in fields and (value is None or fields[field] == value):
            return dict(form)
    raise AssertionError(f"no form with {field}={value} in:\n{page.text}")


async def post(
    browser: Browser, page: httpx.Response, match: tuple[str, str | None], **data: str
) -> httpx.Response:
    form = form_with(page, *match)
    body = {**form["fields"], **data}
    return await browser.follow(await browser.client.post(form["action"], data=body))


async def password(
    browser: Browser, page: httpx.Response, username: str | None, secret: str
) -> httpx.Response:
    data = {"password": secret, "action": "login"}
    if username is not None:
        data["username"] = username
    return await post(browser, page, ("option", "password"), **data)


async def identify(browser: Browser, page: httpx.Response, username: str) -> httpx.Response:
    assert 'name="username"' in page.text and "Continue" in page.text, page.text
    form = forms(page.text)[0]
    body = {**form["fields"], "username": username, "action": "identify"}
    return await browser.follow(await browser.client.post(form["action"], data=body))


async def step_events(h: Harness) -> list[AuditEvent]:
    async with h.services.sessions() as session:
        rows = await session.scalars(
            select(AuditEvent).where(AuditEvent.action == "login.step").order_by(AuditEvent.seq)
        )
        return list(rows)


def at_client(page: httpx.Response, app: App) -> bool:
    return page.status_code in (302, 303) and page.headers["location"].startswith(app.redirect_uri)
