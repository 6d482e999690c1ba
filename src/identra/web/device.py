"""The device verification page (RFC 8628 §3.3): ``/device`` and ``/o/{org}/device``.

The user types the code their device shows (or arrives with ``?user_code=`` from
``verification_uri_complete``), signs in through the organization's login flow unless an SSO
session already says who they are, then allows or denies the device. Only then does the
device's polling at the token endpoint get tokens (``grants/device_code.py``).

- Every form carries a CSRF token derived from the browser-binding cookie; the login flow is
  bound to the same browser.
- Wrong codes are counted per client IP (§5.1: user codes are short, so guessing is rate
  limited): after ``WRONG_CODE_LIMIT`` in ``WRONG_CODE_WINDOW`` seconds the page refuses more.
- The confirmation page names the application and the access it asks for; nothing is
  approved by visiting a link.
"""

from __future__ import annotations

import hmac
import json
import secrets
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from identra.errors import NotFound
from identra.flows.interface import LoginAborted, LoginRequest, LoginResult
from identra.i18n.message import N_
from identra.protocols.oauth2.device import (
    DeviceAuthorization,
    DeviceCodes,
    display_user_code,
    normalize_user_code,
)
from identra.protocols.oauth2.models import Tenant
from identra.protocols.oidc.session import SsoSession
from identra.web.forms import read_form
from identra.web.login import pages
from identra.web.login.cookies import BrowserCookie, browser_cookie, remember_browser
from identra.web.login.runtime import InteractiveRuntime, runtime
from identra.web.tenants import resolve_tenant

WRONG_CODE_LIMIT = 10
WRONG_CODE_WINDOW = 300
PENDING_TTL = 900
_PENDING = "device-page:"

MESSAGES = {
    "missing": N_("Enter the code shown on your device."),
    "unknown": N_("That code is not valid, has expired, or was already used. Check your device."),
    "too_many": N_("Too many incorrect codes. Wait a few minutes and try again."),
    "csrf": N_("This form has expired. Please enter the code again."),
    "cancelled": N_("Sign-in was cancelled. The device was not connected."),
    "gone": N_("This page has expired. Enter the code again."),
}


def _devices(request: Request) -> DeviceCodes | None:
    extras = runtime(request).token_extras
    return extras.devices if extras is not None else None


def _csrf(rt: InteractiveRuntime, cookie: BrowserCookie) -> str:
    return rt.services.box.digest("device-csrf:" + cookie.value)


def _csrf_ok(rt: InteractiveRuntime, cookie: BrowserCookie, sent: str) -> bool:
    return not cookie.fresh and hmac.compare_digest(sent.encode(), _csrf(rt, cookie).encode())


def _action(request: Request, path: str = "") -> str:
    """Where the page's form posts: the same organization prefix the page was served under."""
    org = request.path_params.get("org")
    return (f"/o/{org}" if org else "") + f"/device{path}"


def _page(
    rt: InteractiveRuntime,
    cookie: BrowserCookie,
    template: str,
    status: int = 200,
    **context: Any,
) -> Response:
    response = pages.render(template, status, csrf=_csrf(rt, cookie), **context)
    remember_browser(response, rt.cookies, cookie)
    return response


def _enter(
    request: Request,
    rt: InteractiveRuntime,
    cookie: BrowserCookie,
    status: int = 200,
    *,
    user_code: str = "",
    error: str | None = None,
) -> Response:
    """The code-entry page, with an error when there is one."""
    return _page(
        rt,
        cookie,
        "device/enter.html",
        status,
        action=_action(request),
        user_code=user_code,
        error=error,
    )


async def _session(request: Request, rt: InteractiveRuntime, tenant: Tenant) -> SsoSession | None:
    cookie = request.cookies.get(rt.cookies.session_name(tenant.org_id))
    return await rt.sessions.load(cookie, tenant.org_id, rt.services.clock.timestamp())


async def _client_name(request: Request, client_id: str) -> str:
    client = await request.app.state.client_store.by_client_id(client_id)
    return str(client.name) if client is not None else client_id


async def _confirm(
    request: Request,
    rt: InteractiveRuntime,
    cookie: BrowserCookie,
    tenant: Tenant,
    record: DeviceAuthorization,
    session: SsoSession,
) -> Response:
    profile = await rt.users.profile(tenant.org_id, session.user_id)
    return _page(
        rt,
        cookie,
        "device/confirm.html",
        action=_action(request, "/confirm"),
        user_code=display_user_code(record.user_code),
        client_name=await _client_name(request, record.client_id),
        scopes=record.scope,
        username=str(profile.claims.get("preferred_username", "")) if profile else "",
    )


async def device(request: Request) -> Response:
    try:
        tenant = await resolve_tenant(request)
    except NotFound:
        return pages.error_page("invalid_request", "Unknown organization.", 404)
    rt = runtime(request)
    devices = _devices(request)
    if devices is None:
        return pages.error_page("invalid_request", "Device sign-in is not available.", 404)
    cookie = browser_cookie(request, rt.cookies, rt.services.box.digest)
    if request.method == "GET":
        code = request.query_params.get("user_code", "")[:32]
        return _enter(request, rt, cookie, user_code=code)
    form = await read_form(request)
    typed = form.get("user_code", "")[:64]
    if not _csrf_ok(rt, cookie, form.get("csrf", "")):
        return _enter(request, rt, cookie, 403, user_code=typed, error=MESSAGES["csrf"])
    if not normalize_user_code(typed):
        return _enter(request, rt, cookie, 400, user_code=typed, error=MESSAGES["missing"])
    ip = request.client.host if request.client else "unknown"
    limit_key = f"rl:device:{tenant.org_id}:{ip}"
    if int(await rt.services.cache.get(limit_key) or 0) >= WRONG_CODE_LIMIT:
        return _enter(request, rt, cookie, 429, user_code=typed, error=MESSAGES["too_many"])
    now = rt.services.clock.timestamp()
    record = await devices.by_user_code(tenant.org_id, typed, now)
    if record is None:
        await rt.services.cache.incr(limit_key, ttl=WRONG_CODE_WINDOW)
        return _enter(request, rt, cookie, 400, user_code=typed, error=MESSAGES["unknown"])
    session = await _session(request, rt, tenant)
    if session is not None:
        return await _confirm(request, rt, cookie, tenant, record, session)
    # Nobody is signed in here: run the organization's login flow, then come back.
    pending_id = secrets.token_urlsafe(18)
    await rt.services.cache.set(
        _PENDING + pending_id,
        json.dumps({"user_code": record.user_code, "browser": cookie.digest}),
        ttl=PENDING_TTL,
    )
    login = LoginRequest(
        interaction_id=f"device-{pending_id}",
        org_id=tenant.org_id,
        issuer=tenant.issuer,
        client_id=record.client_id,
        client_name=await _client_name(request, record.client_id),
        return_to=f"{tenant.issuer}/device/resume/{pending_id}",
        browser=cookie.digest,
    )
    response = RedirectResponse(await rt.flow.start(login), status_code=303)
    remember_browser(response, rt.cookies, cookie)
    return response


async def resume(request: Request) -> Response:
    try:
        tenant = await resolve_tenant(request)
    except NotFound:
        return pages.error_page("invalid_request", "Unknown organization.", 404)
    rt = runtime(request)
    devices = _devices(request)
    cookie = browser_cookie(request, rt.cookies, rt.services.box.digest)
    pending_id = request.path_params["pending"][:64]
    raw = await rt.services.cache.take(_PENDING + pending_id)
    pending = json.loads(raw) if raw else None
    if (
        devices is None
        or pending is None
        or not hmac.compare_digest(str(pending["browser"]), cookie.digest)
    ):
        return _enter(request, rt, cookie, 400, error=MESSAGES["gone"])
    outcome = await rt.flow.result(f"device-{pending_id}")
    if not isinstance(outcome, LoginResult):
        message = MESSAGES["cancelled"] if isinstance(outcome, LoginAborted) else MESSAGES["gone"]
        return _enter(request, rt, cookie, 400, error=message)
    now = rt.services.clock.timestamp()
    record = await devices.by_user_code(tenant.org_id, pending["user_code"], now)
    if record is None:
        return _enter(request, rt, cookie, 400, error=MESSAGES["unknown"])
    ip = request.client.host if request.client else None
    session_cookie, session = await rt.sessions.create(
        tenant.org_id, outcome, now, ip, request.headers.get("user-agent")
    )
    response = await _confirm(request, rt, cookie, tenant, record, session)
    rt.cookies.set(response, rt.cookies.session_name(tenant.org_id), session_cookie)
    return response


async def confirm(request: Request) -> Response:
    try:
        tenant = await resolve_tenant(request)
    except NotFound:
        return pages.error_page("invalid_request", "Unknown organization.", 404)
    rt = runtime(request)
    devices = _devices(request)
    cookie = browser_cookie(request, rt.cookies, rt.services.box.digest)
    form = await read_form(request)
    if devices is None or not _csrf_ok(rt, cookie, form.get("csrf", "")):
        return _enter(request, rt, cookie, 403, error=MESSAGES["csrf"])
    code = form.get("user_code", "")[:32]
    session = await _session(request, rt, tenant)
    if session is None:
        return _enter(request, rt, cookie, 400, user_code=code, error=MESSAGES["gone"])
    now = rt.services.clock.timestamp()
    if form.get("decision") == "allow":
        record = await devices.approve(
            tenant.org_id,
            code,
            session.user_id,
            now,
            auth_time=session.auth_time,
            acr=session.acr,
            amr=session.amr,
            session_id=session.id,
        )
        approved = True
    else:
        record = await devices.deny(tenant.org_id, code, now)
        approved = False
    if record is None:
        return _enter(request, rt, cookie, 400, user_code=code, error=MESSAGES["unknown"])
    client_name = await _client_name(request, record.client_id)
    return _page(rt, cookie, "device/done.html", approved=approved, client_name=client_name)


def routes() -> list[BaseRoute]:
    out: list[BaseRoute] = []
    for prefix in ("", "/o/{org}"):
        out += [
            Route(f"{prefix}/device", device, methods=["GET", "POST"]),
            Route(f"{prefix}/device/resume/{{pending}}", resume, methods=["GET"]),
            Route(f"{prefix}/device/confirm", confirm, methods=["POST"]),
        ]
    return out
