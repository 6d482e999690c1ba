"""Email bodies from ``templates/email/``: ``<name>.subject.txt``, ``<name>.txt`` and
``<name>.html`` (the HTML one is optional and autoescaped; the others are plain text)."""

from __future__ import annotations

from typing import Any

from jinja2 import (
    Environment,
    PackageLoader,
    StrictUndefined,
    TemplateNotFound,
    select_autoescape,
)

from identra.notify.email import OutgoingEmail

_env = Environment(
    loader=PackageLoader("identra", "templates/email"),
    autoescape=select_autoescape(enabled_extensions=("html",), default=False),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


def render_email(name: str, to: str, **context: Any) -> OutgoingEmail:
    """The message ``name`` (``email-otp``, ``magic-link``...) for ``to``."""
    subject = _env.get_template(f"{name}.subject.txt").render(**context)
    text = _env.get_template(f"{name}.txt").render(**context)
    try:
        html: str | None = _env.get_template(f"{name}.html").render(**context)
    except TemplateNotFound:
        html = None
    return OutgoingEmail(to=to, subject=" ".join(subject.split()), text=text, html=html)
