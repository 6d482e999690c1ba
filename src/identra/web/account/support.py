"""What the self-service pages share: the services behind them (built once per application),
form parsing, CSRF tokens bound to the browser, and rendering."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Any

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from identra.authenticators.registry import Authenticators
from identra.errors import NotFound
from identra.notify import Senders, build_senders
from identra.protocols.oauth2.models import Tenant
from identra.selfservice.account import Account
from identra.selfservice.common import Deps, Done, Errors
from identra.selfservice.links import LinkStore
from identra.selfservice.recovery import Recovery
from identra.selfservice.registration import Registration
from identra.selfservice.sessions import SsoSessions
from identra.services import Services
from identra.storage.models import Organization
from identra.storage.repositories import orgs
from identra.web import forms
from identra.web.login import pages
from identra.web.login.cookies import BrowserCookie, browser_cookie, remember_browser
from identra.web.login.runtime import InteractiveRuntime, for_app
from identra.web.tenants import resolve_tenant

PASSWORD_FIELDS = ("password", "new_password", "confirm_password", "current_password", "confirm")
FIELD_LIMITS = {**{name: 2048 for name in PASSWORD_FIELDS}, "credential": forms.MAX_FIELD}


@dataclass
class SelfServiceRuntime:
    interactive: InteractiveRuntime
    services: Services
    senders: Senders
    deps: Deps
    registration: Registration
    recovery: Recovery
    account: Account

    @property
    def authenticators(self) -> Authenticators:
        """The login flow engine's authenticators (their enrollers serve My Account too)."""
        return self.interactive.authenticators


def build(app: Any) -> SelfServiceRuntime:
    rt = for_app(app)
    services = rt.services
    senders = build_senders(services.settings)

    async def issuer_of(org_id: str) -> str:
        async with services.sessions() as session:
            org = await session.get(Organization, org_id)
        if org is None:
            return services.settings.issuer
        return orgs.issuer_for(services.settings.issuer, org)

    sso = SsoSessions(
        services.sessions, rt.sessions, rt.terminator, issuer_of, services.clock.timestamp
    )
    links = LinkStore(services.cache, services.box.digest, services.clock.timestamp)
    deps = Deps(services=services, links=links, email=senders.email, sessions=sso)
    registration = Registration(deps)
    return SelfServiceRuntime(
        interactive=rt,
        services=services,
        senders=senders,
        deps=deps,
        registration=registration,
        recovery=Recovery(deps, registration),
        account=Account(deps),
    )


def runtime(request: Request) -> SelfServiceRuntime:
    state = request.app.state
    current: SelfServiceRuntime | None = getattr(state, "selfservice", None)
    if current is None:
        current = build(request.app)
        state.selfservice = current
    return current


@dataclass
class Page:
    """One request to a self-service page: its organization, browser cookie and paths."""

    request: Request
    rt: SelfServiceRuntime
    tenant: Tenant
    cookie: BrowserCookie

    @property
    def prefix(self) -> str:
        """The path prefix of the organization's pages ("" at the root issuer)."""
        handle = self.request.path_params.get("org")
        return f"/o/{handle}" if handle else ""

    @property
    def ip(self) -> str | None:
        return self.request.client.host if self.request.client else None

    def csrf(self, purpose: str) -> str:
        return self.rt.services.box.digest(f"ss-csrf:{purpose}:{self.cookie.value}")

    def csrf_ok(self, form: dict[str, str], purpose: str) -> bool:
        sent = form.get("csrf", "")
        if self.cookie.fresh or not sent:
            return False
        return hmac.compare_digest(sent.encode(), self.csrf(purpose).encode())

    def render(
        self,
        template: str,
        status: int = 200,
        *,
        errors: Errors | None = None,
        background: BackgroundTask | None = None,
        script: bool = False,
        **context: Any,
    ) -> HTMLResponse:
        response = pages.render(
            template,
            status,
            script=script,
            prefix=self.prefix,
            errors=errors or {},
            **context,
        )
        response.background = background
        remember_browser(response, self.rt.interactive.cookies, self.cookie)
        return response


async def page(request: Request) -> Page | Response:
    try:
        tenant = await resolve_tenant(request)
    except NotFound:
        return pages.error_page("invalid_request", "Unknown organization.", 404)
    rt = runtime(request)
    cookie = browser_cookie(request, rt.interactive.cookies, rt.services.box.digest)
    return Page(request, rt, tenant, cookie)


async def read_form(request: Request) -> dict[str, str]:
    """The posted form fields; passwords may be up to 1024 characters (the policy reports
    longer ones itself), so their fields are kept to 2048."""
    return await forms.read_form(request, FIELD_LIMITS)


def kept(form: dict[str, str], *names: str) -> dict[str, str]:
    """Values to show again in a refused form (never passwords)."""
    return {name: form.get(name, "") for name in names}


def background_of(result: Done) -> BackgroundTask | None:
    if result.later is not None:
        return BackgroundTask(result.later)
    if result.outbox is not None and result.outbox.messages:
        return BackgroundTask(result.outbox.deliver)
    return None
