"""Turning an authorization endpoint :class:`Outcome` into an HTTP response."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from identra.protocols.oauth2.endpoints.authorize import Outcome
from identra.protocols.oauth2.models import Tenant
from identra.protocols.oidc.response_modes import ErrorPage, FormPost, Redirect
from identra.web.login import pages
from identra.web.login.cookies import BrowserCookie, remember_browser
from identra.web.login.runtime import InteractiveRuntime


def respond(
    request: Request,
    rt: InteractiveRuntime,
    tenant: Tenant,
    cookie: BrowserCookie,
    outcome: Outcome,
) -> Response:
    result = outcome.result
    response: Response
    if isinstance(result, Redirect):
        # RFC 9700 §4.12: 303 after a POST, so the browser never re-sends the form.
        status = 303 if request.method == "POST" else 302
        response = RedirectResponse(result.location, status_code=status)
        response.headers["cache-control"] = "no-store"
    elif isinstance(result, FormPost):
        response = pages.render(
            "form_post.html", script=True, action=result.action, fields=result.fields
        )
    elif isinstance(result, ErrorPage):
        response = pages.error_page(result.error, result.description, result.status)
    remember_browser(response, rt.cookies, cookie)
    if outcome.session_cookie is not None:
        rt.cookies.set(response, rt.cookies.session_name(tenant.org_id), outcome.session_cookie)
    return response
