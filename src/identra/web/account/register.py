"""``/register``: the registration form, and ``/register/verify``: the emailed link."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from identra.selfservice.common import Refused, org_policy
from identra.selfservice.registration import RegistrationForm
from identra.web.account.support import Page, background_of, kept, page, read_form

FIELDS = ("username", "email", "given_name", "family_name")
CSRF_EXPIRED = "This form has expired. Please fill it in again."


async def _form_page(p: Page, values: dict[str, str], refused: Refused | None = None) -> Response:
    policy = await org_policy(p.rt.deps, p.tenant.org_id)
    return p.render(
        "register/form.html",
        refused.status if refused else 200,
        errors=refused.errors if refused else None,
        csrf=p.csrf("register"),
        values=values,
        policy=policy,
    )


async def register(request: Request) -> Response:
    p = await page(request)
    if isinstance(p, Response):
        return p
    closed = await p.rt.registration.available(p.tenant.org_id)
    if closed is not None:
        return p.render("register/closed.html", closed.status, errors=closed.errors)
    if request.method == "GET":
        return await _form_page(p, kept({}, *FIELDS))
    form = await read_form(request)
    values = kept(form, *FIELDS)
    if not p.csrf_ok(form, "register"):
        return await _form_page(p, values, Refused.form(CSRF_EXPIRED, 403))
    result = await p.rt.registration.register(
        p.tenant.org_id, p.tenant.issuer, RegistrationForm.parse(form), p.ip
    )
    if isinstance(result, Refused):
        return await _form_page(p, values, result)
    response = RedirectResponse(f"{p.prefix}/register/sent", status_code=303)
    response.background = background_of(result)
    return response


async def sent(request: Request) -> Response:
    p = await page(request)
    if isinstance(p, Response):
        return p
    return p.render("register/sent.html")


async def verify(request: Request) -> Response:
    p = await page(request)
    if isinstance(p, Response):
        return p
    token = request.query_params.get("token", "")
    result = await p.rt.registration.verify(p.tenant.org_id, token, p.ip)
    if isinstance(result, Refused):
        return p.render("register/invalid.html", result.status, errors=result.errors)
    return p.render("register/verified.html", username=result.values.get("username", ""))
