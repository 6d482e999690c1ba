"""The page a flow node shows, rendered for the console's designer (a WYSIWYG preview).

The page comes from the same templates (``templates/login/*.html``), the same page renderer
(:func:`identra.web.login.pages.page_html`) and the same authenticator prompts as a real login,
for a sample user (``alex``) and without any flow context: nothing is stored, no session, audit
record, email or text message is created. Only read-only prompts are asked of authenticators
(a prompt shows a form; sending a code happens on submit, which a preview never does); the one
prompt that keeps state (a passkey challenge) is shown as its plain button.

The HTML is meant for a sandboxed ``<iframe srcdoc>``: forms post to ``#``, CSRF and flow ids
are inert placeholders, and the page carries no script. Such a frame inherits the console's
Content-Security-Policy, which allows stylesheets from the server but no inline style: given a
``stylesheet`` URL, the page links the hosted pages' style (:func:`hosted_css`, the
``<style>`` block of ``base.html``) from there instead of inlining it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from markupsafe import escape

from identra.authenticators.interface import AuthContext, Prompt
from identra.authenticators.registry import Authenticators
from identra.branding.theme import Theme
from identra.flows.document import FlowDocument, Node, always_after
from identra.flows.engine import too_many_sessions
from identra.flows.interface import Challenge, OptionView
from identra.i18n import catalog, negotiate
from identra.web.login import pages

PLACEHOLDER = "preview"  # the flow id and CSRF token of a preview page
SAMPLE_USER = "alex"
NO_PAGE = frozenset({"condition", "set", "allow"})
# Options whose prompt keeps state (a WebAuthn challenge in the cache): shown without it.
STATEFUL_PROMPTS = {"passkey": Prompt("passkey")}
_SCRIPT = re.compile(r"<script\b.*?</script\s*>", re.IGNORECASE | re.DOTALL)
_STYLE = re.compile(r"<style\b[^>]*>(.*?)</style\s*>", re.IGNORECASE | re.DOTALL)


class NoPreview(ValueError):
    """The node cannot be previewed; ``pointer`` is the request field at fault."""

    def __init__(self, pointer: str, message: str) -> None:
        super().__init__(message)
        self.pointer = pointer
        self.message = message


@dataclass(frozen=True)
class Sample:
    """Who the preview is for: the organization, the application and the page's language."""

    org_id: str
    issuer: str  # the organization's issuer (no trailing slash)
    client_id: str
    client_name: str
    now: int
    locale: str | None = None


@dataclass(frozen=True)
class Preview:
    node: str
    kind: str
    html: str


def locale_of(requested: str | None) -> str:
    """The shipped locale closest to ``requested`` (English when none is)."""
    wanted = (requested,) if requested else ()
    return negotiate.choose(wanted, None, catalog.shipped())


def hosted_css(theme: Theme | None = None) -> str:
    """The style of the hosted pages (the ``<style>`` block of ``base.html``), with the
    organization's ``theme`` when it has one."""
    if theme is None:
        return _default_css()
    return _style_of(pages.page_html("base.html", "en", csp_nonce=PLACEHOLDER, theme=theme))


@cache
def _default_css() -> str:
    return _style_of(pages.page_html("base.html", "en", csp_nonce=PLACEHOLDER))


def _style_of(page: str) -> str:
    found = _STYLE.search(page)
    return found.group(1).strip() + "\n" if found else ""


async def render_node(
    authenticators: Authenticators,
    document: FlowDocument,
    node_id: str,
    sample: Sample,
    stylesheet: str | None = None,
    theme: Theme | None = None,
) -> Preview:
    node = document.by_id.get(node_id)
    if node is None:
        raise NoPreview("/node", f"the flow has no node {node_id!r}")
    if node.type in NO_PAGE:
        raise NoPreview(
            "/node", f"a {node.type} node shows no page: the login moves on without the user"
        )
    # Has an earlier step named the user on every path to this node (a second factor's page)?
    identified = always_after(document, lambda n: n.type in ("identify", "step"))[node.id]
    challenge = await _challenge(authenticators, node, sample, identified)
    locale = locale_of(sample.locale)
    html = pages.page_html(
        f"login/{challenge.component}.html",
        locale,
        challenge=challenge,
        action="#",
        csp_nonce=PLACEHOLDER,
        **({"theme": theme} if theme is not None else {}),
    )
    html = _SCRIPT.sub("", html)
    if stylesheet is not None:
        link = f'<link rel="stylesheet" href="{escape(stylesheet)}">'
        html = _STYLE.sub(lambda _match: link, html, count=1)
    return Preview(node.id, node.type, html)


def _page(sample: Sample, component: str, **kw: Any) -> Challenge:
    locales = (sample.locale,) if sample.locale else ()
    return Challenge(
        component=component,
        flow_id=PLACEHOLDER,
        csrf=PLACEHOLDER,
        client_name=sample.client_name,
        locales=locales,
        **kw,
    )


def _context(sample: Sample, option: str, identified: bool) -> AuthContext:
    return AuthContext(
        org_id=sample.org_id,
        flow_id=PLACEHOLDER,
        option=option,
        issuer=sample.issuer.rstrip("/"),
        client_id=sample.client_id,
        client_name=sample.client_name,
        now=sample.now,
        username=SAMPLE_USER if identified else None,
        identified=identified,
    )


async def _challenge(
    authenticators: Authenticators, node: Node, sample: Sample, identified: bool
) -> Challenge:
    if node.type == "identify":
        return _page(sample, "identify", values={"username": ""})
    if node.type in ("deny", "lock"):
        return _denied(sample, node.message or "Access denied.")
    if node.type == "limit_sessions":
        if node.on_exceed == "deny":
            return _denied(sample, node.message or too_many_sessions(node))
        return _sessions(sample, node)
    if node.type == "enroll":
        enrollers = authenticators.enrollers()
        views = tuple(
            OptionView(o, enrollers[o].label, "enroll-choice")
            for o in node.options
            if o in enrollers
        )
        return _page(
            sample,
            "step",
            options=views,
            values={"can_go_back": False, "can_skip": bool(node.skippable)},
            title="Protect your account",
        )
    views_list = []
    for option in node.options:
        authenticator = authenticators.find(option)
        if authenticator is None:
            continue
        prompt = STATEFUL_PROMPTS.get(authenticator.name)
        if prompt is None:
            prompt = await authenticator.prompt(_context(sample, option, identified))
        label = str(prompt.values.get("label") or authenticator.label)
        views_list.append(OptionView(option, label, prompt.template, prompt.values, prompt.error))
    return _page(sample, "step", options=tuple(views_list), values={"can_go_back": False})


def _denied(sample: Sample, message: str) -> Challenge:
    return _page(
        sample,
        "denied",
        values={"return_to": "#"},
        error=message,
        status=403,
        title="Access denied",
    )


def _sessions(sample: Sample, node: Node) -> Challenge:
    started = datetime.fromtimestamp(sample.now - 3600, UTC).strftime("%Y-%m-%d %H:%M UTC")
    return _page(
        sample,
        "sessions",
        values={
            "max": node.max,
            "sessions": [
                {"id": PLACEHOLDER, "started": started, "ip": "192.0.2.10", "user_agent": None}
            ],
        },
        error=node.message,
        title="Too many sessions",
    )
