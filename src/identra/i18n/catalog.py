"""The translation catalogs and :func:`translate`.

A catalog is data: ``catalogs/<locale>.json``, one JSON object mapping each English source text
(the key, exactly as written in a template's ``_("...")`` or a Python ``N_("...")``) to its
translation. Placeholders are ``{name}`` (``str.format`` fields); a translation uses the same
names, in whatever order the language needs. English is the source language and has no
catalog. A text missing from a catalog is shown in English.

:func:`translate` takes what a page is about to show and returns it in the locale:

- a :class:`~identra.i18n.message.Formatted` text (an ``N_`` text formatted in Python) is
  re-formatted from the translation of its source with the same parameters;
- any other text found in the catalog is replaced by its translation;
- an already formatted English text that lost its type on the way (stored as JSON, for
  example) is matched against the texts with placeholders that Python formats (``N_`` texts
  and :mod:`identra.i18n.sources`; :meth:`Template.match`) and re-formatted from the
  translation with the values it contained.

Parameters are values, not words, and stay as they are, except those named in
:data:`WORD_PARAMETERS` (``{thing}`` = "code" or "link", ...), which are themselves catalog
texts and are translated too.
"""

from __future__ import annotations

import functools
import json
import logging
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

from identra.i18n.message import MARKED, Formatted
from identra.i18n.negotiate import DEFAULT
from identra.i18n.sources import RUNTIME

log = logging.getLogger(__name__)

# Parameters whose values are English words of the sentence, not data (see module docstring).
WORD_PARAMETERS = frozenset({"thing", "things", "attempts", "destination_kind", "label"})
_FIELD = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
MAX_MATCHED = 4000  # longer texts are not matched against the templates
_RUNTIME = frozenset(text for texts in RUNTIME.values() for text in texts)


def made_in_python(source: str) -> bool:
    """Texts formatted in Python (``N_`` or :mod:`identra.i18n.sources`): the only ones a
    formatted English text is matched against; a template's own literals are looked up only."""
    return source in _RUNTIME or source in MARKED


def placeholders(text: str) -> set[str]:
    """The named ``str.format`` fields of ``text``."""
    names = set()
    for _literal, name, _spec, _conversion in string.Formatter().parse(text):
        if name is not None:
            names.add(name)
    return names


@dataclass(frozen=True)
class Template:
    """A source text with placeholders, split for matching: literal, name, literal, ..."""

    source: str
    literals: tuple[str, ...]
    names: tuple[str, ...]

    @classmethod
    def of(cls, source: str) -> Template:
        parts = _FIELD.split(source)
        return cls(source, tuple(parts[0::2]), tuple(parts[1::2]))

    def match(self, text: str) -> dict[str, str] | None:
        """The values that turn this template into ``text``; None if it does not.

        Linear in the length of ``text``: each literal between two fields is taken at its
        first occurrence (no backtracking), so a value containing the next literal does not
        match and the text stays English.
        """
        head, tail = self.literals[0], self.literals[-1]
        if len(text) < len(head) + len(tail) or not (text.startswith(head) and text.endswith(tail)):
            return None
        end = len(text) - len(tail)
        position = len(head)
        values: dict[str, str] = {}
        for index, name in enumerate(self.names):
            if index == len(self.names) - 1:
                value, position = text[position:end], end
            else:
                separator = self.literals[index + 1]
                found = text.find(separator, position + 1, end) if separator else -1
                if found < 0:
                    return None
                value, position = text[position:found], found + len(separator)
            if not value or values.get(name, value) != value:
                return None
            values[name] = value
        return values


@dataclass(frozen=True)
class Catalog:
    locale: str
    entries: Mapping[str, str]
    templates: tuple[Template, ...]

    @classmethod
    def build(cls, locale: str, entries: Mapping[str, str]) -> Catalog:
        templates = [Template.of(source) for source in entries if _FIELD.search(source)]
        # Most literal text first: the most specific template wins.
        templates.sort(key=lambda t: -sum(len(literal) for literal in t.literals))
        return cls(locale, dict(entries), tuple(templates))

    def word(self, name: str, value: Any) -> Any:
        if name in WORD_PARAMETERS and isinstance(value, str):
            return self.entries.get(value, value)
        return value

    def fill(self, source: str, params: Mapping[str, Any]) -> str | None:
        """The translation of ``source`` formatted with ``params``; None if it cannot be."""
        translated = self.entries.get(source)
        if translated is None:
            return None
        try:
            return translated.format(**{k: self.word(k, v) for k, v in params.items()})
        except (KeyError, IndexError, ValueError, AttributeError):
            log.warning("catalog %s: cannot format the translation of %r", self.locale, source)
            return None

    def translate(self, text: str) -> str:
        if isinstance(text, Formatted):
            return self.fill(text.source, text.params) or str(text)
        found = self.entries.get(text)
        if found is not None:
            return found
        if "{" in text or len(text) > MAX_MATCHED:
            return str(text)  # not a formatted message
        for template in self.templates:
            if not made_in_python(template.source):
                continue
            values = template.match(text)
            if values is not None:
                return self.fill(template.source, values) or str(text)
        return str(text)


def _folder() -> Any:
    return resources.files("identra.i18n").joinpath("catalogs")


@functools.cache
def shipped() -> tuple[str, ...]:
    """The locales pages can be shown in: English and every catalog."""
    names = sorted(
        entry.name.removesuffix(".json")
        for entry in _folder().iterdir()
        if entry.name.endswith(".json")
    )
    return (DEFAULT, *names)


@functools.cache
def catalog(locale: str) -> Catalog | None:
    """The catalog of ``locale`` (None for English and unknown locales)."""
    if locale == DEFAULT or locale not in shipped():
        return None
    raw = json.loads(_folder().joinpath(f"{locale}.json").read_text(encoding="utf-8"))
    entries = {str(k): str(v) for k, v in raw.items()}
    return Catalog.build(locale, entries)


def translate(text: str, locale: str) -> str:
    """``text`` (English, see the module docstring) in ``locale``; English when unknown."""
    found = catalog(locale)
    if found is None:
        return str(text)
    return found.translate(text)
