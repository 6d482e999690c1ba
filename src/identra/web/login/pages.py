"""Rendering hosted pages: Jinja2 with autoescaping on, a strict Content-Security-Policy with a
per-response nonce for the one inline style block (and the form_post script), no caching.

Every page is rendered in the locale of the user (docs/i18n.md): the OIDC ``ui_locales`` of the
login request when the page belongs to a login flow (``challenge.locales``), else the browser's
``Accept-Language``, else English. The header is read from the request the response answers,
when it is sent (:class:`HostedPage`), so no route has to pass languages around; the
organization's theme (``identra.web.branding``) is applied at that moment too.
"""

from __future__ import annotations

import secrets
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from starlette.datastructures import Headers
from starlette.responses import HTMLResponse
from starlette.types import Receive, Scope, Send

from identra.branding.theme import Theme
from identra.i18n import catalog, html, negotiate

_env = Environment(
    loader=PackageLoader("identra", "templates"),
    autoescape=True,  # every template is HTML: escape everything that is not marked safe
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
html.install(_env)


def page_html(template: str, locale: str, **context: Any) -> str:
    """The HTML of ``template`` in ``locale`` (``lang`` of the page and every ``_()``)."""
    with html.rendering(locale):
        return _env.get_template(template).render(lang=locale, **context)


def _preferred(context: dict[str, Any]) -> tuple[str, ...]:
    """The ``ui_locales`` of the request a page belongs to: a login flow's ``challenge``, or
    any page ``view`` that carries ``locales`` (the consent page, once its view has them)."""
    for name in ("challenge", "view"):
        locales = getattr(context.get(name), "locales", None)
        if locales:
            return tuple(str(locale) for locale in locales)
    return ()


class HostedPage(HTMLResponse):
    """A hosted page. It is rendered at once for the locale known so far (``ui_locales``, or
    English), and again when it is sent if the request's ``Accept-Language`` asks for another
    shipped locale."""

    def __init__(
        self,
        template: str,
        status: int,
        headers: dict[str, str],
        context: dict[str, Any],
        preferred: tuple[str, ...],
    ) -> None:
        self.template = template
        self.context = context
        self.preferred = preferred
        self.locale = negotiate.choose(preferred, None, catalog.shipped())
        super().__init__(page_html(template, self.locale, **context), status, headers)

    def localize(self, accept_language: str | None, theme: Theme | None = None) -> None:
        """Render again for the request's ``Accept-Language`` if it selects another locale, and
        with the organization's ``theme`` if it has one."""
        locale = negotiate.choose(self.preferred, accept_language, catalog.shipped())
        if locale != self.locale or theme is not None:
            self.locale = locale
            if theme is not None:
                self.context["theme"] = theme
                origin = theme.logo_origin()
                if origin is not None:
                    policy = self.headers["content-security-policy"]
                    self.headers["content-security-policy"] = policy.replace(
                        "img-src 'self' data:", f"img-src 'self' data: {origin}"
                    )
            self.body = self.render(page_html(self.template, locale, **self.context))
            self.headers["content-length"] = str(len(self.body))
        self.headers["content-language"] = self.locale

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.localize(Headers(scope=scope).get("accept-language"), await _theme_of(scope))
        await super().__call__(scope, receive, send)


async def _theme_of(scope: Scope) -> Theme | None:
    """The theme of the organization the request is addressed to, if it has one."""
    app = scope.get("app")
    themes = getattr(getattr(app, "state", None), "themes", None)
    if themes is None:
        return None
    handle = (scope.get("path_params") or {}).get("org")
    theme: Theme | None = await themes.for_handle(handle)
    return theme


def render(
    template: str, status: int = 200, *, script: bool = False, **context: Any
) -> HTMLResponse:
    nonce = secrets.token_urlsafe(16)
    policy = [
        "default-src 'none'",
        f"style-src 'nonce-{nonce}'",
        "img-src 'self' data:",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
    if script:
        policy.append(f"script-src 'nonce-{nonce}'")
    headers = {
        "content-security-policy": "; ".join(policy),
        "cache-control": "no-store",
        "pragma": "no-cache",
        "vary": "Accept-Language",
    }
    context["csp_nonce"] = nonce
    return HostedPage(template, status, headers, context, _preferred(context))


def error_page(error: str, description: str, status: int = 400) -> HTMLResponse:
    return render("error.html", status, error=error, description=description)
