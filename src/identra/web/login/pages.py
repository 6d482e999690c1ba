"""Rendering hosted pages: Jinja2 with autoescaping on, a strict Content-Security-Policy with a
per-response nonce for the one inline style block (and the form_post script), no caching."""

from __future__ import annotations

import secrets
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from starlette.responses import HTMLResponse

_env = Environment(
    loader=PackageLoader("identra", "templates"),
    autoescape=True,  # every template is HTML: escape everything that is not marked safe
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def render(
    template: str, status: int = 200, *, script: bool = False, **context: Any
) -> HTMLResponse:
    nonce = secrets.token_urlsafe(16)
    html = _env.get_template(template).render(csp_nonce=nonce, **context)
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
    }
    return HTMLResponse(html, status_code=status, headers=headers)


def error_page(error: str, description: str, status: int = 400) -> HTMLResponse:
    return render("error.html", status, error=error, description=description)
