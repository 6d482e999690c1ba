"""``/recover``: ask for a reset link; ``/recover/reset``: the emailed link's page."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from identra.selfservice.common import Refused, org_policy
from identra.selfservice.recovery import LINK_INVALID
from identra.web.account.support import Page, background_of, page, read_form

CSRF_EXPIRED = "This form has expired. Please try again."


def _request_page(p: Page, identifier: str = "", refused: Refused | None = None) -> Response:
    return p.render(
        "recovery/request.html",
        refused.status if refused else 200,
        errors=refused.errors if refused else None,
        csrf=p.csrf("recover"),
        identifier=identifier,
    )


async def recover(request: Request) -> Response:
    p = await page(request)
    if isinstance(p, Response):
        return p
    closed = await p.rt.recovery.available(p.tenant.org_id)
    if closed is not None:
        return p.render("recovery/closed.html", closed.status, errors=closed.errors)
    if request.method == "GET":
        return _request_page(p)
    form = await read_form(request)
    identifier = form.get("identifier", "")[:320]
    if not p.csrf_ok(form, "recover"):
        return _request_page(p, identifier, Refused.form(CSRF_EXPIRED, 403))
    result = await p.rt.recovery.request(p.tenant.org_id, p.tenant.issuer, identifier, p.ip)
    if isinstance(result, Refused):
        return _request_page(p, identifier, result)
    response = RedirectResponse(f"{p.prefix}/recover/sent", status_code=303)
    response.background = background_of(result)
    return response


async def sent(request: Request) -> Response:
    p = await page(request)
    if isinstance(p, Response):
        return p
    return p.render("recovery/sent.html")


async def _reset_page(
    p: Page, token: str, username: str, refused: Refused | None = None
) -> Response:
    return p.render(
        "recovery/reset.html",
        refused.status if refused else 200,
        errors=refused.errors if refused else None,
        csrf=p.csrf("reset"),
        token=token,
        username=username,
        policy=await org_policy(p.rt.deps, p.tenant.org_id),
    )


def _invalid(p: Page, refused: Refused | None = None) -> Response:
    errors = refused.errors if refused else {"": [LINK_INVALID]}
    return p.render("recovery/invalid.html", refused.status if refused else 400, errors=errors)


async def reset(request: Request) -> Response:
    p = await page(request)
    if isinstance(p, Response):
        return p
    recovery = p.rt.recovery
    if request.method == "GET":
        token = request.query_params.get("token", "")[:256]
        target = await recovery.view(p.tenant.org_id, token)
        if target is None:
            return _invalid(p)
        return await _reset_page(p, token, target.username)
    form = await read_form(request)
    token = form.get("token", "")[:256]
    target = await recovery.view(p.tenant.org_id, token)
    if target is None:
        return _invalid(p)
    if not p.csrf_ok(form, "reset"):
        return await _reset_page(p, token, target.username, Refused.form(CSRF_EXPIRED, 403))
    result = await recovery.reset(
        p.tenant.org_id,
        p.tenant.issuer,
        token,
        form.get("password", ""),
        form.get("confirm", ""),
        p.ip,
    )
    if isinstance(result, Refused):
        if "" in result.errors and result.errors[""] == [LINK_INVALID]:
            return _invalid(p, result)
        return await _reset_page(p, token, target.username, result)
    response = p.render("recovery/done.html", username=result.values.get("username", ""))
    response.background = background_of(result)
    # Every session of the user has ended, this browser's included.
    rt = p.rt.interactive
    rt.cookies.clear(response, rt.cookies.session_name(p.tenant.org_id))
    return response
