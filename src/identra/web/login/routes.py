"""The hosted login and consent pages.

- ``/login/{flow}``: the current step of the login flow (``identra.flows.interface``),
  rendered from ``templates/login/<component>.html``; POST submits it.
- ``/oauth2/consent/{interaction}``: the consent page of an authorization request.

Both exist at the root issuer and under ``/o/{org}``. Every form carries a CSRF token bound to
the flow or interaction, which is itself bound to the browser.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from identra.errors import NotFound
from identra.flows.interface import Challenge, Finished, FlowProblem
from identra.protocols.oauth2.endpoints.authorize import Browser
from identra.protocols.oidc.response_modes import ErrorPage
from identra.web.forms import MAX_FIELD, read_form
from identra.web.login import pages
from identra.web.login.cookies import browser_cookie
from identra.web.login.outcomes import respond
from identra.web.login.runtime import runtime
from identra.web.tenants import resolve_tenant


def _client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def _step_response(request: Request, step: Challenge | Finished | FlowProblem) -> Response:
    if isinstance(step, FlowProblem):
        return pages.error_page("invalid_request", step.message, step.status)
    if isinstance(step, Finished):
        response = RedirectResponse(step.return_to, status_code=303)
        response.headers["cache-control"] = "no-store"
        return response
    org = request.path_params.get("org")
    action = (f"/o/{org}" if org else "") + f"/login/{step.flow_id}"
    # A page whose option needs a script (WebAuthn) may run the nonce'd scripts it names.
    script = any(o.values.get("script_url") for o in step.options)
    return pages.render(
        f"login/{step.component}.html", step.status, script=script, challenge=step, action=action
    )


async def login_step(request: Request) -> Response:
    try:
        await resolve_tenant(request)
    except NotFound:
        return pages.error_page("invalid_request", "Unknown organization.", 404)
    rt = runtime(request)
    cookie = browser_cookie(request, rt.cookies, rt.services.box.digest)
    flow_id = request.path_params["flow"]
    ip = _client_ip(request)
    step: Challenge | Finished | FlowProblem
    if request.method == "POST":
        step = await rt.flow.submit(flow_id, cookie.digest, await read_form(request), ip)
    else:
        step = await rt.flow.view(flow_id, cookie.digest, ip)
    return _step_response(request, step)


def _query(request: Request) -> dict[str, str]:
    params: dict[str, str] = {}
    for key, value in request.query_params.multi_items():
        params.setdefault(key, value[:MAX_FIELD])
    return params


async def login_callback(request: Request) -> Response:
    """The browser is back from elsewhere: an email link (``/login/{flow}/callback``) or an
    upstream identity provider (``/login/return?state=<flow>.<nonce>``)."""
    try:
        await resolve_tenant(request)
    except NotFound:
        return pages.error_page("invalid_request", "Unknown organization.", 404)
    rt = runtime(request)
    cookie = browser_cookie(request, rt.cookies, rt.services.box.digest)
    params = _query(request)
    flow_id = request.path_params.get("flow") or params.get("state", "").partition(".")[0]
    if not flow_id:
        return pages.error_page("invalid_request", "This sign-in link is incomplete.", 400)
    step = await rt.flow.callback(flow_id, cookie.digest, params, _client_ip(request))
    return _step_response(request, step)


async def consent(request: Request) -> Response:
    try:
        tenant = await resolve_tenant(request)
    except NotFound:
        return pages.error_page("invalid_request", "Unknown organization.", 404)
    rt = runtime(request)
    cookie = browser_cookie(request, rt.cookies, rt.services.box.digest)
    browser = Browser(
        binding=cookie.digest,
        session_cookie=request.cookies.get(rt.cookies.session_name(tenant.org_id)),
        ip=request.client.host if request.client else None,
    )
    interaction_id = request.path_params["interaction"]
    if request.method == "GET":
        view = await rt.authorize.consent_view(interaction_id, tenant, browser)
        if isinstance(view, ErrorPage):
            return pages.error_page(view.error, view.description, view.status)
        return pages.render("consent.html", view=view, action=request.url.path)
    form = await read_form(request)
    outcome = await rt.authorize.consent_decision(
        interaction_id,
        tenant,
        browser,
        approve=form.get("decision") == "allow",
        csrf=form.get("csrf", ""),
    )
    return respond(request, rt, tenant, cookie, outcome)


def routes() -> list[BaseRoute]:
    def both(path: str, endpoint: Any, methods: list[str]) -> list[BaseRoute]:
        return [
            Route(path, endpoint, methods=methods),
            Route("/o/{org}" + path, endpoint, methods=methods),
        ]

    return [
        Route("/login/return", login_callback, methods=["GET"]),
        Route("/o/{org}/login/return", login_callback, methods=["GET"]),
        *both("/login/{flow}", login_step, ["GET", "POST"]),
        *both("/login/{flow}/callback", login_callback, ["GET"]),
        *both("/oauth2/consent/{interaction}", consent, ["GET", "POST"]),
    ]
