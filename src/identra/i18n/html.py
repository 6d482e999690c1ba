"""``_()`` and its helpers for the Jinja templates of the hosted pages.

``{{ _("Sign in") }}`` shows the text in the locale of the page being rendered (set with
:func:`rendering`); ``{{ _("Signed in as {name}", name=user) }}`` formats the translation with
escaped parameters; a parameter that is already markup (``name=user|strong``, or a ``{% set %}``
block) is inserted as it is, so a translated sentence can wrap a link or emphasis around a
value. The translation itself is always escaped: catalogs contain text, never HTML.

``{{ _(challenge.error) }}`` translates a text produced in Python (see
:func:`identra.i18n.catalog.translate`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from markupsafe import Markup, escape

from identra.i18n.catalog import translate
from identra.i18n.negotiate import DEFAULT

_locale: ContextVar[str] = ContextVar("identra_page_locale", default=DEFAULT)


@contextmanager
def rendering(locale: str) -> Iterator[None]:
    """Render pages in ``locale`` inside this block."""
    token = _locale.set(locale)
    try:
        yield
    finally:
        _locale.reset(token)


def current() -> str:
    return _locale.get()


def gettext(text: Any, /, **params: Any) -> Markup:
    """The template function ``_``: ``text`` in the page's locale, escaped, with ``params``."""
    if text is None:
        return Markup("")
    if isinstance(text, Markup):
        return text  # already rendered markup: nothing to translate
    translated = escape(translate(str(text) if not isinstance(text, str) else text, current()))
    if not params:
        return translated
    try:
        return translated.format(**params)
    except (KeyError, IndexError, ValueError, AttributeError):
        # A broken translation must not break the page: the English text, then the raw text.
        try:
            return escape(str(text)).format(**params)
        except (KeyError, IndexError, ValueError, AttributeError):
            return escape(str(text))


def strong(value: Any) -> Markup:
    """``{{ name|strong }}``: a value emphasised inside a translated sentence."""
    return Markup("<strong>{}</strong>").format(value)


def code(value: Any) -> Markup:
    """``{{ scope|code }}``: a value shown as code inside a translated sentence."""
    return Markup("<code>{}</code>").format(value)


def install(env: Any) -> None:
    """Make ``_``, ``|strong`` and ``|code`` available to every template of ``env``."""
    env.globals["_"] = gettext
    env.filters["strong"] = strong
    env.filters["code"] = code
